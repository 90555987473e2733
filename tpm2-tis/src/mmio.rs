//! Memory-mapped register access: the only `unsafe` code of the library crates.

use core::fmt;
use core::ptr::NonNull;

use crate::RegisterAccess;

/// The PC TPM's physical base address.
pub const DEFAULT_BASE: usize = 0xFED4_0000;
/// The size of the TPM register window: five 4 KiB localities.
pub const WINDOW_LEN: usize = 0x5000;

/// Volatile accesses to a TPM register window in memory.
///
/// Holds a pointer, never a reference: device memory must not be treated as ordinary memory.
/// An access outside the window, or not aligned to its width (which a CPU's MMIO may not
/// make), touches nothing and fails with [`MmioError`]: no value is ever fabricated, and no
/// offset a caller or a device supplies can reach memory outside the window.
#[derive(Debug)]
pub struct Mmio {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: `Mmio` is the unique owner of its window (see `Mmio::new`), so moving it to another
// thread moves that ownership; it has no shared state.
unsafe impl Send for Mmio {}

impl Mmio {
    /// A window of `len` bytes at `base`.
    ///
    /// # Safety
    ///
    /// For the lifetime of the returned value, `base..base + len` must be mapped, readable and
    /// writable device memory (or ordinary memory, in tests) that nothing else accesses: no
    /// other `Mmio`, no kernel driver, no reference. The mapping must be uncached for device
    /// memory.
    #[must_use]
    pub const unsafe fn new(base: NonNull<u8>, len: usize) -> Self {
        Self { base, len }
    }

    /// The pointer to a `width`-byte register at `offset`, if it is inside the window and
    /// aligned.
    fn register<T>(&self, offset: u32) -> Option<NonNull<T>> {
        let offset = usize::try_from(offset).ok()?;
        let width = core::mem::size_of::<T>();
        let end = offset.checked_add(width)?;
        if end > self.len || offset % width != 0 {
            return None;
        }
        // SAFETY: `offset + width <= len`, so the result stays inside the window that
        // `new`'s caller promised is mapped; it is not null because `base` is not and the
        // window does not wrap.
        Some(unsafe { self.base.add(offset) }.cast::<T>())
    }

    fn checked<T>(&self, offset: u32) -> Result<NonNull<T>, MmioError> {
        self.register::<T>(offset).ok_or(MmioError {
            offset,
            width: core::mem::size_of::<T>() as u8,
        })
    }

    fn read<T: Copy>(&self, offset: u32) -> Result<T, MmioError> {
        let p = self.checked::<T>(offset)?;
        // SAFETY: the pointer is in the window, aligned to `T` and valid for reads by `new`'s
        // contract; a volatile read is what device registers require.
        Ok(unsafe { p.as_ptr().read_volatile() })
    }

    fn write<T: Copy>(&mut self, offset: u32, value: T) -> Result<(), MmioError> {
        let p = self.checked::<T>(offset)?;
        // SAFETY: the pointer is in the window, aligned to `T` and valid for writes by `new`'s
        // contract; `&mut self` makes this the only access in flight.
        unsafe { p.as_ptr().write_volatile(value) };
        Ok(())
    }
}

/// An access [`Mmio`] cannot make: outside its window, or not aligned to its width. Nothing
/// was read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MmioError {
    /// The offset asked for.
    pub offset: u32,
    /// The access width in bytes.
    pub width: u8,
}

impl fmt::Display for MmioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-byte MMIO access at offset {:#x} is misaligned or outside the window",
            self.width, self.offset
        )
    }
}

impl core::error::Error for MmioError {}

impl RegisterAccess for Mmio {
    type Error = MmioError;

    fn read8(&mut self, offset: u32) -> Result<u8, MmioError> {
        self.read(offset)
    }
    fn read16(&mut self, offset: u32) -> Result<u16, MmioError> {
        self.read(offset).map(u16::from_le)
    }
    fn read32(&mut self, offset: u32) -> Result<u32, MmioError> {
        self.read(offset).map(u32::from_le)
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), MmioError> {
        self.write(offset, value)
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), MmioError> {
        self.write(offset, value.to_le())
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), MmioError> {
        self.write(offset, value.to_le())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A RAM-backed window, as Miri can check it.
    fn window(ram: &mut [u32]) -> Mmio {
        let len = core::mem::size_of_val(ram);
        // SAFETY: `ram` is ordinary memory of `len` bytes, exclusively borrowed for as long as
        // the returned value is used in each test.
        unsafe { Mmio::new(NonNull::from(ram).cast(), len) }
    }

    #[test]
    fn accesses_reach_the_right_bytes_little_endian() {
        let mut ram = [0u32; 8];
        let mut m = window(&mut ram);
        m.write32(0x18, 0x0410_0040).unwrap();
        assert_eq!(m.read8(0x18).unwrap(), 0x40);
        assert_eq!(m.read16(0x1A).unwrap(), 0x0410);
        m.write8(0x1B, 0xAA).unwrap();
        m.write16(0x00, 0xBEEF).unwrap();
        assert_eq!(m.read32(0x18).unwrap(), 0xAA10_0040);
        assert_eq!(m.read8(0x01).unwrap(), 0xBE);
        assert_eq!(ram[6], u32::from_le(0xAA10_0040));
    }

    #[test]
    fn out_of_window_and_misaligned_accesses_fail_typed_and_touch_nothing() {
        let mut ram = [0u32; 4];
        let mut m = window(&mut ram);
        let err = |offset, width| MmioError { offset, width };
        assert_eq!(m.read32(16), Err(err(16, 4)));
        assert_eq!(m.read32(13), Err(err(13, 4)));
        assert_eq!(m.read16(15), Err(err(15, 2)));
        assert_eq!(m.read8(u32::MAX), Err(err(u32::MAX, 1)));
        assert_eq!(m.write32(14, 1), Err(err(14, 4)));
        assert_eq!(m.write32(16, 1), Err(err(16, 4)));
        assert_eq!(m.write8(16, 1), Err(err(16, 1)));
        assert_eq!(ram, [0; 4]);
    }

    #[test]
    fn block_transfers_at_any_offset_and_length_use_only_aligned_accesses() {
        // Every offset 0..8 and length 0..21 against a window whose aligned reads succeed
        // and whose misaligned ones fail: a transfer that made one would return the error.
        for offset in 0..8u32 {
            for len in 0..21usize {
                let mut ram = [0u32; 8];
                let mut m = window(&mut ram);
                let src: [u8; 21] = core::array::from_fn(|i| i as u8 + 1);
                let src = &src[..len];
                crate::write_block(&mut m, offset, src).unwrap();
                let mut back = [0u8; 21];
                crate::read_block(&mut m, offset, &mut back[..len]).unwrap();
                assert_eq!(&back[..len], src, "offset {offset} len {len}");
                let mut bytes = [0u8; 32];
                for (i, b) in bytes.iter_mut().enumerate() {
                    *b = m.read8(i as u32).unwrap();
                }
                let start = offset as usize;
                assert!(bytes[..start].iter().all(|&b| b == 0));
                assert_eq!(&bytes[start..start + len], src);
                assert!(bytes[start + len..].iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn a_block_transfer_past_the_window_fails_typed() {
        let mut ram = [0u32; 2];
        let mut m = window(&mut ram);
        let mut dst = [0u8; 6];
        assert_eq!(
            crate::read_block(&mut m, 3, &mut dst),
            Err(MmioError {
                offset: 8,
                width: 1
            })
        );
    }
}
