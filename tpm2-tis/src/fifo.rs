//! The FIFO protocol: localities, commandReady, bursts with Expect checks, tpmGo, dataAvail,
//! responseRetry, cancel.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{CommandCode, HEADER_LEN, Header, Transport, WireError};

use crate::interface::{Family, FamilySource, Interface, Probe, probe};
use crate::locality::LocalityPolicy;
use crate::regs::{Locality, fifo};
use crate::step::{FirstFailure, Step, Stop, open_in};
use crate::timing::{Poller, Timeouts, command_duration_ms};
use crate::{RegisterAccess, TisError, Wait};

use fifo::{access, sts};

/// How the FIFO driver behaves. `Config::default()` suits PC hardware and QEMU.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The locality commands are sent from.
    pub locality: Locality,
    /// The interface timeouts.
    pub timeouts: Timeouts,
    /// The command durations, in milliseconds, by command code.
    pub command_duration_ms: fn(tpm2_wire::CommandCode) -> u32,
    /// Transfers between STS reads are at most this long (burstCount is used when lower).
    /// `u16::MAX` lets burstCount decide.
    pub max_burst: u16,
    /// Whole-command resends after an Expect error or an stsValid that did not appear within
    /// TIMEOUT_C (the Infineon quirk Linux handles with `TPM_TIS_STATUS_VALID_RETRY`), and
    /// responseRetry re-reads after a response transfer error.
    pub retries: u8,
    /// Whether the locality is given back after each command.
    pub locality_policy: LocalityPolicy,
    /// The first pause of a poll, in microseconds; pauses double from there.
    pub poll_first_us: u32,
    /// The longest pause of a poll, in microseconds.
    pub poll_max_us: u32,
    /// Use 32-bit DATA_FIFO accesses. `None`: when INTF_CAPABILITY allows transfers wider
    /// than one byte.
    pub wide_fifo: Option<bool>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            locality: Locality::ZERO,
            timeouts: Timeouts::PTP,
            command_duration_ms,
            max_burst: u16::MAX,
            retries: 3,
            locality_policy: LocalityPolicy::AsFound,
            poll_first_us: 20,
            poll_max_us: 1_000,
            wide_fifo: None,
        }
    }
}

/// A TPM 2.0 behind the FIFO (TIS) interface.
///
/// Every [`Transport::transact`] takes the locality, sends, waits, receives and writes
/// commandReady so that the TPM is idle, on every path. It gives the locality back unless
/// the [`LocalityPolicy`] keeps it: by default a locality that firmware left active stays
/// active, so the firmware's own TPM stack keeps working after this driver ran.
#[derive(Debug)]
pub struct Tis<B: RegisterAccess, D> {
    bus: B,
    delay: D,
    config: Config,
    probe: Probe,
    wide: bool,
    /// Keep the locality after each command.
    hold: bool,
    /// Why the current call stopped, until the call hands it out.
    failure: FirstFailure<TisError<B::Error>>,
}

/// TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_TOTAL_COMMANDS, 1): the read-only
/// command whose response tag tells a TPM 2.0 (0x8001) from a TPM 1.2 (0x00C4), as Linux's
/// `tpm2_probe` does.
const FAMILY_PROBE: [u8; 22] = [
    0x80, 0x01, 0, 0, 0, 0x16, 0, 0, 0x01, 0x7A, 0, 0, 0, 0x06, 0, 0, 0x01, 0x29, 0, 0, 0, 0x01,
];

/// STS when a response is ready: stsValid and dataAvail.
const RESPONSE: u32 = sts::VALID | sts::DATA_AVAIL;
/// STS.burstCount, bits 23:8.
const BURST_COUNT: u32 = 0xFFFF << sts::BURST_COUNT_SHIFT;

/// Whether an ACCESS value shows the locality active and valid, with no request pending.
const fn granted(a: u8) -> bool {
    const GRANTED: u8 = access::ACTIVE_LOCALITY | access::VALID;
    a & (GRANTED | access::REQUEST_USE) == GRANTED
}

/// What ends a wait on STS: every bit of `all` set and, if `any` is not 0, one of its bits;
/// or a bit of `cleared` gone clear.
#[derive(Clone, Copy)]
struct Until {
    all: u32,
    any: u32,
    cleared: u32,
}

impl Until {
    const fn all(bits: u32) -> Self {
        Self {
            all: bits,
            any: 0,
            cleared: 0,
        }
    }

    const fn any(bits: u32) -> Self {
        Self {
            all: 0,
            any: bits,
            cleared: 0,
        }
    }

    const fn or_cleared(self, bits: u32) -> Self {
        Self {
            cleared: bits,
            ..self
        }
    }

    const fn holds(self, status: u32) -> bool {
        let set = status & self.all == self.all && (self.any == 0 || status & self.any != 0);
        set || status & self.cleared != self.cleared
    }
}

type Result<T, B> = core::result::Result<T, TisError<<B as RegisterAccess>::Error>>;

impl<B: RegisterAccess, D: DelayNs> Tis<B, D> {
    /// Probes the TPM, checks that it is a TPM 2.0 with a FIFO or TIS 1.3 interface, and
    /// returns the driver.
    ///
    /// The family is read from STS.tpmFamily under the configured locality. Where those bits
    /// read 00 (a TPM 1.2, or a TIS 1.3 part that leaves them reserved), a TPM 2.0
    /// GetCapability decides by its response tag; [`Probe::family_source`] says which. The
    /// locality is then given back unless the policy keeps it (by default: unless it was
    /// already active when the driver was created).
    pub fn new(bus: B, delay: D, config: Config) -> Result<Self, B> {
        let mut slot = None;
        Self::new_in(&mut slot, bus, delay, config)?;
        // `new_in` leaves the driver in the slot whenever it succeeds.
        slot.ok_or(TisError::NotFifo)
    }

    /// As [`Tis::new`], building the driver in `slot` and returning it there: the driver is
    /// never moved. Under opt-level "z" a move of the driver is a call to `memcpy`, which
    /// links about 740 B of compiler_builtins into an image that has no other use for it.
    /// On failure `slot` is left `None`.
    ///
    /// ```no_run
    /// # fn open(bus: tpm2_tis::Mmio, delay: impl embedded_hal::delay::DelayNs) -> Result<(), tpm2_tis::TisError<tpm2_tis::MmioError>> {
    /// let mut slot = None;
    /// let tis = tpm2_tis::Tis::new_in(&mut slot, bus, delay, tpm2_tis::Config::default())?;
    /// println!("{:?}", tis.probe().interface);
    /// # Ok(()) }
    /// ```
    pub fn new_in(
        slot: &mut Option<Self>,
        mut bus: B,
        delay: D,
        config: Config,
    ) -> Result<&mut Self, B> {
        *slot = None;
        let found = probe(&mut bus)?;
        Self::new_in_as(slot, |tis| tis, |tis| Some(tis), found, bus, delay, config)
    }

    /// As [`Tis::new_in`], for a caller that probed `bus` already (`probe` is what
    /// [`probe`](crate::probe) found there) and a slot that holds the driver inside another
    /// type, such as the enum `tpm2_crb::Device`: `wrap` puts the driver in it, and `driver`
    /// finds the driver in it again. The driver is opened where it will stay.
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
        if probe.interface == Interface::Crb {
            return Err(TisError::NotFifo);
        }
        let wide = config
            .wide_fifo
            .unwrap_or_else(|| probe.capability.is_some_and(|c| c.transfer_size() > 1));
        let tis = Self {
            bus,
            delay,
            config,
            probe,
            wide,
            hold: false,
            failure: FirstFailure::new(),
        };
        open_in(
            slot,
            wrap(tis),
            driver,
            |tis| {
                let opened = tis.open();
                tis.outcome(opened)
            },
            || TisError::NotFifo,
        )
    }

    /// Takes the locality, decides the family, and leaves the TPM as the policy says.
    fn open(&mut self) -> Step<()> {
        let found = self.read_access()?;
        let found_active = found != u8::MAX && granted(found);
        self.hold = self.config.locality_policy.holds(found_active);
        self.take_locality_found(found)?;
        let family = self.decide_family();
        let released = self.finish();
        self.probe.family_source = Some(family?);
        self.probe.family_hint = Some(Family::Tpm20);
        released
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn fail(&mut self, error: TisError<B::Error>) -> Stop {
        self.failure.fail(error)
    }

    /// A register access's result as a step: a bus error stops the driver.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn on_bus<T>(&mut self, r: core::result::Result<T, B::Error>) -> Step<T> {
        self.failure.check(r, TisError::Bus)
    }

    /// The result of a public call: the failure that stopped it, handed out once.
    fn outcome<T>(&mut self, step: Step<T>) -> Result<T, B> {
        self.failure.outcome(step, || TisError::ResponseTransfer)
    }

    /// STS.tpmFamily, or the response tag of a TPM 2.0 command where those bits read 00.
    fn decide_family(&mut self) -> Step<FamilySource> {
        if (self.read_sts()? >> sts::FAMILY_SHIFT) & 0x3 == 1 {
            return Ok(FamilySource::StsFamily);
        }
        let mut buf = [0u8; 64];
        let cmd = buf.get_mut(..FAMILY_PROBE.len()).unwrap_or_default();
        cmd.copy_from_slice(&FAMILY_PROBE);
        // Any TPM 2.0 answer counts, whatever its code ("we ignore TPM return codes on
        // purpose", as Linux says): a TPM 1.2 answers with tag 0x00C4, which is `Tpm12`.
        match self.exchange(&mut buf, FAMILY_PROBE.len()) {
            Ok(_) => Ok(FamilySource::ResponseTag),
            Err(_)
                if self
                    .failure
                    .recover(|e| matches!(e, TisError::ResponseTooLarge { .. })) =>
            {
                Ok(FamilySource::ResponseTag)
            }
            Err(stop) => Err(stop),
        }
    }

    /// Leaves the TPM idle, and the locality given back unless it is held.
    fn finish(&mut self) -> Step<()> {
        let idle = self.write_sts(sts::COMMAND_READY);
        let released = if self.hold { Ok(()) } else { self.release() };
        idle.and(released)
    }

    /// What the probe found.
    pub const fn probe(&self) -> &Probe {
        &self.probe
    }

    /// The family: always TPM 2.0 for a driver that was created.
    pub const fn family(&self) -> Family {
        Family::Tpm20
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// The register bus.
    pub fn bus_mut(&mut self) -> &mut B {
        &mut self.bus
    }

    /// Gives the bus and the delay back.
    pub fn into_parts(self) -> (B, D) {
        (self.bus, self.delay)
    }

    /// Changes the locality used for the next commands.
    pub fn set_locality(&mut self, locality: Locality) {
        self.config.locality = locality;
    }

    fn access_reg(&self) -> u32 {
        self.config.locality.reg(fifo::ACCESS)
    }

    fn sts_reg(&self) -> u32 {
        self.config.locality.reg(fifo::STS)
    }

    fn read_access(&mut self) -> Step<u8> {
        let a = self.bus.read8(self.access_reg());
        self.on_bus(a)
    }

    fn write_access(&mut self, bits: u8) -> Step<()> {
        let w = self.bus.write8(self.access_reg(), bits);
        self.on_bus(w)
    }

    /// Requests the configured locality and waits until it is granted. A locality that is
    /// already active counts as granted.
    pub fn request_locality(&mut self) -> Result<(), B> {
        let taken = self.take_locality();
        self.outcome(taken)
    }

    fn take_locality(&mut self) -> Step<()> {
        let a = self.read_access()?;
        self.take_locality_found(a)
    }

    /// Takes the locality, whose ACCESS register was just read as `a`.
    fn take_locality_found(&mut self, a: u8) -> Step<()> {
        let reg = self.access_reg();
        if a == u8::MAX {
            return Err(self.fail(TisError::NoTpm));
        }
        if granted(a) {
            return self.clear_been_seized(a);
        }
        let budget = self.config.timeouts.a_us;
        if a & access::VALID == 0 {
            let (bus, mut poller) = self.split();
            let valid = poller.until(budget, || {
                bus.read8(reg)
                    .map(|a| (a & access::VALID != 0).then_some(()))
            });
            if self.on_bus(valid)?.is_none() {
                return Err(self.fail(TisError::Timeout(Wait::AccessValid)));
            }
        }
        self.request_and_wait()
    }

    /// Writes requestUse and waits until the locality is granted (TIMEOUT_A): all a command
    /// needs when the driver gave the locality back after the previous one.
    fn request_and_wait(&mut self) -> Step<()> {
        let reg = self.access_reg();
        let locality = self.config.locality.number();
        let budget = self.config.timeouts.a_us;
        self.write_access(access::REQUEST_USE)?;
        let (bus, mut poller) = self.split();
        let granted = poller.until(budget, || {
            bus.read8(reg)
                .map(|a| (a == u8::MAX || granted(a)).then_some(a))
        });
        let refused = match granted {
            Ok(Some(a)) if a != u8::MAX => return self.clear_been_seized(a),
            Ok(Some(_)) => TisError::NoTpm,
            Ok(None) => TisError::LocalityNotGranted { locality },
            Err(e) => TisError::Bus(e),
        };
        // Withdraw the pending request on every failure, so that it is not granted later
        // behind our back; the failure that stopped the wait is the one reported.
        let _withdrawn = self.bus.write8(reg, access::ACTIVE_LOCALITY);
        Err(self.fail(refused))
    }

    fn clear_been_seized(&mut self, a: u8) -> Step<()> {
        if a & access::BEEN_SEIZED != 0 {
            self.write_access(access::BEEN_SEIZED)?;
        }
        Ok(())
    }

    /// Gives the configured locality back now, and after every later command: the caller
    /// asks for release, whatever the policy said.
    pub fn release_locality(&mut self) -> Result<(), B> {
        self.hold = false;
        let released = self.release();
        self.outcome(released)
    }

    /// Whether the driver keeps the locality between commands.
    pub const fn holds_locality(&self) -> bool {
        self.hold
    }

    fn release(&mut self) -> Step<()> {
        self.write_access(access::ACTIVE_LOCALITY)
    }

    /// Takes the TPM from a lower locality (TPM_ACCESS.Seize). The configured locality must
    /// be higher than the one that holds the TPM.
    pub fn seize(&mut self) -> Result<(), B> {
        let seized = self.write_access(access::SEIZE);
        self.outcome(seized)
    }

    fn split(&mut self) -> (&mut B, Poller<'_, D>) {
        let poller = Poller::new(
            &mut self.delay,
            self.config.poll_first_us,
            self.config.poll_max_us,
        );
        (&mut self.bus, poller)
    }

    /// Reads STS, refusing values no active locality can show.
    fn read_sts(&mut self) -> Step<u32> {
        let value = self.bus.read32(self.sts_reg());
        let value = self.on_bus(value)?;
        if value == u32::MAX || value & sts::READ_ZERO != 0 {
            return Err(self.status_error(value));
        }
        Ok(value)
    }

    /// Stops on an invalid STS, explained: a seizure if ACCESS says so.
    fn status_error(&mut self, value: u32) -> Stop {
        let locality = self.config.locality.number();
        let a = match self.read_access() {
            Ok(a) => a,
            Err(stop) => return stop,
        };
        let error = if a != u8::MAX && a & access::BEEN_SEIZED != 0 {
            let reg = self.access_reg();
            let _ = self.bus.write8(reg, access::BEEN_SEIZED);
            TisError::LocalitySeized { locality }
        } else if a != u8::MAX && a & access::ACTIVE_LOCALITY == 0 {
            TisError::LocalitySeized { locality }
        } else {
            TisError::InvalidStatus(value)
        };
        self.fail(error)
    }

    fn write_sts(&mut self, bits: u32) -> Step<()> {
        let reg = self.sts_reg();
        let w = match u8::try_from(bits) {
            Ok(byte) => self.bus.write8(reg, byte),
            Err(_) => self.bus.write32(reg, bits),
        };
        self.on_bus(w)
    }

    /// Polls STS until `until` holds, within `budget_us`. An invalid STS ends the wait at
    /// once, explained by [`Self::status_error`]. One body for every wait.
    #[inline(never)]
    fn wait_sts(&mut self, wait: Wait, budget_us: u32, until: Until) -> Step<u32> {
        let reg = self.sts_reg();
        let (bus, mut poller) = self.split();
        let found = poller.until(budget_us, || {
            let v = bus.read32(reg)?;
            let invalid = v == u32::MAX || v & sts::READ_ZERO != 0;
            Ok((invalid || until.holds(v)).then_some((v, invalid)))
        });
        match self.on_bus(found)? {
            Some((v, true)) => Err(self.status_error(v)),
            Some((v, false)) => Ok(v),
            None => Err(self.fail(TisError::Timeout(wait))),
        }
    }

    #[inline(never)]
    fn burst(&self, status: u32) -> usize {
        let count = u16::try_from((status & BURST_COUNT) >> sts::BURST_COUNT_SHIFT).unwrap_or(0);
        usize::from(count.min(self.config.max_burst.max(1)))
    }

    fn write_fifo(&mut self, bytes: &[u8]) -> Step<()> {
        let reg = self.config.locality.reg(fifo::DATA_FIFO);
        let w = self.bus.write_fifo(reg, bytes, self.wide);
        self.on_bus(w)
    }

    fn read_fifo(&mut self, dst: &mut [u8]) -> Step<()> {
        let reg = self.config.locality.reg(fifo::DATA_FIFO);
        let r = self.bus.read_fifo(reg, dst, self.wide);
        self.on_bus(r)
    }

    /// Moves the command into the FIFO in bursts. After each burst the TPM must still expect
    /// bytes exactly while some remain, and after the last one expect none (the U-Boot and
    /// wolfTPM order: a command that fits one burst costs one STS read, not Linux's two).
    /// Does not write tpmGo.
    #[inline(never)]
    fn send(&mut self, cmd: &[u8]) -> Step<()> {
        let t = self.config.timeouts;
        let mut status = self.read_sts()?;
        if status & sts::COMMAND_READY == 0 {
            self.write_sts(sts::COMMAND_READY)?;
            status = self.wait_sts(Wait::CommandReady, t.b_us, Until::any(sts::COMMAND_READY))?;
        }
        let mut sent = 0;
        let mut burst = self.burst(status);
        while sent < cmd.len() {
            if burst == 0 {
                status = self.wait_sts(Wait::BurstCount, t.a_us, Until::any(BURST_COUNT))?;
                burst = self.burst(status);
                continue;
            }
            let n = burst.min(cmd.len() - sent);
            let chunk = cmd.get(sent..sent + n).unwrap_or_default();
            self.write_fifo(chunk)?;
            sent += n;
            status = self.wait_sts(Wait::StsValid, t.c_us, Until::any(sts::VALID))?;
            let more = sent < cmd.len();
            if (status & sts::EXPECT != 0) != more {
                return Err(self.fail(TisError::ExpectMismatch {
                    expected: more,
                    sent,
                }));
            }
            burst = self.burst(status);
        }
        Ok(())
    }

    /// Reads `dst.len()` response bytes, one STS read per burst.
    fn read_bursts(&mut self, dst: &mut [u8], burst: &mut usize) -> Step<()> {
        let t = self.config.timeouts;
        let mut got = 0;
        while got < dst.len() {
            if *burst == 0 {
                let status = self.wait_sts(
                    Wait::BurstCount,
                    t.a_us,
                    Until::any(BURST_COUNT).or_cleared(sts::DATA_AVAIL),
                )?;
                if status & sts::DATA_AVAIL == 0 {
                    // The TPM has no more bytes: the response came short.
                    return Err(self.fail(TisError::ResponseTransfer));
                }
                *burst = self.burst(status);
                continue;
            }
            let n = (*burst).min(dst.len() - got);
            let chunk = dst.get_mut(got..got + n).unwrap_or_default();
            self.read_fifo(chunk)?;
            got += n;
            *burst -= n;
        }
        Ok(())
    }

    /// Reads one response into `buf`: header, size check, the rest, then dataAvail clear.
    /// `status` is the STS read that found the response available; its burstCount is used.
    fn read_response(&mut self, buf: &mut [u8], status: u32) -> Step<usize> {
        let t = self.config.timeouts;
        let mut burst = self.burst(status);
        let capacity = buf.len();
        let Some(header) = buf.get_mut(..HEADER_LEN) else {
            return Err(self.fail(TisError::ResponseTooLarge { size: 10, capacity }));
        };
        self.read_bursts(header, &mut burst)?;
        let size = match Header::response_size(header, capacity) {
            Ok(size) => size,
            Err(e) => {
                return Err(self.fail(match e {
                    WireError::Tpm12Response { .. } => TisError::Tpm12,
                    WireError::SizeMismatch { declared, actual } => TisError::ResponseTooLarge {
                        size: declared,
                        capacity: actual,
                    },
                    other => TisError::BadResponse(other),
                }));
            }
        };
        let body = buf.get_mut(HEADER_LEN..size).unwrap_or_default();
        self.read_bursts(body, &mut burst)?;
        let status = self.wait_sts(Wait::StsValid, t.c_us, Until::any(sts::VALID))?;
        if status & sts::DATA_AVAIL != 0 {
            return Err(self.fail(TisError::ResponseTransfer));
        }
        Ok(size)
    }

    /// Cancels the running command and waits for the TPM to stop (TIMEOUT_B).
    fn cancel(&mut self) -> Step<()> {
        self.write_sts(sts::COMMAND_CANCEL)?;
        let t = self.config.timeouts.b_us;
        let stopped = sts::COMMAND_READY | sts::DATA_AVAIL;
        self.wait_sts(Wait::CommandCompletion, t, Until::any(stopped))
            .map(drop)
    }

    /// The command's code and duration, if its header's commandSize is its length; a
    /// command whose size is not its length would end early or never, so it is refused
    /// unsent.
    fn checked_duration_ms(&mut self, buf: &[u8], len: usize) -> Step<u32> {
        let header = buf.get(..len).map(Header::parse);
        match header {
            Some(Ok(h)) if usize::try_from(h.size.get()).ok() == Some(len) => {
                Ok((self.config.command_duration_ms)(CommandCode(h.code.get())))
            }
            _ => Err(self.fail(TisError::BadCommand { len })),
        }
    }

    fn exchange(&mut self, buf: &mut [u8], len: usize) -> Step<usize> {
        let duration_ms = self.checked_duration_ms(buf, len)?;
        let mut attempt = 0;
        loop {
            let cmd = buf.get(..len).unwrap_or_default();
            match self.send(cmd) {
                Ok(()) => break,
                Err(_)
                    if attempt < self.config.retries
                        && self.failure.recover(|e| {
                            matches!(
                                e,
                                TisError::ExpectMismatch { .. } | TisError::Timeout(Wait::StsValid)
                            )
                        }) =>
                {
                    attempt += 1;
                    // Abort the partial command; the next send waits for commandReady.
                    self.write_sts(sts::COMMAND_READY)?;
                }
                Err(stop) => return Err(stop),
            }
        }
        self.write_sts(sts::GO)?;
        let budget = duration_ms.saturating_mul(1000);
        let mut status = match self.wait_sts(Wait::CommandCompletion, budget, Until::all(RESPONSE))
        {
            Ok(status) => status,
            Err(_) if self.failure.recover(|e| matches!(e, TisError::Timeout(_))) => {
                // The command overran: stop it, then report the wait that expired (or the
                // failure of the cancel itself).
                self.cancel()?;
                return Err(self.fail(TisError::Timeout(Wait::CommandCompletion)));
            }
            Err(stop) => return Err(stop),
        };
        let mut attempt = 0;
        loop {
            match self.read_response(buf, status) {
                Ok(size) => return Ok(size),
                Err(_)
                    if attempt < self.config.retries
                        && self
                            .failure
                            .recover(|e| matches!(e, TisError::ResponseTransfer)) =>
                {
                    attempt += 1;
                    self.write_sts(sts::RESPONSE_RETRY)?;
                    let c = self.config.timeouts.c_us;
                    status = self.wait_sts(Wait::DataAvail, c, Until::all(RESPONSE))?;
                }
                Err(stop) => return Err(stop),
            }
        }
    }

    /// One command: the locality, the exchange, and the TPM left idle and the locality as
    /// the policy says on every path (the first failure wins).
    fn run(&mut self, buf: &mut [u8], command_len: usize) -> Step<usize> {
        if command_len < HEADER_LEN || command_len > buf.len() {
            return Err(self.fail(TisError::BadCommand { len: command_len }));
        }
        // A held locality is checked (a higher one may have seized it); one the driver gave
        // back after the previous command is simply requested.
        if self.hold {
            self.take_locality()?;
        } else {
            self.request_and_wait()?;
        }
        let result = self.exchange(buf, command_len);
        let finished = self.finish();
        let size = result?;
        finished?;
        Ok(size)
    }
}

impl<B: RegisterAccess, D: DelayNs> Transport for Tis<B, D> {
    type Error = TisError<B::Error>;

    fn transact<'b>(&mut self, buf: &'b mut [u8], command_len: usize) -> Result<&'b [u8], B> {
        let size = self.run(buf, command_len);
        let size = self.outcome(size)?;
        buf.get(..size).ok_or(TisError::BadCommand { len: size })
    }
}
