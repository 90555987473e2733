//! The register-access trait both drivers are generic over.

use core::fmt::Debug;

/// 8-, 16- and 32-bit accesses to a TPM's register window, at byte offsets from its base
/// (0xFED40000 on a PC).
///
/// Every access takes `&mut self`: reading the FIFO pops data, so even reads have side
/// effects. Multi-byte values are little-endian on the bus, as the TPM's registers are;
/// an implementation converts to and from native integers.
///
/// Implemented by [`Mmio`](crate::Mmio) for memory-mapped hardware, by the QEMU qtest bus in
/// the tests, and by anything else that can reach the registers (an SPI or I2C TIS bridge).
pub trait RegisterAccess {
    /// The bus's error; [`Infallible`](core::convert::Infallible) for memory-mapped I/O.
    type Error: Debug;

    /// Reads one byte.
    fn read8(&mut self, offset: u32) -> Result<u8, Self::Error>;
    /// Reads a little-endian 16-bit value.
    fn read16(&mut self, offset: u32) -> Result<u16, Self::Error>;
    /// Reads a little-endian 32-bit value.
    fn read32(&mut self, offset: u32) -> Result<u32, Self::Error>;
    /// Writes one byte.
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error>;
    /// Writes a little-endian 16-bit value.
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), Self::Error>;
    /// Writes a little-endian 32-bit value.
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), Self::Error>;

    /// Reads `dst.len()` bytes from the data FIFO register at `offset` (every byte from the
    /// same register, which pops one each time): 32-bit accesses where `wide` says the
    /// interface allows them, bytes otherwise. A serial bus overrides it to move a whole
    /// burst in as few frames as it allows.
    fn read_fifo(&mut self, offset: u32, dst: &mut [u8], wide: bool) -> Result<(), Self::Error> {
        let mut rest = dst;
        if wide {
            let mut words = rest.chunks_exact_mut(4);
            for word in &mut words {
                let v = self.read32(offset)?;
                for (d, s) in word.iter_mut().zip(v.to_le_bytes()) {
                    *d = s;
                }
            }
            rest = words.into_remainder();
        }
        for b in rest {
            *b = self.read8(offset)?;
        }
        Ok(())
    }

    /// Writes `src` into the data FIFO register at `offset`, as [`RegisterAccess::read_fifo`]
    /// reads.
    fn write_fifo(&mut self, offset: u32, src: &[u8], wide: bool) -> Result<(), Self::Error> {
        let (words, tail) = if wide {
            let words = src.chunks_exact(4);
            let tail = words.remainder();
            (Some(words), tail)
        } else {
            (None, src)
        };
        for word in words.into_iter().flatten() {
            let word = <[u8; 4]>::try_from(word).unwrap_or_default();
            self.write32(offset, u32::from_le_bytes(word))?;
        }
        for &b in tail {
            self.write8(offset, b)?;
        }
        Ok(())
    }
}

impl<T: RegisterAccess + ?Sized> RegisterAccess for &mut T {
    type Error = T::Error;
    fn read8(&mut self, offset: u32) -> Result<u8, Self::Error> {
        (**self).read8(offset)
    }
    fn read16(&mut self, offset: u32) -> Result<u16, Self::Error> {
        (**self).read16(offset)
    }
    fn read32(&mut self, offset: u32) -> Result<u32, Self::Error> {
        (**self).read32(offset)
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error> {
        (**self).write8(offset, value)
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), Self::Error> {
        (**self).write16(offset, value)
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), Self::Error> {
        (**self).write32(offset, value)
    }
    fn read_fifo(&mut self, offset: u32, dst: &mut [u8], wide: bool) -> Result<(), Self::Error> {
        (**self).read_fifo(offset, dst, wide)
    }
    fn write_fifo(&mut self, offset: u32, src: &[u8], wide: bool) -> Result<(), Self::Error> {
        (**self).write_fifo(offset, src, wide)
    }
}

/// Copies `src` to the register window from `offset` on (a CRB buffer), with 32-bit accesses
/// where the offset is 4-byte aligned and byte accesses elsewhere: every access is aligned
/// to its width, as a CPU's MMIO requires, whatever the offset and length.
pub fn write_block<B: RegisterAccess + ?Sized>(
    bus: &mut B,
    offset: u32,
    src: &[u8],
) -> Result<(), B::Error> {
    let mut at = offset;
    let mut rest = src;
    while let Some((&byte, after_byte)) = rest.split_first() {
        match rest.split_first_chunk::<4>() {
            Some((word, after_word)) if at.trailing_zeros() >= 2 => {
                bus.write32(at, u32::from_le_bytes(*word))?;
                at = at.wrapping_add(4);
                rest = after_word;
            }
            _ => {
                bus.write8(at, byte)?;
                at = at.wrapping_add(1);
                rest = after_byte;
            }
        }
    }
    Ok(())
}

/// Fills `dst` from the register window from `offset` on, with the same aligned accesses as
/// [`write_block`].
pub fn read_block<B: RegisterAccess + ?Sized>(
    bus: &mut B,
    offset: u32,
    dst: &mut [u8],
) -> Result<(), B::Error> {
    let mut done = 0;
    while let Some(rest) = dst.get_mut(done..).filter(|r| !r.is_empty()) {
        let at = offset.wrapping_add(done as u32);
        match rest.split_first_chunk_mut::<4>() {
            Some((word, _)) if at.trailing_zeros() >= 2 => {
                *word = bus.read32(at)?.to_le_bytes();
                done += 4;
            }
            _ => {
                if let Some(byte) = rest.first_mut() {
                    *byte = bus.read8(at)?;
                }
                done += 1;
            }
        }
    }
    Ok(())
}
