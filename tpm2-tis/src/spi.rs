//! The TPM SPI protocol (TCG PC Client PTP, "TPM SPI interface"), as a [`RegisterAccess`]:
//! the same FIFO driver runs over it as over MMIO.
//!
//! Each access is one frame under one chip-select assertion: a 4-byte header (bit 7 read,
//! bits 5:0 length − 1, then the 24-bit address 0xD4_0000 + locality × 0x1000 + register),
//! flow control (while the MISO byte clocked with the last header byte has bit 0 clear, the
//! TPM inserts wait states: the host reads single bytes until bit 0 is set, bounded), then
//! 1 to 64 data bytes. FIFO bursts go in frames of up to 64 bytes.
//!
//! [`Spi`] drives an [`SpiBus`] and the chip-select pin itself, because an
//! [`SpiDevice`] transaction is a fixed list of operations that cannot poll for wait states
//! inside one assertion. [`SpiNoWait`] uses an [`SpiDevice`] for parts that never insert wait
//! states (Infineon SLB 9670): a wait state there is a typed error, never a wrong value.

use core::fmt;

use embedded_hal::digital::OutputPin;
use embedded_hal::spi::{Operation, SpiBus, SpiDevice};

use crate::RegisterAccess;

/// The most data bytes in one frame.
pub const MAX_FRAME: usize = 64;
/// The address bits 23:16 of every TPM register on SPI.
const ADDRESS_HIGH: u8 = 0xD4;

/// Why an SPI register access failed. Chip select is deasserted in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SpiError<B, P> {
    /// The SPI bus failed.
    Bus(B),
    /// The chip-select pin failed.
    ChipSelect(P),
    /// The TPM kept inserting wait states past the limit.
    WaitStates {
        /// The single-byte polls made.
        polls: u16,
    },
    /// The TPM inserted a wait state on an [`SpiNoWait`] bus, which cannot poll: the
    /// frame's data is not valid.
    WaitStateNotSupported,
}

impl<B: fmt::Debug, P: fmt::Debug> fmt::Display for SpiError<B, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bus(e) => write!(f, "SPI bus error: {e:?}"),
            Self::ChipSelect(e) => write!(f, "chip-select pin error: {e:?}"),
            Self::WaitStates { polls } => {
                write!(f, "the TPM held the bus in wait states for {polls} polls")
            }
            Self::WaitStateNotSupported => f.write_str(
                "the TPM inserted a wait state, which this bus (SpiDevice) cannot poll for",
            ),
        }
    }
}

/// The frame header for an access of `len` (1..=64) bytes at `offset`.
fn header(read: bool, offset: u32, len: usize) -> [u8; 4] {
    let size = u8::try_from(len.clamp(1, MAX_FRAME) - 1).unwrap_or(0);
    let [_, _, mid, low] = offset.to_be_bytes();
    [if read { 0x80 } else { 0 } | size, ADDRESS_HIGH, mid, low]
}

/// The data phase of a frame.
enum Data<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

/// A TPM on an SPI bus, with the chip-select pin driven here.
#[derive(Debug)]
pub struct Spi<B, Cs> {
    bus: B,
    cs: Cs,
    max_wait_polls: u16,
    frames: u32,
}

impl<B: SpiBus, Cs: OutputPin> Spi<B, Cs> {
    /// The TPM behind `bus`, selected by `cs` (active low). Wait states are polled up to 50
    /// times per frame, as Linux does.
    pub fn new(bus: B, cs: Cs) -> Self {
        Self {
            bus,
            cs,
            max_wait_polls: 50,
            frames: 0,
        }
    }

    /// Sets the most single-byte polls for the ready bit in one frame.
    #[must_use]
    pub const fn with_max_wait_polls(mut self, polls: u16) -> Self {
        self.max_wait_polls = polls;
        self
    }

    /// The frames (chip-select assertions) made so far.
    pub const fn frames(&self) -> u32 {
        self.frames
    }

    /// Gives the bus and the pin back.
    pub fn into_parts(self) -> (B, Cs) {
        (self.bus, self.cs)
    }

    fn frame(&mut self, offset: u32, data: Data<'_>) -> Result<(), SpiError<B::Error, Cs::Error>> {
        self.frames = self.frames.saturating_add(1);
        self.cs.set_low().map_err(SpiError::ChipSelect)?;
        let result = self.exchange(offset, data);
        let flushed = self.bus.flush().map_err(SpiError::Bus);
        // Deassert on every path; the first error wins.
        let released = self.cs.set_high().map_err(SpiError::ChipSelect);
        result.and(flushed).and(released)
    }

    fn exchange(
        &mut self,
        offset: u32,
        data: Data<'_>,
    ) -> Result<(), SpiError<B::Error, Cs::Error>> {
        let (read, len) = match &data {
            Data::Read(d) => (true, d.len()),
            Data::Write(d) => (false, d.len()),
        };
        let header = header(read, offset, len);
        let mut miso = [0u8; 4];
        self.bus
            .transfer(&mut miso, &header)
            .map_err(SpiError::Bus)?;
        let mut ready = miso[3] & 1 != 0;
        let mut polls = 0;
        while !ready {
            if polls >= self.max_wait_polls {
                return Err(SpiError::WaitStates { polls });
            }
            let mut byte = [0u8];
            self.bus.read(&mut byte).map_err(SpiError::Bus)?;
            polls += 1;
            ready = byte[0] & 1 != 0;
        }
        match data {
            Data::Read(dst) => self.bus.read(dst),
            Data::Write(src) => self.bus.write(src),
        }
        .map_err(SpiError::Bus)
    }
}

/// A TPM on an [`SpiDevice`] (chip select driven by the device), for parts that never
/// insert wait states: each frame is one transaction.
#[derive(Debug)]
pub struct SpiNoWait<Dev> {
    device: Dev,
    frames: u32,
}

impl<Dev: SpiDevice> SpiNoWait<Dev> {
    /// The TPM behind `device`.
    pub const fn new(device: Dev) -> Self {
        Self { device, frames: 0 }
    }

    /// The frames made so far.
    pub const fn frames(&self) -> u32 {
        self.frames
    }

    fn frame(
        &mut self,
        offset: u32,
        data: Data<'_>,
    ) -> Result<(), SpiError<Dev::Error, core::convert::Infallible>> {
        self.frames = self.frames.saturating_add(1);
        let (read, len) = match &data {
            Data::Read(d) => (true, d.len()),
            Data::Write(d) => (false, d.len()),
        };
        let header = header(read, offset, len);
        let mut miso = [0u8; 4];
        let data_op = match data {
            Data::Read(dst) => Operation::Read(dst),
            Data::Write(src) => Operation::Write(src),
        };
        let mut ops = [Operation::Transfer(&mut miso, &header), data_op];
        self.device.transaction(&mut ops).map_err(SpiError::Bus)?;
        if miso[3] & 1 == 0 {
            return Err(SpiError::WaitStateNotSupported);
        }
        Ok(())
    }
}

macro_rules! spi_register_access {
    ($ty:ident < $($g:ident),* >, $err:ty, where $($bounds:tt)*) => {
        impl<$($g),*> RegisterAccess for $ty<$($g),*> where $($bounds)* {
            type Error = $err;

            fn read8(&mut self, offset: u32) -> Result<u8, Self::Error> {
                let mut b = [0u8; 1];
                self.frame(offset, Data::Read(&mut b))?;
                Ok(b[0])
            }
            fn read16(&mut self, offset: u32) -> Result<u16, Self::Error> {
                let mut b = [0u8; 2];
                self.frame(offset, Data::Read(&mut b))?;
                Ok(u16::from_le_bytes(b))
            }
            fn read32(&mut self, offset: u32) -> Result<u32, Self::Error> {
                let mut b = [0u8; 4];
                self.frame(offset, Data::Read(&mut b))?;
                Ok(u32::from_le_bytes(b))
            }
            fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error> {
                self.frame(offset, Data::Write(&[value]))
            }
            fn write16(&mut self, offset: u32, value: u16) -> Result<(), Self::Error> {
                self.frame(offset, Data::Write(&value.to_le_bytes()))
            }
            fn write32(&mut self, offset: u32, value: u32) -> Result<(), Self::Error> {
                self.frame(offset, Data::Write(&value.to_le_bytes()))
            }
            fn read_fifo(&mut self, offset: u32, dst: &mut [u8], _: bool) -> Result<(), Self::Error> {
                for chunk in dst.chunks_mut(MAX_FRAME) {
                    self.frame(offset, Data::Read(chunk))?;
                }
                Ok(())
            }
            fn write_fifo(&mut self, offset: u32, src: &[u8], _: bool) -> Result<(), Self::Error> {
                for chunk in src.chunks(MAX_FRAME) {
                    self.frame(offset, Data::Write(chunk))?;
                }
                Ok(())
            }
        }
    };
}

spi_register_access!(Spi<B, Cs>, SpiError<B::Error, Cs::Error>, where B: SpiBus, Cs: OutputPin);
spi_register_access!(
    SpiNoWait<Dev>,
    SpiError<Dev::Error, core::convert::Infallible>,
    where Dev: SpiDevice
);
