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
    /// The bus's error: [`MmioError`](crate::MmioError) for memory-mapped I/O (an access outside
    /// the window or misaligned), the transfer's error for a serial bus.
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
    /// same register, which pops one each time): where `wide` says the interface allows
    /// transfers wider than a byte, 32-bit accesses and a 16-bit one for a tail of two or
    /// three bytes; bytes otherwise. A serial bus overrides it to move a whole burst in as
    /// few frames as it allows.
    fn read_fifo(&mut self, offset: u32, dst: &mut [u8], wide: bool) -> Result<(), Self::Error> {
        let mut rest = dst;
        if wide {
            let mut words = rest.chunks_exact_mut(4);
            for word in &mut words {
                word.copy_from_slice(&self.read32(offset)?.to_le_bytes());
            }
            rest = words.into_remainder();
            if let [lo, hi, after @ ..] = rest {
                [*lo, *hi] = self.read16(offset)?.to_le_bytes();
                rest = after;
            }
        }
        for b in rest {
            *b = self.read8(offset)?;
        }
        Ok(())
    }

    /// Writes `src` into the data FIFO register at `offset`, with the accesses
    /// [`RegisterAccess::read_fifo`] makes.
    fn write_fifo(&mut self, offset: u32, src: &[u8], wide: bool) -> Result<(), Self::Error> {
        let mut rest = src;
        if wide {
            let mut words = rest.chunks_exact(4);
            for word in &mut words {
                let word = <[u8; 4]>::try_from(word).unwrap_or_default();
                self.write32(offset, u32::from_le_bytes(word))?;
            }
            rest = words.remainder();
            if let Some((half, after)) = rest.split_first_chunk::<2>() {
                self.write16(offset, u16::from_le_bytes(*half))?;
                rest = after;
            }
        }
        for &b in rest {
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

/// The widest access, 4, 2 or 1 bytes, that is aligned at `at` and that `left` bytes fill.
const fn width(at: u32, left: usize) -> usize {
    match at.trailing_zeros() {
        2.. if left >= 4 => 4,
        1.. if left >= 2 => 2,
        _ => 1,
    }
}

/// Copies `src` to the register window from `offset` on (a CRB buffer), each access the
/// widest of 32, 16 and 8 bits that is aligned to its width, as a CPU's MMIO requires, and
/// that the bytes left fill: whatever the offset and length, as few accesses as alignment
/// allows.
pub fn write_block<B: RegisterAccess + ?Sized>(
    bus: &mut B,
    offset: u32,
    src: &[u8],
) -> Result<(), B::Error> {
    let mut at = offset;
    let mut rest = src;
    // `width` is at least 1, so the split fails once nothing is left.
    while let Some((chunk, after)) = rest.split_at_checked(width(at, rest.len())) {
        let mut le = [0u8; 4];
        for (d, s) in le.iter_mut().zip(chunk) {
            *d = *s;
        }
        let [b0, b1, ..] = le;
        match chunk.len() {
            4 => bus.write32(at, u32::from_le_bytes(le))?,
            2 => bus.write16(at, u16::from_le_bytes([b0, b1]))?,
            _ => bus.write8(at, b0)?,
        }
        at = at.wrapping_add(chunk.len() as u32);
        rest = after;
    }
    Ok(())
}

/// Fills `dst` from the register window from `offset` on, with the same accesses as
/// [`write_block`].
pub fn read_block<B: RegisterAccess + ?Sized>(
    bus: &mut B,
    offset: u32,
    dst: &mut [u8],
) -> Result<(), B::Error> {
    let mut at = offset;
    let mut rest = dst;
    while let Some((chunk, after)) = rest.split_at_mut_checked(width(at, rest.len())) {
        let le = match chunk.len() {
            4 => bus.read32(at)?.to_le_bytes(),
            2 => u32::from(bus.read16(at)?).to_le_bytes(),
            _ => u32::from(bus.read8(at)?).to_le_bytes(),
        };
        for (d, s) in chunk.iter_mut().zip(le) {
            *d = s;
        }
        at = at.wrapping_add(chunk.len() as u32);
        rest = after;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    /// Records every access as (offset, width in bytes); reads return the offset's low byte
    /// in every byte lane.
    #[derive(Default)]
    struct Log(Vec<(u32, u8)>);

    impl RegisterAccess for Log {
        type Error = core::convert::Infallible;
        fn read8(&mut self, o: u32) -> Result<u8, Self::Error> {
            self.0.push((o, 1));
            Ok(o as u8)
        }
        fn read16(&mut self, o: u32) -> Result<u16, Self::Error> {
            self.0.push((o, 2));
            Ok(u16::from_le_bytes([o as u8, o as u8 + 1]))
        }
        fn read32(&mut self, o: u32) -> Result<u32, Self::Error> {
            self.0.push((o, 4));
            Ok(u32::from_le_bytes([
                o as u8,
                o as u8 + 1,
                o as u8 + 2,
                o as u8 + 3,
            ]))
        }
        fn write8(&mut self, o: u32, _: u8) -> Result<(), Self::Error> {
            self.0.push((o, 1));
            Ok(())
        }
        fn write16(&mut self, o: u32, _: u16) -> Result<(), Self::Error> {
            self.0.push((o, 2));
            Ok(())
        }
        fn write32(&mut self, o: u32, _: u32) -> Result<(), Self::Error> {
            self.0.push((o, 4));
            Ok(())
        }
    }

    #[test]
    fn block_transfers_take_the_widest_aligned_access_the_bytes_fill() {
        let mut bus = Log::default();
        write_block(&mut bus, 0x81, &[0; 12]).unwrap();
        let expected = [(0x81, 1), (0x82, 2), (0x84, 4), (0x88, 4), (0x8C, 1)];
        assert_eq!(bus.0, expected);
        let mut bus = Log::default();
        let mut dst = [0u8; 12];
        read_block(&mut bus, 0x81, &mut dst).unwrap();
        assert_eq!(bus.0, expected);
        // Each byte came from its own offset, through whichever access covered it.
        let want: [u8; 12] = core::array::from_fn(|i| 0x81 + i as u8);
        assert_eq!(dst, want);
    }

    #[test]
    fn a_wide_fifo_moves_a_tail_of_two_or_three_bytes_with_one_16_bit_access() {
        for (len, widths) in [(7, &[4, 2, 1][..]), (6, &[4, 2]), (5, &[4, 1]), (1, &[1])] {
            let mut bus = Log::default();
            bus.write_fifo(0x24, &[0; 7][..len], true).unwrap();
            let got: Vec<u8> = bus
                .0
                .iter()
                .map(|&(o, w)| {
                    assert_eq!(o, 0x24, "every access is to the FIFO register");
                    w
                })
                .collect();
            assert_eq!(got, widths, "write of {len} bytes");
            let mut bus = Log::default();
            bus.read_fifo(0x24, &mut [0; 7][..len], true).unwrap();
            let got: Vec<u8> = bus.0.iter().map(|&(_, w)| w).collect();
            assert_eq!(got, widths, "read of {len} bytes");
            let mut bus = Log::default();
            bus.write_fifo(0x24, &[0; 7][..len], false).unwrap();
            assert!(
                bus.0.iter().all(|&(_, w)| w == 1),
                "a narrow FIFO moves bytes"
            );
        }
    }
}
