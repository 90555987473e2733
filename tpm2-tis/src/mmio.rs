//! Memory-mapped register access: the only `unsafe` code of the library crates.

use core::convert::Infallible;
use core::ptr::NonNull;

use crate::RegisterAccess;

/// The PC TPM's physical base address.
pub const DEFAULT_BASE: usize = 0xFED4_0000;
/// The size of the TPM register window: five 4 KiB localities.
pub const WINDOW_LEN: usize = 0x5000;

/// Volatile accesses to a TPM register window in memory.
///
/// Holds a pointer, never a reference: device memory must not be treated as ordinary memory.
/// An access outside the window, or not aligned to its width, touches nothing: a read returns
/// all-ones, as a floating bus does, and a write is dropped. So no offset a caller or a device
/// supplies can reach memory outside the window.
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

    fn read<T: Copy>(&self, offset: u32, all_ones: T) -> T {
        match self.register::<T>(offset) {
            // SAFETY: the pointer is in the window, aligned to `T` and valid for reads by
            // `new`'s contract; a volatile read is what device registers require.
            Some(p) => unsafe { p.as_ptr().read_volatile() },
            None => all_ones,
        }
    }

    fn write<T: Copy>(&mut self, offset: u32, value: T) {
        if let Some(p) = self.register::<T>(offset) {
            // SAFETY: the pointer is in the window, aligned to `T` and valid for writes by
            // `new`'s contract; `&mut self` makes this the only access in flight.
            unsafe { p.as_ptr().write_volatile(value) }
        }
    }
}

impl RegisterAccess for Mmio {
    type Error = Infallible;

    fn read8(&mut self, offset: u32) -> Result<u8, Infallible> {
        Ok(self.read(offset, u8::MAX))
    }
    fn read16(&mut self, offset: u32) -> Result<u16, Infallible> {
        Ok(u16::from_le(self.read(offset, u16::MAX)))
    }
    fn read32(&mut self, offset: u32) -> Result<u32, Infallible> {
        Ok(u32::from_le(self.read(offset, u32::MAX)))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Infallible> {
        self.write(offset, value);
        Ok(())
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), Infallible> {
        self.write(offset, value.to_le());
        Ok(())
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), Infallible> {
        self.write(offset, value.to_le());
        Ok(())
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
    fn out_of_window_and_misaligned_accesses_touch_nothing() {
        let mut ram = [0u32; 4];
        let mut m = window(&mut ram);
        assert_eq!(m.read32(16).unwrap(), u32::MAX);
        assert_eq!(m.read32(13).unwrap(), u32::MAX);
        assert_eq!(m.read16(15).unwrap(), u16::MAX);
        assert_eq!(m.read8(u32::MAX).unwrap(), u8::MAX);
        m.write32(14, 1).unwrap();
        m.write32(16, 1).unwrap();
        m.write8(16, 1).unwrap();
        assert_eq!(ram, [0; 4]);
    }
}
