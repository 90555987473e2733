//! A fault-injecting model of a CRB TPM: START that never clears, a fatal tpmSts, cmdReady
//! never acknowledged, buffers outside the window, oversized responses, a locality never
//! granted. Like the FIFO model, it complements QEMU's tpm-crb, it does not replace it.

use std::sync::atomic::{AtomicU32, Ordering};

use tpm2_crb::BUFFER_WINDOW;
use tpm2_crb::regs::{self, ctrl_req, ctrl_sts, loc_ctrl, loc_state, loc_sts};
use tpm2_tis::RegisterAccess;

/// The physical base the model claims to be mapped at.
pub const BASE: u64 = 0xFED4_0000;

/// One way the model misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrbFault {
    /// Behaves.
    None,
    /// START never clears, not even after a cancel.
    StartNeverClears,
    /// CTRL_STS.tpmSts is set after the command.
    TpmStsFatal,
    /// CTRL_REQ.cmdReady never clears.
    CmdReadyNeverAcknowledged,
    /// cmdReady is acknowledged (the bit clears) but CTRL_STS.tpmIdle stays set, and START
    /// would be ignored while idle, leaving the command in the buffer the response fills.
    StaysIdle,
    /// The command buffer is advertised outside the 0x5000-byte window.
    BufferOutsideWindow,
    /// The command buffer is advertised in locality 1's page, over its registers (inside
    /// the mapped window, outside locality 0's data buffer).
    BufferOverLocality1,
    /// The command and response buffers start together with different sizes.
    OverlappingBuffers,
    /// The locality is never granted.
    LocalityNeverGranted,
    /// Nothing at the address: every register reads all-ones.
    NoTpm,
    /// Both buffers start at window offset 0x82, not 4-byte aligned: a 32-bit access there
    /// is one a CPU's MMIO may not make, so the model counts it in `misaligned`.
    MisalignedBuffers,
    /// Both buffers at 0x1_0000_0000, above 4 GiB and outside the register window: the
    /// model serves them at bus offsets from `BUFFER_WINDOW` on, as `TwoWindows` does.
    BuffersAbove4G,
    /// StartMethod ACPI Start: START alone does nothing; the command runs once the
    /// platform's `_DSM` ran ([`ACPI_DSM_CALLS`] counts it). cmdReady, goIdle and the
    /// locality registers are not for the driver to use (counted in `forbidden_writes`).
    AcpiStart,
}

/// How many times the platform's ACPI `_DSM` was evaluated: the test's start function
/// increments it, the model's [`CrbFault::AcpiStart`] runs a command after it changed.
pub static ACPI_DSM_CALLS: AtomicU32 = AtomicU32::new(0);

/// The model. Its public fields record what the driver did.
// Its booleans are the register bits it models.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub struct FaultCrb {
    /// The injected fault.
    pub fault: CrbFault,
    /// What every command is answered with.
    pub response: Vec<u8>,
    /// Register writes so far.
    pub writes: u64,
    /// START writes so far.
    pub starts: u32,
    /// 16- and 32-bit accesses that were not aligned to their width.
    pub misaligned: u32,
    /// Writes to LOC_CTRL or CTRL_REQ under [`CrbFault::AcpiStart`].
    pub forbidden_writes: u32,
    dsm_seen: u32,
    armed: bool,
    assigned: bool,
    idle: bool,
    start: bool,
    fatal: bool,
    cancel: bool,
    cmd_ready_pending: bool,
    memory: Vec<u8>,
}

impl FaultCrb {
    /// A model with `fault` that answers every command with a header-only success.
    #[must_use]
    pub fn new(fault: CrbFault) -> Self {
        Self {
            fault,
            response: vec![0x80, 0x01, 0, 0, 0, 0x0A, 0, 0, 0, 0],
            writes: 0,
            starts: 0,
            misaligned: 0,
            forbidden_writes: 0,
            dsm_seen: ACPI_DSM_CALLS.load(Ordering::SeqCst),
            armed: false,
            assigned: false,
            idle: true,
            start: false,
            fatal: false,
            cancel: false,
            cmd_ready_pending: false,
            memory: vec![0; 0x1000],
        }
    }

    /// Whether the TPM is idle.
    #[must_use]
    pub const fn is_idle(&self) -> bool {
        self.idle
    }

    /// Whether the locality is relinquished.
    #[must_use]
    pub const fn released(&self) -> bool {
        !self.assigned
    }

    /// Grants locality 0 before the driver starts, as firmware that ran first leaves it.
    pub fn grant(&mut self) {
        self.assigned = true;
    }

    /// Where both buffers start on the bus.
    const fn buffer(&self) -> u32 {
        match self.fault {
            CrbFault::MisalignedBuffers => 0x82,
            CrbFault::BuffersAbove4G => BUFFER_WINDOW,
            _ => regs::DATA_BUFFER,
        }
    }

    /// The physical address of the buffers.
    const fn buffer_address(&self) -> u64 {
        match self.fault {
            CrbFault::BuffersAbove4G => 0x1_0000_0000,
            _ => BASE + self.buffer() as u64,
        }
    }

    /// The buffers' size.
    const fn buffer_size(&self) -> u32 {
        match self.fault {
            CrbFault::BuffersAbove4G => 0x1000,
            _ => 0x1000 - self.buffer(),
        }
    }

    /// Runs the command: the response into the buffer, START cleared.
    fn execute(&mut self) {
        let at = (self.buffer() & !BUFFER_WINDOW) as usize;
        self.memory[at..at + self.response.len()].copy_from_slice(&self.response);
        self.fatal = self.fault == CrbFault::TpmStsFatal;
        self.start = false;
    }

    fn count_misaligned(&mut self, offset: u32, width: u32) {
        if !offset.is_multiple_of(width) {
            self.misaligned += 1;
        }
    }

    fn read_reg(&mut self, offset: u32) -> u32 {
        if self.fault == CrbFault::NoTpm {
            return u32::MAX;
        }
        match offset {
            regs::LOC_STATE => {
                loc_state::VALID
                    | if self.assigned {
                        loc_state::ASSIGNED
                    } else {
                        0
                    }
            }
            regs::LOC_STS => u32::from(self.assigned) * loc_sts::GRANTED,
            tpm2_tis::regs::INTERFACE_ID => 0x0002_5811,
            0x34 => 0x0000_1014,
            regs::CTRL_REQ => u32::from(self.cmd_ready_pending) * ctrl_req::CMD_READY,
            regs::CTRL_STS => {
                (u32::from(self.fatal) * ctrl_sts::FATAL) | (u32::from(self.idle) * ctrl_sts::IDLE)
            }
            regs::CTRL_CANCEL => u32::from(self.cancel),
            regs::CTRL_START => {
                let dsm = ACPI_DSM_CALLS.load(Ordering::SeqCst);
                if self.armed && dsm != self.dsm_seen {
                    self.dsm_seen = dsm;
                    self.armed = false;
                    self.execute();
                }
                u32::from(self.start)
            }
            regs::CTRL_CMD_SIZE => self.buffer_size(),
            regs::CTRL_CMD_LADDR => match self.fault {
                CrbFault::BufferOutsideWindow => 0xFED4_6000,
                CrbFault::BufferOverLocality1 => 0xFED4_1000,
                _ => self.buffer_address() as u32,
            },
            regs::CTRL_CMD_HADDR => (self.buffer_address() >> 32) as u32,
            regs::CTRL_RSP_SIZE => match self.fault {
                CrbFault::OverlappingBuffers => 0x800,
                _ => self.buffer_size(),
            },
            regs::CTRL_RSP_ADDR => self.buffer_address() as u32,
            o if o == regs::CTRL_RSP_ADDR + 4 => (self.buffer_address() >> 32) as u32,
            _ => 0,
        }
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
        if self.fault == CrbFault::AcpiStart && matches!(offset, regs::LOC_CTRL | regs::CTRL_REQ) {
            self.forbidden_writes += 1;
            return;
        }
        match offset {
            regs::LOC_CTRL => {
                if value & loc_ctrl::REQUEST_ACCESS != 0
                    && self.fault != CrbFault::LocalityNeverGranted
                {
                    self.assigned = true;
                }
                if value & loc_ctrl::RELINQUISH != 0 {
                    self.assigned = false;
                }
            }
            regs::CTRL_REQ if self.assigned => {
                if value & ctrl_req::CMD_READY != 0 {
                    if self.fault == CrbFault::CmdReadyNeverAcknowledged {
                        self.cmd_ready_pending = true;
                    } else if self.fault != CrbFault::StaysIdle {
                        self.idle = false;
                    }
                }
                if value & ctrl_req::GO_IDLE != 0 {
                    self.idle = true;
                    self.cmd_ready_pending = false;
                }
            }
            regs::CTRL_CANCEL if self.assigned => {
                self.cancel = value & 1 != 0;
                if self.cancel && self.fault != CrbFault::StartNeverClears {
                    self.start = false;
                }
            }
            regs::CTRL_START if self.fault == CrbFault::AcpiStart && value & 1 != 0 => {
                self.starts += 1;
                self.start = true;
                self.armed = true;
            }
            regs::CTRL_START if self.assigned && value & 1 != 0 && !self.idle => {
                self.starts += 1;
                self.start = true;
                if self.fault != CrbFault::StartNeverClears {
                    self.execute();
                }
            }
            _ => {}
        }
    }

    /// The model's memory index of a buffer access: the data area of the register window,
    /// or the buffer window (which the same memory stands for).
    fn in_buffer(offset: u32, width: u32) -> Option<usize> {
        let o = offset & !BUFFER_WINDOW;
        let window = offset & BUFFER_WINDOW != 0;
        ((window || o >= regs::DATA_BUFFER) && o + width <= 0x1000).then_some(o as usize)
    }
}

impl RegisterAccess for FaultCrb {
    type Error = core::convert::Infallible;

    fn read8(&mut self, offset: u32) -> Result<u8, Self::Error> {
        if let Some(o) = Self::in_buffer(offset, 1) {
            return Ok(self.memory[o]);
        }
        Ok(self.read_reg(offset & !3).to_le_bytes()[(offset & 3) as usize])
    }
    fn read16(&mut self, offset: u32) -> Result<u16, Self::Error> {
        self.count_misaligned(offset, 2);
        Ok(u16::from_le_bytes([
            self.read8(offset)?,
            self.read8(offset + 1)?,
        ]))
    }
    fn read32(&mut self, offset: u32) -> Result<u32, Self::Error> {
        self.count_misaligned(offset, 4);
        if let Some(o) = Self::in_buffer(offset, 4) {
            return Ok(u32::from_le_bytes(
                self.memory[o..o + 4].try_into().unwrap(),
            ));
        }
        Ok(self.read_reg(offset))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error> {
        self.writes += 1;
        if let Some(o) = Self::in_buffer(offset, 1) {
            self.memory[o] = value;
        }
        Ok(())
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), Self::Error> {
        self.count_misaligned(offset, 2);
        let [a, b] = value.to_le_bytes();
        self.write8(offset, a)?;
        self.write8(offset + 1, b)
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), Self::Error> {
        self.count_misaligned(offset, 4);
        self.writes += 1;
        if let Some(o) = Self::in_buffer(offset, 4) {
            self.memory[o..o + 4].copy_from_slice(&value.to_le_bytes());
        } else {
            self.write_reg(offset, value);
        }
        Ok(())
    }
}
