//! The TCG I2C interface (PC Client PTP §8, TCG TPM I2C Interface 1.00) as a
//! [`RegisterAccess`]: the FIFO driver runs over it unchanged, and what differs from the
//! TIS register set is translated here.
//!
//! - Registers are one-byte numbers without locality bits: the locality is chosen by
//!   writing TPM_LOC_SEL (0x00) when it changes. ACCESS moves to 0x04, DID_VID to 0x48, RID
//!   to 0x4C; STS (0x18) and DATA_FIFO (0x24) keep their numbers.
//! - There is no INTERFACE_ID or INTF_CAPABILITY: this layer answers them from
//!   TPM_I2C_INTERFACE_CAPABILITY (0x30) as a PTP FIFO interface would, so the probe and the
//!   driver see a FIFO.
//! - A register read is two messages (the register number, then the read), a write one
//!   message; FIFO data moves in messages of at most 32 bytes, as Linux does for the I2C
//!   controllers that cannot do more. After every message the guard time is waited: 250 µs
//!   until the capability register has been read (PTP §8.1.10), then the TPM's own.
//! - A NACK (a TPM still busy) is retried after 250 µs, a bounded number of times.

use core::fmt;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::{Error as _, ErrorKind, I2c as I2cBus};

use crate::RegisterAccess;
use crate::regs::{INTERFACE_ID, fifo};

/// The usual I2C address of a TPM (SLB 9673, NPCT75x, ST33KTPM).
pub const DEFAULT_ADDRESS: u8 = 0x2E;
/// The most data bytes moved in one message.
pub const MAX_MESSAGE: usize = 32;
/// The guard time before the capability register was read, in µs.
const INITIAL_GUARD_US: u32 = 250;

/// I2C register numbers.
pub mod reg {
    /// TPM_LOC_SEL.
    pub const LOC_SEL: u8 = 0x00;
    /// TPM_ACCESS.
    pub const ACCESS: u8 = 0x04;
    /// TPM_INT_ENABLE.
    pub const INT_ENABLE: u8 = 0x08;
    /// TPM_INT_STATUS.
    pub const INT_STATUS: u8 = 0x10;
    /// TPM_STS.
    pub const STS: u8 = 0x18;
    /// TPM_DATA_FIFO.
    pub const DATA_FIFO: u8 = 0x24;
    /// TPM_I2C_INTERFACE_CAPABILITY.
    pub const CAPABILITY: u8 = 0x30;
    /// TPM_DATA_CSUM_ENABLE.
    pub const CSUM_ENABLE: u8 = 0x40;
    /// TPM_DID_VID.
    pub const DID_VID: u8 = 0x48;
    /// TPM_RID.
    pub const RID: u8 = 0x4C;
}

/// Why an I2C register access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum I2cError<E> {
    /// The I2C bus failed.
    Bus(E),
    /// The TPM did not acknowledge, on every retry.
    Nack {
        /// The messages tried.
        tries: u8,
    },
    /// A TIS register with no I2C counterpart was asked for.
    Unmapped {
        /// The TIS offset.
        offset: u32,
    },
}

impl<E: fmt::Debug> fmt::Display for I2cError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bus(e) => write!(f, "I2C bus error: {e:?}"),
            Self::Nack { tries } => write!(f, "the TPM did not acknowledge {tries} messages"),
            Self::Unmapped { offset } => {
                write!(f, "TIS register {offset:#x} has no I2C counterpart")
            }
        }
    }
}

/// The guard times from TPM_I2C_INTERFACE_CAPABILITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Guard {
    after_read_us: u32,
    after_write_us: u32,
}

impl Guard {
    const INITIAL: Self = Self {
        after_read_us: INITIAL_GUARD_US,
        after_write_us: INITIAL_GUARD_US,
    };

    /// GUARD_TIME (bits 16:9) and the RR / RW (after a read) and WR / WW (after a write)
    /// flags (bits 20:17).
    const fn from_capability(cap: u32) -> Self {
        let time = (cap >> 9) & 0xFF;
        let (ww, wr, rw, rr) = (cap & 1 << 17, cap & 1 << 18, cap & 1 << 19, cap & 1 << 20);
        Self {
            after_read_us: if rr != 0 || rw != 0 { time } else { 0 },
            after_write_us: if wr != 0 || ww != 0 { time } else { 0 },
        }
    }
}

/// Where a TIS access goes on I2C.
enum Target {
    Register(u8),
    /// INTERFACE_ID, answered from the I2C capability.
    InterfaceId,
    /// INTF_CAPABILITY, answered from the I2C capability.
    IntfCapability,
}

/// A TPM on an I2C bus at `address`.
#[derive(Debug)]
pub struct I2c<I, D> {
    bus: I,
    delay: D,
    address: u8,
    guard: Guard,
    capability: Option<u32>,
    locality: Option<u8>,
    tries: u8,
    messages: u32,
}

impl<I: I2cBus, D: DelayNs> I2c<I, D> {
    /// The TPM at `address` (usually [`DEFAULT_ADDRESS`]) on `i2c`, waiting guard times with
    /// `delay`. NACKed messages are tried up to 10 times.
    pub const fn new(i2c: I, delay: D, address: u8) -> Self {
        Self {
            bus: i2c,
            delay,
            address,
            guard: Guard::INITIAL,
            capability: None,
            locality: None,
            tries: 10,
            messages: 0,
        }
    }

    /// The I2C messages sent so far.
    pub const fn messages(&self) -> u32 {
        self.messages
    }

    /// The bus.
    pub fn bus_mut(&mut self) -> &mut I {
        &mut self.bus
    }

    /// Gives the bus and the delay back.
    pub fn into_parts(self) -> (I, D) {
        (self.bus, self.delay)
    }

    /// One message, retried on NACK, followed by its guard time.
    fn message(
        &mut self,
        read: bool,
        mut op: impl FnMut(&mut I, u8) -> Result<(), I::Error>,
    ) -> Result<(), I2cError<I::Error>> {
        let mut tries = 0;
        loop {
            tries += 1;
            self.messages = self.messages.saturating_add(1);
            let result = op(&mut self.bus, self.address);
            let guard = if read {
                self.guard.after_read_us
            } else {
                self.guard.after_write_us
            };
            match result {
                Ok(()) => {
                    self.delay.delay_us(guard);
                    return Ok(());
                }
                Err(e) if matches!(e.kind(), ErrorKind::NoAcknowledge(_)) => {
                    if tries >= self.tries {
                        return Err(I2cError::Nack { tries });
                    }
                    self.delay.delay_us(INITIAL_GUARD_US.max(guard));
                }
                Err(e) => return Err(I2cError::Bus(e)),
            }
        }
    }

    fn read_reg(&mut self, reg: u8, dst: &mut [u8]) -> Result<(), I2cError<I::Error>> {
        self.message(false, |i2c, a| i2c.write(a, &[reg]))?;
        self.message(true, |i2c, a| i2c.read(a, dst))
    }

    fn write_reg(&mut self, reg: u8, src: &[u8]) -> Result<(), I2cError<I::Error>> {
        let mut frame = [0u8; MAX_MESSAGE + 1];
        let len = src.len().min(MAX_MESSAGE);
        if let (Some((first, rest)), Some(src)) = (frame.split_first_mut(), src.get(..len)) {
            *first = reg;
            for (d, s) in rest.iter_mut().zip(src) {
                *d = *s;
            }
        }
        let frame = frame.get(..=len).unwrap_or_default();
        self.message(false, |i2c, a| i2c.write(a, frame))
    }

    /// TPM_I2C_INTERFACE_CAPABILITY, read once; reading it sets the guard times.
    fn capability(&mut self) -> Result<u32, I2cError<I::Error>> {
        if let Some(cap) = self.capability {
            return Ok(cap);
        }
        let mut b = [0u8; 4];
        self.read_reg(reg::CAPABILITY, &mut b)?;
        let cap = u32::from_le_bytes(b);
        self.guard = Guard::from_capability(cap);
        self.capability = Some(cap);
        Ok(cap)
    }

    /// Selects the locality of `offset` and says where the access goes.
    fn target(&mut self, offset: u32) -> Result<Target, I2cError<I::Error>> {
        let locality = u8::try_from(offset >> 12).unwrap_or(u8::MAX);
        let target = match offset & 0xFFF {
            fifo::ACCESS => Target::Register(reg::ACCESS),
            r @ fifo::STS..=0x1B => Target::Register(u8::try_from(r).unwrap_or(reg::STS)),
            fifo::DATA_FIFO | fifo::XDATA_FIFO => Target::Register(reg::DATA_FIFO),
            fifo::INT_ENABLE => Target::Register(reg::INT_ENABLE),
            fifo::INT_STATUS => Target::Register(reg::INT_STATUS),
            fifo::INTF_CAPABILITY => return Ok(Target::IntfCapability),
            INTERFACE_ID => return Ok(Target::InterfaceId),
            fifo::DID_VID => Target::Register(reg::DID_VID),
            fifo::RID => Target::Register(reg::RID),
            _ => return Err(I2cError::Unmapped { offset }),
        };
        if self.locality != Some(locality) {
            // The capability is read first: it sets the guard times (PTP §8.1.10).
            self.capability()?;
            self.write_reg(reg::LOC_SEL, &[locality])?;
            self.locality = Some(locality);
        }
        Ok(target)
    }

    fn read_bytes(&mut self, offset: u32, dst: &mut [u8]) -> Result<(), I2cError<I::Error>> {
        let value = match self.target(offset)? {
            Target::Register(r) => return self.read_reg(r, dst),
            // A PTP FIFO interface (type 0, CapFIFO), five localities if the TPM has them.
            Target::InterfaceId => {
                let cap = self.capability()?;
                let localities = if cap & (0x3 << 25) != 0 { 1 << 8 } else { 0 };
                (1 << 13) | localities
            }
            // InterfaceVersion 3 (PTP), 32-byte transfers, burstCountStatic from bit 29.
            Target::IntfCapability => {
                let cap = self.capability()?;
                let burst_static = if cap & (1 << 29) != 0 { 1 << 8 } else { 0 };
                (3 << 28) | (2 << 9) | burst_static
            }
        };
        for (d, s) in dst.iter_mut().zip(u32::to_le_bytes(value)) {
            *d = s;
        }
        Ok(())
    }

    fn write_bytes(&mut self, offset: u32, src: &[u8]) -> Result<(), I2cError<I::Error>> {
        match self.target(offset)? {
            Target::Register(r) => self.write_reg(r, src),
            Target::InterfaceId | Target::IntfCapability => Ok(()),
        }
    }
}

impl<I: I2cBus, D: DelayNs> RegisterAccess for I2c<I, D> {
    type Error = I2cError<I::Error>;

    fn read8(&mut self, offset: u32) -> Result<u8, Self::Error> {
        let mut b = [0u8; 1];
        self.read_bytes(offset, &mut b)?;
        Ok(u8::from_le_bytes(b))
    }
    fn read16(&mut self, offset: u32) -> Result<u16, Self::Error> {
        let mut b = [0u8; 2];
        self.read_bytes(offset, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    fn read32(&mut self, offset: u32) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.read_bytes(offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error> {
        self.write_bytes(offset, &[value])
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), Self::Error> {
        self.write_bytes(offset, &value.to_le_bytes())
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), Self::Error> {
        self.write_bytes(offset, &value.to_le_bytes())
    }
    fn read_fifo(&mut self, offset: u32, dst: &mut [u8], _: bool) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(MAX_MESSAGE) {
            self.read_bytes(offset, chunk)?;
        }
        Ok(())
    }
    fn write_fifo(&mut self, offset: u32, src: &[u8], _: bool) -> Result<(), Self::Error> {
        for chunk in src.chunks(MAX_MESSAGE - 1) {
            self.write_bytes(offset, chunk)?;
        }
        Ok(())
    }
}
