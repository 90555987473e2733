//! The CRB protocol: locality, cmdReady (with goIdle retries), command copy, START, tpmSts,
//! response copy, goIdle, relinquish.

use embedded_hal::delay::DelayNs;
use tpm2_tis::step::{FirstFailure, Step, Stop, open_in};
use tpm2_tis::timing::{Poller, Timeouts, command_code, command_duration_ms};
use tpm2_tis::{
    Interface, LocalityPolicy, Probe, RegisterAccess, TisError, probe, read_block, write_block,
};
use tpm2_wire::{HEADER_LEN, Header, Transport, WireError};

use crate::regs::{
    CTRL_CANCEL, CTRL_CMD_HADDR, CTRL_CMD_LADDR, CTRL_CMD_SIZE, CTRL_REQ, CTRL_RSP_ADDR,
    CTRL_RSP_SIZE, CTRL_START, CTRL_STS, DATA_BUFFER, LOC_CTRL, LOC_STATE, LOC_STS, LOCALITY_0_END,
    ctrl_req, ctrl_sts, loc_ctrl, loc_sts,
};
use crate::{CrbError, Wait};

/// How commands are started (the ACPI TPM2 table's StartMethod).
#[derive(Debug, Clone, Copy)]
pub enum StartMethod {
    /// 7, "Command Response Buffer": cmdReady and goIdle around each command, START to run
    /// it, the locality through LOC_CTRL. QEMU's tpm-crb, most PTT and fTPM.
    Crb,
    /// 2 or 8, "ACPI Start" (4th-generation Core PTT): no cmdReady, goIdle or locality
    /// requests; START is written (PTT needs it, as Linux found) and then the function,
    /// which must evaluate the TPM's ACPI `_DSM` (GUID 6BBF6CAB-5463-4714-B7CD-F0203C0368D4,
    /// revision 1, function 1) and return whether it succeeded. Called again after a
    /// cancel. A `no_std` driver cannot run AML itself: the platform's ACPI code does.
    Acpi(fn() -> bool),
}

/// A second window that reaches the command and response buffers where the TPM advertises
/// them outside the register window (AMD fTPM puts them in reserved RAM, possibly above
/// 4 GiB). The bus reaches it at offsets from [`BUFFER_WINDOW`] on: see [`TwoWindows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferWindow {
    /// The physical address the second window is mapped from.
    pub base: u64,
    /// Its size, below 2 GiB.
    pub len: u32,
}

/// Where the bus reaches the [`BufferWindow`]: offset `BUFFER_WINDOW + n` is byte `n` of it.
pub const BUFFER_WINDOW: u32 = 0x8000_0000;

/// How the CRB driver behaves. `Config::default()` suits PC hardware and QEMU.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The physical address the register window is mapped from, to validate the buffer
    /// addresses the TPM advertises.
    pub base: u64,
    /// The size of the mapped window. An advertised buffer must lie inside it and inside
    /// locality 0's data buffer (0x80 to 0x1000, before locality 1's registers), or inside
    /// `buffer_window`.
    pub window_len: u32,
    /// A second window for buffers outside the register window.
    pub buffer_window: Option<BufferWindow>,
    /// How commands are started.
    pub start_method: StartMethod,
    /// The interface timeouts.
    pub timeouts: Timeouts,
    /// The command durations, in milliseconds, by command code.
    pub command_duration_ms: fn(tpm2_wire::CommandCode) -> u32,
    /// The first pause of a poll, in microseconds; pauses double from there.
    pub poll_first_us: u32,
    /// The longest pause of a poll, in microseconds.
    pub poll_max_us: u32,
    /// Whether locality 0 is relinquished after each command.
    pub locality_policy: LocalityPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base: 0xFED4_0000,
            window_len: 0x5000,
            buffer_window: None,
            start_method: StartMethod::Crb,
            timeouts: Timeouts::PTP,
            command_duration_ms,
            poll_first_us: 20,
            poll_max_us: 1_000,
            locality_policy: LocalityPolicy::AsFound,
        }
    }
}

/// Where the command and response buffers are, as offsets into the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Layout {
    /// The command buffer's offset.
    pub cmd_offset: u32,
    /// The command buffer's size.
    pub cmd_size: u32,
    /// The response buffer's offset.
    pub rsp_offset: u32,
    /// The response buffer's size.
    pub rsp_size: u32,
}

/// The cmdReady attempts, with goIdle between them (PC Client Device Driver Design
/// Principles 7.2.1, as EDK2 does).
const CMD_READY_ATTEMPTS: u8 = 3;

/// A TPM 2.0 behind the CRB interface.
///
/// Every [`Transport::transact`] takes locality 0, brings the TPM to the ready state, runs
/// the command, reads the response and asks the TPM to go idle, on every path. It
/// relinquishes the locality unless the [`LocalityPolicy`] keeps it: by default a locality
/// that firmware left granted stays granted (EDK2 never requests it again before a
/// command, and QEMU ignores START without it).
///
/// ```
/// use tpm2_crb::{BufferWindow, Config, Crb};
/// use tpm2_wire::Transport;
/// # use tpm2_tests::fault_crb::{CrbFault, FaultCrb};
/// # let bus = FaultCrb::new(CrbFault::BuffersAbove4G);
/// # let delay = tpm2_tests::delay::VirtualClock::default();
/// // An AMD fTPM whose buffers sit in reserved RAM above 4 GiB: map that range as a second
/// // window and hand both to the driver as `TwoWindows { registers, buffers }`.
/// let config = Config {
///     buffer_window: Some(BufferWindow { base: 0x1_0000_0000, len: 0x1000 }),
///     ..Config::default()
/// };
/// let mut crb = Crb::new(bus, delay, config)?;
/// let mut buf = [0u8; 4096];
/// buf[..12].copy_from_slice(&[0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 16]); // GetRandom
/// let response = crb.transact(&mut buf, 12)?;
/// assert_eq!(&response[..2], &[0x80, 0x01]);
/// # Ok::<(), tpm2_crb::CrbError<core::convert::Infallible>>(())
/// ```
#[derive(Debug)]
pub struct Crb<B: RegisterAccess, D> {
    bus: B,
    delay: D,
    config: Config,
    probe: Probe,
    layout: Layout,
    /// Keep the locality after each command.
    hold: bool,
    /// Why the current call stopped, until the call hands it out.
    failure: FirstFailure<CrbError<B::Error>>,
}

type Result<T, B> = core::result::Result<T, CrbError<<B as RegisterAccess>::Error>>;

impl<B: RegisterAccess, D: DelayNs> Crb<B, D> {
    /// Probes the TPM, checks it has the CRB interface, and reads and validates the buffer
    /// layout it advertises (under the locality and in the ready state, since some firmware
    /// TPMs do not retain those registers otherwise).
    pub fn new(bus: B, delay: D, config: Config) -> Result<Self, B> {
        let mut slot = None;
        Self::new_in(&mut slot, bus, delay, config)?;
        // `new_in` leaves the driver in the slot whenever it succeeds.
        slot.ok_or(CrbError::NotCrb)
    }

    /// As [`Crb::new`], building the driver in `slot` and returning it there: the driver is
    /// never moved. Under opt-level "z" a move of the driver is a call to `memcpy`, which
    /// links about 740 B of compiler_builtins into an image that has no other use for it.
    /// On failure `slot` is left `None`.
    ///
    /// ```no_run
    /// # fn open(bus: tpm2_tis::Mmio, delay: impl embedded_hal::delay::DelayNs) -> Result<(), tpm2_crb::CrbError<tpm2_tis::MmioError>> {
    /// let mut slot = None;
    /// let crb = tpm2_crb::Crb::new_in(&mut slot, bus, delay, tpm2_crb::Config::default())?;
    /// println!("{:?}", crb.probe().interface);
    /// # Ok(()) }
    /// ```
    pub fn new_in(
        slot: &mut Option<Self>,
        mut bus: B,
        delay: D,
        config: Config,
    ) -> Result<&mut Self, B> {
        *slot = None;
        let found = match probe(&mut bus) {
            Ok(found) => found,
            Err(TisError::Bus(e)) => return Err(CrbError::Bus(e)),
            Err(TisError::NoTpm) => return Err(CrbError::NoTpm),
            Err(_) => return Err(CrbError::NotCrb),
        };
        Self::new_in_as(slot, |crb| crb, |crb| Some(crb), found, bus, delay, config)
    }

    /// As [`Crb::new_in`], for a caller that probed `bus` already (`probe` is what
    /// [`tpm2_tis::probe`] found there) and a slot that holds the driver inside another
    /// type, such as the enum [`Device`](crate::Device): `wrap` puts the driver in it, and
    /// `driver` finds the driver in it again. The driver is opened where it will stay.
    pub fn new_in_as<S>(
        slot: &mut Option<S>,
        wrap: impl FnOnce(Self) -> S,
        driver: impl FnOnce(&mut S) -> Option<&mut Self>,
        probe: Probe,
        bus: B,
        delay: D,
        config: Config,
    ) -> Result<&mut S, B> {
        *slot = None;
        if probe.interface != Interface::Crb {
            return Err(CrbError::NotCrb);
        }
        let layout = Layout {
            cmd_offset: DATA_BUFFER,
            cmd_size: 0,
            rsp_offset: DATA_BUFFER,
            rsp_size: 0,
        };
        let crb = Self {
            bus,
            delay,
            config,
            probe,
            layout,
            hold: false,
            failure: FirstFailure::new(),
        };
        open_in(
            slot,
            wrap(crb),
            driver,
            |crb| {
                let opened = crb.open();
                crb.outcome(opened)
            },
            || CrbError::NotCrb,
        )
    }

    /// Takes the locality, reads the layout in the ready state, and leaves the TPM idle and
    /// the locality as the policy says.
    fn open(&mut self) -> Step<()> {
        let found = self.read(LOC_STS)?;
        let found_active = found != u32::MAX && found & loc_sts::GRANTED != 0;
        // With ACPI Start the locality registers are not the driver's to use.
        self.hold = self.acpi_start() || self.config.locality_policy.holds(found_active);
        self.take_locality()?;
        // A cancel left requested would cancel the next command. The driver clears it here
        // and after each cancel of its own, not before every command (EDK2's order).
        let layout = self
            .write(CTRL_CANCEL, 0)
            .and_then(|()| self.cmd_ready())
            .and_then(|()| self.read_layout());
        let finished = self.finish();
        self.layout = layout?;
        finished
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn fail(&mut self, error: CrbError<B::Error>) -> Stop {
        self.failure.fail(error)
    }

    /// A register access's result as a step: a bus error stops the driver.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn on_bus<T>(&mut self, r: core::result::Result<T, B::Error>) -> Step<T> {
        self.failure.check(r, CrbError::Bus)
    }

    /// The result of a public call: the failure that stopped it, handed out once.
    fn outcome<T>(&mut self, step: Step<T>) -> Result<T, B> {
        self.failure.outcome(step, || CrbError::TpmFatal)
    }

    const fn acpi_start(&self) -> bool {
        matches!(self.config.start_method, StartMethod::Acpi(_))
    }

    /// Runs the ACPI start function, if that is the start method.
    fn acpi_notify(&mut self) -> Step<()> {
        if self.signal_start() {
            Ok(())
        } else {
            Err(self.fail(CrbError::AcpiStartFailed))
        }
    }

    /// Runs the ACPI start function, if that is the start method: whether it succeeded.
    fn signal_start(&self) -> bool {
        !matches!(self.config.start_method, StartMethod::Acpi(start) if !start())
    }

    /// Asks the TPM to go idle, and relinquishes the locality unless it is held.
    fn finish(&mut self) -> Step<()> {
        let idle = self.go_idle();
        let released = if self.hold { Ok(()) } else { self.release() };
        idle.and(released)
    }

    /// Whether the driver keeps locality 0 between commands.
    pub const fn holds_locality(&self) -> bool {
        self.hold
    }

    /// Relinquishes locality 0 now, and after every later command: the caller asks for
    /// release, whatever the policy said.
    pub fn release_locality(&mut self) -> Result<(), B> {
        self.hold = false;
        let released = self.release();
        self.outcome(released)
    }

    /// What the probe found.
    pub const fn probe(&self) -> &Probe {
        &self.probe
    }

    /// The validated buffer layout.
    pub const fn layout(&self) -> Layout {
        self.layout
    }

    /// The register bus.
    pub fn bus_mut(&mut self) -> &mut B {
        &mut self.bus
    }

    /// Gives the bus and the delay back.
    pub fn into_parts(self) -> (B, D) {
        (self.bus, self.delay)
    }

    fn read(&mut self, reg: u32) -> Step<u32> {
        let v = self.bus.read32(reg);
        self.on_bus(v)
    }

    fn write(&mut self, reg: u32, value: u32) -> Step<()> {
        let w = self.bus.write32(reg, value);
        self.on_bus(w)
    }

    /// Polls register `reg` until `done` holds for its value, within `budget_us`.
    fn wait(&mut self, reg: u32, budget_us: u32, done: impl Fn(u32) -> bool) -> Step<Option<u32>> {
        let mut poller = Poller::new(
            &mut self.delay,
            self.config.poll_first_us,
            self.config.poll_max_us,
        );
        let bus = &mut self.bus;
        let found = poller.until(budget_us, || bus.read32(reg).map(|v| done(v).then_some(v)));
        self.on_bus(found)
    }

    /// Requests locality 0 and waits until it is granted (TIMEOUT_A). A granted locality
    /// counts as granted.
    pub fn request_locality(&mut self) -> Result<(), B> {
        let taken = self.take_locality();
        self.outcome(taken)
    }

    fn take_locality(&mut self) -> Step<()> {
        // With ACPI Start only the TPM's presence is checked; otherwise LOC_STS tells both.
        let reg = if self.acpi_start() {
            LOC_STATE
        } else {
            LOC_STS
        };
        match self.read(reg)? {
            u32::MAX => Err(self.fail(CrbError::NoTpm)),
            v if self.acpi_start() || v & loc_sts::GRANTED != 0 => Ok(()),
            _ => self.request_and_wait(),
        }
    }

    /// Writes requestAccess and waits until the locality is granted (TIMEOUT_A): all a
    /// command needs when the driver relinquished the locality after the previous one.
    fn request_and_wait(&mut self) -> Step<()> {
        self.write(LOC_CTRL, loc_ctrl::REQUEST_ACCESS)?;
        let a = self.config.timeouts.a_us;
        let refused = match self.wait(LOC_STS, a, |v| v == u32::MAX || v & loc_sts::GRANTED != 0) {
            Ok(Some(v)) if v != u32::MAX => return Ok(()),
            Ok(Some(_)) => self.fail(CrbError::NoTpm),
            Ok(None) => self.fail(CrbError::LocalityNotGranted),
            Err(stop) => stop,
        };
        // Withdraw the request on every failure; the failure that stopped the wait is the one
        // reported.
        let _withdrawn = self.write(LOC_CTRL, loc_ctrl::RELINQUISH);
        Err(refused)
    }

    /// Writes relinquish. Whoever requests the locality next waits for its own grant, so
    /// nothing waits for this one to take effect (EDK2 never relinquishes; Linux waits).
    fn release(&mut self) -> Step<()> {
        if self.acpi_start() {
            return Ok(());
        }
        self.write(LOC_CTRL, loc_ctrl::RELINQUISH)
    }

    /// Moves the TPM to the ready state: cmdReady acknowledged and tpmIdle cleared (EDK2's
    /// checks: a TPM still going idle after the previous goIdle, which nothing waited for,
    /// is ready once both hold), with a goIdle between attempts.
    fn cmd_ready(&mut self) -> Step<()> {
        if self.acpi_start() {
            return Ok(());
        }
        let c = self.config.timeouts.c_us;
        for _ in 0..CMD_READY_ATTEMPTS {
            self.write(CTRL_REQ, ctrl_req::CMD_READY)?;
            let acknowledged = self
                .wait(CTRL_REQ, c, |v| v & ctrl_req::CMD_READY == 0)?
                .is_some()
                && self
                    .wait(CTRL_STS, c, |v| v & ctrl_sts::IDLE == 0)?
                    .is_some();
            if acknowledged {
                return Ok(());
            }
            self.write(CTRL_REQ, ctrl_req::GO_IDLE)?;
            self.wait(CTRL_REQ, c, |v| v & ctrl_req::GO_IDLE == 0)?;
        }
        Err(self.fail(CrbError::Timeout(Wait::CmdReady)))
    }

    /// Asks the TPM to go idle, without waiting for it, as EDK2 does: the next cmdReady, ours
    /// or the firmware's, waits until the TPM is ready.
    fn go_idle(&mut self) -> Step<()> {
        if self.acpi_start() {
            return Ok(());
        }
        self.write(CTRL_REQ, ctrl_req::GO_IDLE)
    }

    fn read_layout(&mut self) -> Step<Layout> {
        let cmd_size = self.read(CTRL_CMD_SIZE)?;
        let cmd =
            u64::from(self.read(CTRL_CMD_LADDR)?) | u64::from(self.read(CTRL_CMD_HADDR)?) << 32;
        let rsp_size = self.read(CTRL_RSP_SIZE)?;
        let rsp =
            u64::from(self.read(CTRL_RSP_ADDR)?) | u64::from(self.read(CTRL_RSP_ADDR + 4)?) << 32;
        let cmd_offset = self.window_offset(cmd, cmd_size)?;
        let rsp_offset = self.window_offset(rsp, rsp_size)?;
        let (cmd_end, rsp_end) = (cmd_offset + cmd_size, rsp_offset + rsp_size);
        let same = cmd_offset == rsp_offset && cmd_size == rsp_size;
        if !same && cmd_offset < rsp_end && rsp_offset < cmd_end {
            return Err(self.fail(CrbError::OverlappingBuffers));
        }
        Ok(Layout {
            cmd_offset,
            cmd_size,
            rsp_offset,
            rsp_size,
        })
    }

    /// The bus offset of a buffer: in locality 0's data buffer in the register window (past
    /// its registers, before locality 1's), or in the buffer window.
    fn window_offset(&mut self, address: u64, size: u32) -> Step<u32> {
        let registers = (
            self.config.base,
            u64::from(DATA_BUFFER),
            self.config.window_len.min(LOCALITY_0_END),
            0,
        );
        let buffers = self
            .config
            .buffer_window
            .filter(|w| w.len < BUFFER_WINDOW)
            .map(|w| (w.base, 0, w.len, BUFFER_WINDOW));
        let big_enough = usize::try_from(size).is_ok_and(|s| s >= HEADER_LEN);
        let found = [Some(registers), buffers].into_iter().flatten().find_map(
            |(base, start, len, bus_offset)| {
                let offset = address.checked_sub(base)?;
                let end = offset.checked_add(u64::from(size))?;
                let fits = offset >= start && end <= u64::from(len) && big_enough;
                let offset = u32::try_from(offset).ok().filter(|_| fits)?;
                Some(bus_offset | offset)
            },
        );
        found.ok_or_else(|| self.fail(CrbError::BufferOutsideWindow { address, size }))
    }

    fn write_buffer(&mut self, offset: u32, bytes: &[u8]) -> Step<()> {
        let w = write_block(&mut self.bus, offset, bytes);
        self.on_bus(w)
    }

    fn read_buffer(&mut self, offset: u32, dst: &mut [u8]) -> Step<()> {
        let r = read_block(&mut self.bus, offset, dst);
        self.on_bus(r)
    }

    /// Copies the command into the command buffer. Its last bytes go as one zero-padded
    /// 32-bit write where the buffer is aligned and has the room: the TPM reads
    /// commandSize bytes, so the padding is never part of the command.
    fn write_command(&mut self, cmd: &[u8]) -> Step<()> {
        let offset = self.layout.cmd_offset;
        let whole = cmd.len() & !3;
        let (words, tail) = cmd.split_at_checked(whole).unwrap_or((cmd, &[]));
        self.write_buffer(offset, words)?;
        let at = offset.wrapping_add(whole as u32);
        let room = usize::try_from(self.layout.cmd_size).unwrap_or(0);
        if tail.is_empty() || at % 4 != 0 || whole + 4 > room {
            return self.write_buffer(at, tail);
        }
        let mut word = [0u8; 4];
        for (d, s) in word.iter_mut().zip(tail) {
            *d = *s;
        }
        self.write(at, u32::from_le_bytes(word))
    }

    /// Zeroes what is left of the command in the command buffer: its bytes from `answered`
    /// on where the response overwrote the rest (one buffer for both), all of them
    /// otherwise. The host can read that buffer after the driver returns, and an authValue
    /// left there would outlive the command.
    fn wipe_command(&mut self, len: usize, answered: usize) -> Step<()> {
        const ZEROS: [u8; 64] = [0; 64];
        let layout = self.layout;
        let mut at = if layout.cmd_offset == layout.rsp_offset {
            answered.min(len)
        } else {
            0
        };
        while at < len {
            let n = (len - at).min(ZEROS.len());
            let offset = layout.cmd_offset.wrapping_add(at as u32);
            self.write_buffer(offset, ZEROS.get(..n).unwrap_or_default())?;
            at += n;
        }
        Ok(())
    }

    /// Runs the command in `buf[..len]` on a TPM in the ready state.
    fn exchange(&mut self, buf: &mut [u8], len: usize) -> Step<usize> {
        let cmd = buf.get(..len).unwrap_or_default();
        let duration_ms = command_code(cmd).map_or(120_000, self.config.command_duration_ms);
        self.write_command(cmd)?;
        self.write(CTRL_START, 1)?;
        self.acpi_notify()?;
        let budget = duration_ms.saturating_mul(1000);
        if self.wait(CTRL_START, budget, |v| v & 1 == 0)?.is_none() {
            self.write(CTRL_CANCEL, 1)?;
            // The cancel is signalled the same way as the start; its result is the wait's.
            let _ = self.signal_start();
            let b = self.config.timeouts.b_us;
            let stopped = self.wait(CTRL_START, b, |v| v & 1 == 0)?;
            self.write(CTRL_CANCEL, 0)?;
            let wait = if stopped.is_some() {
                Wait::CommandCompletion
            } else {
                Wait::Cancel
            };
            return Err(self.fail(CrbError::Timeout(wait)));
        }
        // A TPM in a fatal error leaves the buffer as it was: the command, not a response.
        if self.read(CTRL_STS)? & ctrl_sts::FATAL != 0 {
            return Err(self.fail(CrbError::TpmFatal));
        }
        let layout = self.layout;
        let room = buf
            .len()
            .min(usize::try_from(layout.rsp_size).unwrap_or(usize::MAX));
        // Twelve bytes when they fit, so that the rest starts aligned (Linux reads eight);
        // past a 10-byte response they are the buffer's own bytes, never the TPM's.
        let first = if room >= 12 { 12 } else { HEADER_LEN };
        let Some(header) = buf.get_mut(..first) else {
            return Err(self.fail(CrbError::ResponseTooLarge {
                size: 10,
                capacity: room,
            }));
        };
        self.read_buffer(layout.rsp_offset, header)?;
        let size = match Header::response_size(header, room) {
            Ok(size) => size,
            Err(e) => {
                return Err(self.fail(match e {
                    WireError::Tpm12Response { .. } => CrbError::Tpm12,
                    WireError::SizeMismatch { declared, actual } => CrbError::ResponseTooLarge {
                        size: declared,
                        capacity: actual,
                    },
                    other => CrbError::BadResponse(other),
                }));
            }
        };
        if let Some(rest) = buf.get_mut(first..size) {
            self.read_buffer(layout.rsp_offset + first as u32, rest)?;
        }
        Ok(size)
    }

    /// One command: the locality, the ready state, the exchange, the command wiped from the
    /// TPM's buffer, and the TPM left idle and the locality as the policy says, on every path
    /// (the first failure wins).
    fn run(&mut self, buf: &mut [u8], command_len: usize) -> Step<usize> {
        let max = self.layout.cmd_size;
        let fits = usize::try_from(max).is_ok_and(|max| command_len <= max);
        if command_len < HEADER_LEN || command_len > buf.len() || !fits {
            return Err(self.fail(CrbError::CommandTooLarge {
                len: command_len,
                max,
            }));
        }
        // A held locality is checked; one the driver relinquished after the previous command
        // (as the policy says, and never with the ACPI Start method) is simply requested.
        if self.hold {
            self.take_locality()?;
        } else {
            self.request_and_wait()?;
        }
        // Once the TPM is ready and the command written, what the response did not overwrite
        // of it (all of it after a failure) leaves the TPM's buffer; then idle, and the
        // locality as the policy says, on every path. The first error wins.
        let result = self.cmd_ready().and_then(|()| {
            let result = self.exchange(buf, command_len);
            let answered = result.unwrap_or(0);
            let wiped = self.wipe_command(command_len, answered);
            result.and_then(|size| wiped.map(|()| size))
        });
        let finished = self.finish();
        let size = result?;
        finished?;
        Ok(size)
    }
}

impl<B: RegisterAccess, D: DelayNs> Transport for Crb<B, D> {
    type Error = CrbError<B::Error>;

    fn transact<'b>(&mut self, buf: &'b mut [u8], command_len: usize) -> Result<&'b [u8], B> {
        let size = self.run(buf, command_len);
        let size = self.outcome(size)?;
        buf.get(..size).ok_or(CrbError::ResponseTooLarge {
            size: 0,
            capacity: size,
        })
    }
}

/// A bus over two windows: the TPM's registers, and the [`BufferWindow`] where the TPM
/// advertises its buffers outside the register window. Offsets from [`BUFFER_WINDOW`] on go
/// to the second window, the others to the first.
#[derive(Debug)]
pub struct TwoWindows<B> {
    /// The register window (0xFED40000 on a PC).
    pub registers: B,
    /// The buffer window.
    pub buffers: B,
}

impl<B: RegisterAccess> TwoWindows<B> {
    fn route(&mut self, offset: u32) -> (&mut B, u32) {
        if offset & BUFFER_WINDOW == 0 {
            (&mut self.registers, offset)
        } else {
            (&mut self.buffers, offset & !BUFFER_WINDOW)
        }
    }
}

impl<B: RegisterAccess> RegisterAccess for TwoWindows<B> {
    type Error = B::Error;

    fn read8(&mut self, offset: u32) -> core::result::Result<u8, B::Error> {
        let (bus, offset) = self.route(offset);
        bus.read8(offset)
    }
    fn read16(&mut self, offset: u32) -> core::result::Result<u16, B::Error> {
        let (bus, offset) = self.route(offset);
        bus.read16(offset)
    }
    fn read32(&mut self, offset: u32) -> core::result::Result<u32, B::Error> {
        let (bus, offset) = self.route(offset);
        bus.read32(offset)
    }
    fn write8(&mut self, offset: u32, value: u8) -> core::result::Result<(), B::Error> {
        let (bus, offset) = self.route(offset);
        bus.write8(offset, value)
    }
    fn write16(&mut self, offset: u32, value: u16) -> core::result::Result<(), B::Error> {
        let (bus, offset) = self.route(offset);
        bus.write16(offset, value)
    }
    fn write32(&mut self, offset: u32, value: u32) -> core::result::Result<(), B::Error> {
        let (bus, offset) = self.route(offset);
        bus.write32(offset, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the last access: (offset, width).
    #[derive(Default)]
    struct Last(Option<(u32, u8)>);

    impl RegisterAccess for Last {
        type Error = core::convert::Infallible;
        fn read8(&mut self, o: u32) -> core::result::Result<u8, Self::Error> {
            self.0 = Some((o, 1));
            Ok(0)
        }
        fn read16(&mut self, o: u32) -> core::result::Result<u16, Self::Error> {
            self.0 = Some((o, 2));
            Ok(0)
        }
        fn read32(&mut self, o: u32) -> core::result::Result<u32, Self::Error> {
            self.0 = Some((o, 4));
            Ok(0)
        }
        fn write8(&mut self, o: u32, _: u8) -> core::result::Result<(), Self::Error> {
            self.0 = Some((o, 1));
            Ok(())
        }
        fn write16(&mut self, o: u32, _: u16) -> core::result::Result<(), Self::Error> {
            self.0 = Some((o, 2));
            Ok(())
        }
        fn write32(&mut self, o: u32, _: u32) -> core::result::Result<(), Self::Error> {
            self.0 = Some((o, 4));
            Ok(())
        }
    }

    #[test]
    fn two_windows_route_by_the_buffer_window_bit() {
        let mut bus = TwoWindows {
            registers: Last::default(),
            buffers: Last::default(),
        };
        bus.read32(0x4C).unwrap();
        assert_eq!(bus.registers.0, Some((0x4C, 4)));
        assert_eq!(bus.buffers.0, None);
        bus.write8(BUFFER_WINDOW | 0x123, 7).unwrap();
        assert_eq!(bus.buffers.0, Some((0x123, 1)));
        bus.read16(BUFFER_WINDOW | 0xFFE).unwrap();
        assert_eq!(bus.buffers.0, Some((0xFFE, 2)));
        assert_eq!(bus.registers.0, Some((0x4C, 4)));
    }
}
