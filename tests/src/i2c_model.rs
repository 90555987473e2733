//! A TCG I2C TPM model: it maps the I2C register numbers onto a TIS register window (QEMU's
//! tpm-tis over qtest in the tests; QEMU 7.2 has no I2C TPM of its own), clears
//! STS.tpmFamily as QEMU's I2C front-end does, and enforces the guard time between messages
//! on a shared virtual clock: a message sent too early is NACKed, as a real TPM does.
//! NACKs can be injected.

use std::cell::Cell;
use std::rc::Rc;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use tpm2_tis::RegisterAccess;
use tpm2_tis::i2c::reg;
use tpm2_tis::regs::fifo;

/// Virtual time in nanoseconds, shared by the model and the delay the host waits with.
#[derive(Debug, Clone, Default)]
pub struct SharedClock(pub Rc<Cell<u64>>);

impl DelayNs for SharedClock {
    fn delay_ns(&mut self, ns: u32) {
        self.0.set(self.0.get() + u64::from(ns));
    }
}

/// An I2C failure the model reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum I2cFault {
    /// Not acknowledged.
    Nack,
    /// Something else.
    Other,
}

impl embedded_hal::i2c::Error for I2cFault {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Nack => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
            Self::Other => ErrorKind::Other,
        }
    }
}

/// The guard time the model's capability register announces, in µs.
pub const GUARD_US: u32 = 100;

/// The model.
#[derive(Debug)]
pub struct I2cTpm<B> {
    /// The TIS register window behind it.
    pub window: B,
    /// The clock the host delays with.
    pub clock: SharedClock,
    /// NACK this many of the next messages.
    pub nack_next: u32,
    /// Messages received (NACKed ones included).
    pub messages: u32,
    /// Register reads of STS (two messages each: the register number, then the data).
    pub sts_reads: u32,
    /// Messages NACKed because they came inside the guard time.
    pub guard_violations: u32,
    /// The I2C address it answers.
    pub address: u8,
    /// Guard time it needs beyond the one it announces, in µs: messages inside it are
    /// NACKed (a guard-time violation injected).
    pub extra_guard_us: u32,
    locality: u32,
    register: u8,
    last_message_ns: Option<u64>,
    capability_read: bool,
}

impl<B: RegisterAccess> I2cTpm<B> {
    /// A model at address 0x2E in front of `window`.
    pub fn new(window: B, clock: SharedClock) -> Self {
        Self {
            window,
            clock,
            nack_next: 0,
            messages: 0,
            sts_reads: 0,
            guard_violations: 0,
            address: tpm2_tis::i2c::DEFAULT_ADDRESS,
            extra_guard_us: 0,
            locality: 0,
            register: 0,
            last_message_ns: None,
            capability_read: false,
        }
    }

    /// TPM_I2C_INTERFACE_CAPABILITY: interface type 2, TPM 2.0, guard time after every
    /// direction, five localities.
    fn capability() -> u32 {
        2 | 1 << 7 | GUARD_US << 9 | 0xF << 17 | 1 << 25
    }

    /// The TIS offset of I2C register `r` (+ `i` bytes in), or `None` for LOC_SEL and the
    /// capability.
    fn tis_offset(&self, r: u8, i: u32) -> Option<u32> {
        let base = self.locality << 12;
        let tis = match r {
            reg::ACCESS => fifo::ACCESS,
            reg::INT_ENABLE => fifo::INT_ENABLE + i,
            reg::INT_STATUS => fifo::INT_STATUS + i,
            0x18..=0x1B => u32::from(r) + i,
            reg::DATA_FIFO => fifo::DATA_FIFO,
            reg::DID_VID => fifo::DID_VID + i,
            reg::RID => fifo::RID,
            _ => return None,
        };
        Some(base | tis)
    }

    fn guard_ok(&mut self) -> bool {
        let now = self.clock.0.get();
        let announced = if self.capability_read { GUARD_US } else { 250 };
        let guard_ns = u64::from(announced + self.extra_guard_us) * 1000;
        let ok = self
            .last_message_ns
            .is_none_or(|last| now >= last + guard_ns);
        if !ok {
            self.guard_violations += 1;
        }
        ok
    }

    fn message(&mut self, op: &mut Operation<'_>) -> Result<(), I2cFault> {
        self.messages += 1;
        if self.nack_next > 0 {
            self.nack_next -= 1;
            return Err(I2cFault::Nack);
        }
        if !self.guard_ok() {
            return Err(I2cFault::Nack);
        }
        match op {
            Operation::Write(bytes) => {
                let Some((&r, data)) = bytes.split_first() else {
                    return Err(I2cFault::Other);
                };
                self.register = r;
                if r == reg::LOC_SEL {
                    if let Some(&l) = data.first() {
                        self.locality = u32::from(l);
                    }
                } else if r != reg::CAPABILITY && r != reg::CSUM_ENABLE {
                    for (i, &b) in data.iter().enumerate() {
                        let at = self.tis_offset(r, i as u32).ok_or(I2cFault::Other)?;
                        self.window.write8(at, b).map_err(|_| I2cFault::Other)?;
                    }
                }
            }
            Operation::Read(buf) => {
                let r = self.register;
                if r == reg::STS {
                    self.sts_reads += 1;
                }
                if r == reg::CAPABILITY {
                    self.capability_read = true;
                    for (d, s) in buf.iter_mut().zip(Self::capability().to_le_bytes()) {
                        *d = s;
                    }
                } else {
                    for (i, d) in buf.iter_mut().enumerate() {
                        let at = self.tis_offset(r, i as u32).ok_or(I2cFault::Other)?;
                        let mut v = self.window.read8(at).map_err(|_| I2cFault::Other)?;
                        // QEMU's I2C front-end clears STS bits 31:26 (tpmFamily among them).
                        if r == reg::STS && i == 3 {
                            v &= 0x03;
                        }
                        *d = v;
                    }
                }
            }
        }
        self.last_message_ns = Some(self.clock.0.get());
        Ok(())
    }
}

impl<B> ErrorType for I2cTpm<B> {
    type Error = I2cFault;
}

impl<B: RegisterAccess> I2c for I2cTpm<B> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), I2cFault> {
        if address != self.address {
            return Err(I2cFault::Nack);
        }
        for op in operations {
            self.message(op)?;
        }
        Ok(())
    }
}
