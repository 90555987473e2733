//! What the fuzz targets share: a transport that answers with fuzzer bytes, a register bus
//! whose every read returns fuzzer bytes, an instant clock, and short deadlines.

use embedded_hal::delay::DelayNs;
use tpm2_tis::{RegisterAccess, Timeouts};
use tpm2_wire::{Transport, TransportError, TransportErrorKind};

/// A clock whose pauses take no time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Instant;

impl DelayNs for Instant {
    fn delay_ns(&mut self, _: u32) {}
}

/// Never happens.
#[derive(Debug)]
pub struct Never;

impl core::fmt::Display for Never {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("never")
    }
}

impl TransportError for Never {
    fn kind(&self) -> TransportErrorKind {
        TransportErrorKind::Other
    }
}

/// Answers every command with the same fuzzer-chosen bytes.
#[derive(Debug)]
pub struct Replay<'a>(pub &'a [u8]);

impl Transport for Replay<'_> {
    type Error = Never;
    fn transact<'b>(&mut self, buf: &'b mut [u8], _: usize) -> Result<&'b [u8], Never> {
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        Ok(&buf[..n])
    }
}

/// A register window whose reads return fuzzer-chosen bytes in turn (all-ones once they run
/// out) and whose writes go nowhere.
#[derive(Debug)]
pub struct FuzzBus<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> FuzzBus<'a> {
    /// A bus reading `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn next<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0xFF; N];
        for b in &mut out {
            if let Some(v) = self.data.get(self.pos) {
                *b = *v;
                self.pos += 1;
            }
        }
        out
    }
}

impl RegisterAccess for FuzzBus<'_> {
    type Error = core::convert::Infallible;
    fn read8(&mut self, _: u32) -> Result<u8, Self::Error> {
        Ok(self.next::<1>()[0])
    }
    fn read16(&mut self, _: u32) -> Result<u16, Self::Error> {
        Ok(u16::from_le_bytes(self.next()))
    }
    fn read32(&mut self, _: u32) -> Result<u32, Self::Error> {
        Ok(u32::from_le_bytes(self.next()))
    }
    fn write8(&mut self, _: u32, _: u8) -> Result<(), Self::Error> {
        Ok(())
    }
    fn write16(&mut self, _: u32, _: u16) -> Result<(), Self::Error> {
        Ok(())
    }
    fn write32(&mut self, _: u32, _: u32) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Deadlines of a millisecond, so that a wait the fuzzer keeps unsatisfied ends quickly.
pub const SHORT: Timeouts = Timeouts {
    a_us: 1_000,
    b_us: 1_000,
    c_us: 1_000,
    d_us: 1_000,
};

/// Every command may take a millisecond.
#[must_use]
pub fn short_duration(_: tpm2_wire::CommandCode) -> u32 {
    1
}

/// A GetRandom command in `buf`, returning its length.
#[must_use]
pub fn get_random(buf: &mut [u8]) -> usize {
    let mut cmd = tpm2_wire::CommandWriter::new(buf, tpm2_wire::CommandCode::GET_RANDOM).unwrap();
    cmd.param(&16u16).unwrap();
    cmd.finish().unwrap()
}
