//! Deadlines: the PTP TIMEOUT_A..C and per-command durations, and the bounded poller both
//! drivers wait with.

use embedded_hal::delay::DelayNs;
use tpm2_wire::CommandCode;

/// The interface timeouts, in microseconds (TCG PC Client PTP, with Linux's 4 s TIMEOUT_B for
/// Infineon chips that take up to 2.25 s). The PTP's TIMEOUT_D has no field: no wait of these
/// drivers uses it (dataAvail after a responseRetry waits TIMEOUT_C, as every STS wait that
/// follows a transfer does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeouts {
    /// TIMEOUT_A: locality changes, burstCount (750 ms).
    pub a_us: u32,
    /// TIMEOUT_B: commandReady (4000 ms).
    pub b_us: u32,
    /// TIMEOUT_C: stsValid, CRB register handshakes (200 ms).
    pub c_us: u32,
}

impl Timeouts {
    /// TPM 2.0 PTP values, with TIMEOUT_B raised to 4 s as Linux does.
    pub const PTP: Self = Self {
        a_us: 750_000,
        b_us: 4_000_000,
        c_us: 200_000,
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::PTP
    }
}

pub use tpm2_wire::command_duration_ms;

/// The command code of a command frame, if it has a header.
#[must_use]
pub fn command_code(frame: &[u8]) -> Option<CommandCode> {
    tpm2_wire::Header::parse(frame)
        .ok()
        .map(|h| CommandCode(h.code.get()))
}

/// Polls a condition with growing pauses until a deadline, then checks once more.
///
/// Time is counted as the sum of the pauses requested from the delay, so the real wait is at
/// least the deadline (accesses take time too); the re-check after the deadline covers a
/// caller that was descheduled while the TPM finished.
#[derive(Debug)]
pub struct Poller<'d, D> {
    delay: &'d mut D,
    first_us: u32,
    max_us: u32,
}

impl<'d, D: DelayNs> Poller<'d, D> {
    /// A poller pausing `first_us` after the first check, doubling up to `max_us`.
    pub fn new(delay: &'d mut D, first_us: u32, max_us: u32) -> Self {
        Self {
            delay,
            first_us: first_us.max(1),
            max_us: max_us.max(1),
        }
    }

    /// Evaluates `check` until it gives `Some`, or until `budget_us` of pauses have passed
    /// and one more check failed: then `Ok(None)`.
    pub fn until<T, E>(
        &mut self,
        budget_us: u32,
        mut check: impl FnMut() -> Result<Option<T>, E>,
    ) -> Result<Option<T>, E> {
        let mut waited = 0u32;
        let mut pause = self.first_us;
        loop {
            if let Some(v) = check()? {
                return Ok(Some(v));
            }
            if !self.pause(budget_us, &mut waited, &mut pause) {
                return Ok(None);
            }
        }
    }

    /// Pauses for the next step of a wait: `pause` (doubled for the next one, up to
    /// `max_us`), cut to what is left of `budget_us`. False, without pausing, once `waited`
    /// reached the budget. One body for every wait, whatever it checks.
    #[inline(never)]
    fn pause(&mut self, budget_us: u32, waited: &mut u32, pause: &mut u32) -> bool {
        if *waited >= budget_us {
            return false;
        }
        let step = (*pause).min(budget_us - *waited);
        self.delay.delay_us(step);
        *waited = waited.saturating_add(step);
        *pause = pause.saturating_mul(2).min(self.max_us);
        true
    }
}
