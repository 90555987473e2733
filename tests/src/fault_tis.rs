//! A fault-injecting model of a FIFO (TIS) TPM, for what no real peer does: stuck bits,
//! hostile sizes, lost localities. It complements QEMU's device model, it does not replace it.
//!
//! The model follows the PTP FIFO state machine (Idle, Ready, Reception, Execution,
//! Completion) with a 32-byte static burstCount, answers every command with
//! [`FaultTis::response`], and lets one [`TisFault`] break it.

use tpm2_tis::RegisterAccess;
use tpm2_tis::regs::fifo::{self, access, sts};

/// One way the model misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TisFault {
    /// Behaves.
    None,
    /// Nothing at the address: every register reads all-ones.
    NoTpm,
    /// STS reads all-ones although the locality is active.
    StsAllOnes,
    /// The locality request is never granted.
    LocalityNeverGranted,
    /// Locality 3 seizes the TPM when tpmGo is written.
    SeizedAtGo,
    /// burstCount stays 0.
    BurstCountStuckZero,
    /// burstCount reports far more than the FIFO holds.
    BurstCountHuge,
    /// Expect stays set after the last byte.
    ExpectNeverClears,
    /// Expect clears after the first byte, and burstCount is 8 while a command is received,
    /// so that a 12-byte command ends its first burst with bytes left that the TPM no longer
    /// expects.
    ExpectZeroTooEarly,
    /// The command never completes: dataAvail never sets.
    DataAvailNeverSet,
    /// dataAvail stays set after the last response byte.
    DataAvailStuck,
    /// INTERFACE_ID reads all-ones (type 0xF, TIS 1.3) on a TPM 2.0.
    InterfaceType0xF,
    /// A TPM 1.2: STS.tpmFamily 00, and every command answered with the TPM 1.2 tag 0x00C4
    /// (TPM_BADTAG), as a TPM 1.2 answers a TPM 2.0 command.
    Family12,
    /// A TIS 1.3 part (INTERFACE_ID all-ones, INTF_CAPABILITY version TIS 1.3) whose
    /// reserved STS.tpmFamily bits read 00, in front of a TPM 2.0.
    Tis13Family00,
    /// The Infineon quirk: after the first transfer of the first command stsValid does
    /// not appear until commandReady aborts the command.
    StsValidLateOnce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Ready,
    Reception,
    Execution,
    Completion,
}

const BURST: usize = 32;

/// The model. Its fields record what the driver left behind.
#[derive(Debug, Clone)]
pub struct FaultTis {
    /// The injected fault.
    pub fault: TisFault,
    /// What every command is answered with, once `script` is used up.
    pub response: Vec<u8>,
    /// Answers for the first commands, one each, before `response`.
    pub script: std::collections::VecDeque<Vec<u8>>,
    current: Vec<u8>,
    /// The commands received, in order.
    pub commands: Vec<Vec<u8>>,
    /// How many times tpmGo was written.
    pub go_count: u32,
    /// How many times commandCancel was written.
    pub cancel_count: u32,
    /// How many times responseRetry was written.
    pub retry_count: u32,
    active: Option<u8>,
    pending: [bool; 5],
    seized: [bool; 5],
    state: State,
    cmd: Vec<u8>,
    rsp_pos: usize,
    sts_valid_withheld: bool,
}

impl FaultTis {
    /// A model with `fault` that answers every command with a header-only success.
    #[must_use]
    pub fn new(fault: TisFault) -> Self {
        Self {
            fault,
            response: if fault == TisFault::Family12 {
                vec![0x00, 0xC4, 0, 0, 0, 0x0A, 0, 0, 0, 0x1E]
            } else {
                vec![0x80, 0x01, 0, 0, 0, 0x0A, 0, 0, 0, 0]
            },
            script: std::collections::VecDeque::new(),
            current: Vec::new(),
            commands: Vec::new(),
            go_count: 0,
            cancel_count: 0,
            retry_count: 0,
            active: None,
            pending: [false; 5],
            seized: [false; 5],
            state: State::Idle,
            cmd: Vec::new(),
            rsp_pos: 0,
            sts_valid_withheld: fault == TisFault::StsValidLateOnce,
        }
    }

    /// Grants locality `l` before the driver starts, as firmware that ran first leaves it.
    pub fn grant(&mut self, l: u8) {
        self.active = Some(l);
    }

    /// Whether locality `l` holds the TPM.
    #[must_use]
    pub fn holds(&self, l: u8) -> bool {
        self.active == Some(l)
    }

    /// Whether the TPM is idle or ready: no command half-sent, none running, no response
    /// waiting.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle | State::Ready)
    }

    /// Whether locality `l` neither holds the TPM nor waits for it.
    #[must_use]
    pub fn released(&self, l: u8) -> bool {
        self.active != Some(l) && !self.pending.get(usize::from(l)).copied().unwrap_or(false)
    }

    fn expected_len(&self) -> Option<usize> {
        let size = self.cmd.get(2..6)?;
        Some(u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize)
    }

    fn expect(&self) -> bool {
        match self.fault {
            TisFault::ExpectNeverClears => true,
            TisFault::ExpectZeroTooEarly => false,
            _ => self.expected_len().is_none_or(|n| self.cmd.len() < n),
        }
    }

    fn burst(&self) -> usize {
        match self.fault {
            TisFault::BurstCountStuckZero => 0,
            TisFault::BurstCountHuge => 0xFFFF,
            TisFault::ExpectZeroTooEarly if self.state != State::Completion => 8,
            _ => match self.state {
                State::Completion => self.current.len().saturating_sub(self.rsp_pos).min(BURST),
                _ => BURST,
            },
        }
    }

    fn sts(&self, l: u8) -> u32 {
        if self.fault == TisFault::StsAllOnes || self.active != Some(l) {
            return u32::MAX;
        }
        let family = if matches!(self.fault, TisFault::Family12 | TisFault::Tis13Family00) {
            0
        } else {
            1 << sts::FAMILY_SHIFT
        };
        let bits = match self.state {
            State::Idle => 0,
            State::Ready => sts::COMMAND_READY,
            State::Reception if self.sts_valid_withheld => 0,
            State::Reception => sts::VALID | if self.expect() { sts::EXPECT } else { 0 },
            State::Execution => sts::VALID,
            State::Completion => {
                let left = self.rsp_pos < self.current.len();
                sts::VALID
                    | if left || self.fault == TisFault::DataAvailStuck {
                        sts::DATA_AVAIL
                    } else {
                        0
                    }
            }
        };
        let burst = u32::try_from(self.burst()).unwrap_or(0) << sts::BURST_COUNT_SHIFT;
        family | bits | burst
    }

    fn access(&self, l: u8) -> u8 {
        let i = usize::from(l);
        let mut a = access::VALID;
        if self.active == Some(l) {
            a |= access::ACTIVE_LOCALITY;
        }
        if self.pending[i] {
            a |= access::REQUEST_USE;
        }
        if self.seized[i] {
            a |= access::BEEN_SEIZED;
        }
        if self.pending.iter().enumerate().any(|(j, &p)| p && j != i) {
            a |= access::PENDING_REQUEST;
        }
        a
    }

    fn write_access(&mut self, l: u8, v: u8) {
        let i = usize::from(l);
        if v & access::BEEN_SEIZED != 0 {
            self.seized[i] = false;
        }
        if v & access::SEIZE != 0 && self.active.is_some_and(|a| a < l) {
            if let Some(a) = self.active {
                self.seized[usize::from(a)] = true;
            }
            self.active = Some(l);
        }
        if v & access::REQUEST_USE != 0 {
            if self.fault != TisFault::LocalityNeverGranted && self.active.is_none() {
                self.active = Some(l);
            } else if self.active != Some(l) {
                self.pending[i] = true;
            }
        }
        if v & access::ACTIVE_LOCALITY != 0 {
            if self.active == Some(l) {
                self.active = None;
                let next = (0..5u8).rev().find(|&j| self.pending[usize::from(j)]);
                if let Some(next) = next.filter(|_| self.fault != TisFault::LocalityNeverGranted) {
                    self.pending[usize::from(next)] = false;
                    self.active = Some(next);
                }
            } else {
                self.pending[i] = false;
            }
        }
    }

    fn write_sts(&mut self, l: u8, v: u32) {
        if self.active != Some(l) {
            return;
        }
        if v & sts::COMMAND_READY != 0 {
            if self.state == State::Reception {
                self.sts_valid_withheld = false;
            }
            self.state = State::Ready;
            self.cmd.clear();
        }
        if v & sts::GO != 0 && self.state == State::Reception {
            self.go_count += 1;
            self.commands.push(self.cmd.clone());
            self.current = self
                .script
                .pop_front()
                .unwrap_or_else(|| self.response.clone());
            self.rsp_pos = 0;
            self.state = State::Execution;
            if self.fault == TisFault::SeizedAtGo {
                self.seized[usize::from(l)] = true;
                self.active = Some(3);
            }
            if self.fault != TisFault::DataAvailNeverSet {
                self.state = State::Completion;
            }
        }
        if v & sts::RESPONSE_RETRY != 0 && self.state == State::Completion {
            self.retry_count += 1;
            self.rsp_pos = 0;
        }
        if v & sts::COMMAND_CANCEL != 0 {
            self.cancel_count += 1;
            if self.state == State::Execution {
                self.state = State::Ready;
            }
        }
    }

    fn write_fifo(&mut self, l: u8, byte: u8) {
        if self.active == Some(l) && matches!(self.state, State::Ready | State::Reception) {
            self.state = State::Reception;
            self.cmd.push(byte);
        }
    }

    fn read_fifo(&mut self, l: u8) -> u8 {
        if self.active != Some(l) || self.state != State::Completion {
            return 0xFF;
        }
        let b = self.current.get(self.rsp_pos).copied().unwrap_or(0xFF);
        self.rsp_pos += 1;
        b
    }

    fn read_reg(&mut self, offset: u32, width: usize) -> u32 {
        if self.fault == TisFault::NoTpm {
            return u32::MAX;
        }
        let l = u8::try_from(offset >> 12).unwrap_or(0);
        match offset & 0xFFF {
            fifo::ACCESS => self.access(l).into(),
            fifo::STS => self.sts(l),
            0x19 => self.sts(l) >> 8,
            fifo::DATA_FIFO => {
                let mut v = 0u32;
                for i in 0..width {
                    v |= u32::from(self.read_fifo(l)) << (8 * i);
                }
                v
            }
            fifo::INTF_CAPABILITY if self.fault == TisFault::Tis13Family00 => 0x2000_0697,
            fifo::INTF_CAPABILITY => 0x3000_0697,
            tpm2_tis::regs::INTERFACE_ID => {
                if matches!(
                    self.fault,
                    TisFault::InterfaceType0xF | TisFault::Tis13Family00
                ) {
                    u32::MAX
                } else {
                    0x0000_2100
                }
            }
            fifo::DID_VID => 0x001B_15D1,
            fifo::RID => 0x10,
            _ => 0,
        }
    }

    fn write_reg(&mut self, offset: u32, value: u32, width: usize) {
        if self.fault == TisFault::NoTpm {
            return;
        }
        let l = u8::try_from(offset >> 12).unwrap_or(0);
        match offset & 0xFFF {
            fifo::ACCESS => self.write_access(l, value.to_le_bytes()[0]),
            fifo::STS => self.write_sts(l, value),
            fifo::DATA_FIFO => {
                for b in &value.to_le_bytes()[..width] {
                    self.write_fifo(l, *b);
                }
            }
            _ => {}
        }
    }
}

impl RegisterAccess for FaultTis {
    type Error = core::convert::Infallible;

    fn read8(&mut self, offset: u32) -> Result<u8, Self::Error> {
        Ok(self.read_reg(offset, 1).to_le_bytes()[0])
    }
    fn read16(&mut self, offset: u32) -> Result<u16, Self::Error> {
        let v = self.read_reg(offset, 2).to_le_bytes();
        Ok(u16::from_le_bytes([v[0], v[1]]))
    }
    fn read32(&mut self, offset: u32) -> Result<u32, Self::Error> {
        Ok(self.read_reg(offset, 4))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), Self::Error> {
        self.write_reg(offset, value.into(), 1);
        Ok(())
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), Self::Error> {
        self.write_reg(offset, value.into(), 2);
        Ok(())
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), Self::Error> {
        self.write_reg(offset, value, 4);
        Ok(())
    }
}
