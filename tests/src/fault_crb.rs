//! A fault-injecting model of a CRB TPM: START that never clears, a fatal tpmSts, cmdReady
//! never acknowledged, buffers outside the window, oversized responses, a locality never
//! granted. Like the FIFO model, it complements QEMU's tpm-crb, it does not replace it.

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
    /// The command buffer is advertised outside the 0x5000-byte window.
    BufferOutsideWindow,
    /// The command and response buffers start together with different sizes.
    OverlappingBuffers,
    /// The locality is never granted.
    LocalityNeverGranted,
    /// Nothing at the address: every register reads all-ones.
    NoTpm,
    /// Both buffers start at window offset 0x82, not 4-byte aligned: a 32-bit access there
    /// is one a CPU's MMIO may not make, so the model counts it in `misaligned`.
    MisalignedBuffers,
}

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

    /// Where both buffers start in the window.
    const fn buffer(&self) -> u32 {
        match self.fault {
            CrbFault::MisalignedBuffers => 0x82,
            _ => regs::DATA_BUFFER,
        }
    }

    fn count_misaligned(&mut self, offset: u32, width: u32) {
        if !offset.is_multiple_of(width) {
            self.misaligned += 1;
        }
    }

    fn read_reg(&self, offset: u32) -> u32 {
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
            regs::CTRL_START => u32::from(self.start),
            regs::CTRL_CMD_SIZE => 0x1000 - self.buffer(),
            regs::CTRL_CMD_LADDR => match self.fault {
                CrbFault::BufferOutsideWindow => 0xFED4_6000,
                _ => 0xFED4_0000 + self.buffer(),
            },
            regs::CTRL_RSP_SIZE => match self.fault {
                CrbFault::OverlappingBuffers => 0x800,
                _ => 0x1000 - self.buffer(),
            },
            regs::CTRL_RSP_ADDR => 0xFED4_0000 + self.buffer(),
            _ => 0,
        }
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
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
                    } else {
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
            regs::CTRL_START if self.assigned && value & 1 != 0 && !self.idle => {
                self.starts += 1;
                self.start = true;
                if self.fault != CrbFault::StartNeverClears {
                    let at = self.buffer() as usize;
                    self.memory[at..at + self.response.len()].copy_from_slice(&self.response);
                    self.fatal = self.fault == CrbFault::TpmStsFatal;
                    self.start = false;
                }
            }
            _ => {}
        }
    }

    fn in_buffer(offset: u32, width: u32) -> bool {
        offset >= regs::DATA_BUFFER && offset + width <= 0x1000
    }
}

impl RegisterAccess for FaultCrb {
    type Error = core::convert::Infallible;

    fn read8(&mut self, offset: u32) -> Result<u8, Self::Error> {
        if Self::in_buffer(offset, 1) {
            return Ok(self.memory[offset as usize]);
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
        if Self::in_buffer(offset, 4) {
            let o = offset as usize;
            return Ok(u32::from_le_bytes(
                self.memory[o..o + 4].try_into().unwrap(),
            ));
        }
        Ok(self.read_reg(offset))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error> {
        self.writes += 1;
        if Self::in_buffer(offset, 1) {
            self.memory[offset as usize] = value;
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
        if Self::in_buffer(offset, 4) {
            let o = offset as usize;
            self.memory[o..o + 4].copy_from_slice(&value.to_le_bytes());
        } else {
            self.write_reg(offset, value);
        }
        Ok(())
    }
}
