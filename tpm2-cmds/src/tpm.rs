//! The client: one command/response buffer, a transport, a retry policy.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{CommandCode, CommandWriter, Response, ResponseCode, Transport};
use zeroize::Zeroize;

use crate::{Error, TpmError};

/// How TPM_RC_RETRY, TESTING, YIELDED and NV_RATE are handled: the same command is sent
/// again after a pause that starts at `first_delay_ms` and doubles, while the pauses add up
/// to at most `max_total_ms` and attempts to at most `max_attempts`. Never unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RetryPolicy {
    /// The first pause, in milliseconds.
    pub first_delay_ms: u32,
    /// The most the pauses may add up to, in milliseconds.
    pub max_total_ms: u32,
    /// The most times a command is sent.
    pub max_attempts: u8,
}

impl RetryPolicy {
    /// 20 ms doubling, up to about 2.5 s in all (what Linux does), at most 8 sends.
    pub const DEFAULT: Self = Self {
        first_delay_ms: 20,
        max_total_ms: 2_600,
        max_attempts: 8,
    };
    /// Send once; return every warning to the caller.
    pub const NEVER: Self = Self {
        first_delay_ms: 0,
        max_total_ms: 0,
        max_attempts: 1,
    };
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether `rc` is one of the warnings the retry policy sends again. Compared as whole codes
/// (layer 0, format 0, no reserved bits), so that no code table is linked for it.
fn retry_warning(rc: ResponseCode) -> bool {
    matches!(
        rc,
        ResponseCode::RETRY | ResponseCode::TESTING | ResponseCode::YIELDED | ResponseCode::NV_RATE
    )
}

/// Overwrites secrets with [`zeroize`], whose optimisation barrier keeps the clear from
/// being removed as a dead store. Out of line, so that every wipe, of a whole buffer or of
/// a part, clears through the one byte-aligned routine: with [`zeroed`], that keeps the
/// word-aligned clear routine (174 B of flash) out of the image.
#[inline(never)]
pub(crate) fn wipe(bytes: &mut [u8]) {
    bytes.zeroize();
}

/// A zeroed buffer, made out of line: its return slot is only byte-aligned, so the clear
/// goes through the same routine as every wipe (measured: inlined, a word-aligned clear
/// routine was linked for it alone, 174 B of flash).
#[inline(never)]
fn zeroed<const N: usize>() -> [u8; N] {
    [0; N]
}

/// Wipes the command bytes the response did not overwrite (from `rsp_len` on) in the
/// `secrets` ranges: the authorization area and the secret parameters. Not generic, so that
/// every command shares one copy.
fn wipe_unanswered(buf: &mut [u8], secrets: &[Option<core::ops::Range<usize>>; 2], rsp_len: usize) {
    for range in secrets.iter().flatten().filter(|r| r.end > rsp_len) {
        let from = range.start.max(rsp_len);
        wipe(buf.get_mut(from..range.end).unwrap_or_default());
    }
}

/// What writes a command's handles, authorizations and parameters.
pub(crate) type Build<'b> =
    dyn for<'c, 'w> Fn(&'c mut CommandWriter<'w>) -> &'c mut CommandWriter<'w> + 'b;

/// A TPM 2.0 reached through a [`Transport`], with a command/response buffer of `N` bytes
/// (4096 by default, the PC Client maximum).
///
/// Results borrow from the buffer (zero-copy views), so they live until the next command.
/// Authorization values and secret parameters (new authValues) are wiped from the buffer
/// after every transaction, whatever its outcome.
#[derive(Debug)]
pub struct Tpm<T, D, const N: usize = 4096> {
    transport: T,
    delay: D,
    retry: RetryPolicy,
    pub(crate) nv_buffer_max: Option<u16>,
    /// The sessions installed by `InSession` guards, innermost last.
    #[cfg(feature = "sessions")]
    pub(crate) sessions: heapless::Vec<crate::session::Session, { crate::session::MAX_SESSIONS }>,
    pub(crate) buf: [u8; N],
}

impl<T: Transport, D: DelayNs> Tpm<T, D> {
    /// A client over `transport` with the PC Client's 4 KiB buffer, pausing with `delay`
    /// between retries. [`Tpm::with_buffer`] chooses another size.
    ///
    /// ```
    /// # use tpm2_cmds::{Tpm, Transport};
    /// # fn open<T: Transport, D: embedded_hal::delay::DelayNs>(transport: T, delay: D) {
    /// let mut tpm = Tpm::new(transport, delay); // no type annotation needed
    /// # let _ = &mut tpm; }
    /// ```
    pub fn new(transport: T, delay: D) -> Self {
        Self::with_buffer(transport, delay)
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// A client with a buffer of `N` bytes: smaller for a firmware with little RAM (every
    /// command and response must fit), as `Tpm::<_, _, 1024>::with_buffer(t, d)`.
    pub fn with_buffer(transport: T, delay: D) -> Self {
        Self {
            transport,
            delay,
            retry: RetryPolicy::DEFAULT,
            nv_buffer_max: None,
            #[cfg(feature = "sessions")]
            sessions: heapless::Vec::new(),
            buf: zeroed(),
        }
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport and the delay back.
    pub fn into_parts(self) -> (T, D) {
        (self.transport, self.delay)
    }

    /// Builds a command with `build`, sends it (again, under the retry policy, while the TPM
    /// answers a transient warning), checks the response code, and returns the parsed frame
    /// of a response with `response_handles` handles.
    ///
    /// `build` writes handles, the authorization area and parameters, in that order; a write
    /// that does not fit, or one out of order, is kept by the writer and returned here as
    /// [`Error::Wire`] before anything is sent. A command this crate has no method for is
    /// one call:
    ///
    /// ```
    /// # use tpm2_cmds::{Error, Tpm, Transport};
    /// # use tpm2_cmds::wire::{CommandCode, Digest, Unmarshal};
    /// # fn random<T: Transport, D: embedded_hal::delay::DelayNs>(
    /// #     tpm: &mut Tpm<T, D>,
    /// # ) -> Result<(), Error<T::Error>> {
    /// // TPM2_GetRandom(16).
    /// let rsp = tpm.execute(CommandCode::GET_RANDOM, 0, |c| c.param(&16u16))?;
    /// let mut p = rsp.parameters();
    /// let random = Digest::decode(&mut p);
    /// p.finish()?; // every read checked once, before the value is used
    /// assert!(random.len() <= 16);
    /// # Ok(()) }
    /// ```
    pub fn execute(
        &mut self,
        code: CommandCode,
        response_handles: usize,
        build: impl for<'c, 'w> Fn(&'c mut CommandWriter<'w>) -> &'c mut CommandWriter<'w>,
    ) -> Result<Response<'_>, Error<T::Error>> {
        // One body for every command: the closures differ, the transaction does not.
        self.transaction(code, response_handles, &build)
    }

    fn transaction(
        &mut self,
        code: CommandCode,
        response_handles: usize,
        build: &Build<'_>,
    ) -> Result<Response<'_>, Error<T::Error>> {
        #[cfg(feature = "sessions")]
        let plan = self.session_plan(code, build)?;
        #[cfg(feature = "sessions")]
        let mut sealed = None;
        let mut attempt: u8 = 0;
        let mut waited_ms: u32 = 0;
        let mut pause_ms = self.retry.first_delay_ms;
        let rsp_len = loop {
            attempt = attempt.saturating_add(1);
            #[allow(unused_mut)]
            let (mut len, mut secrets) = {
                let mut cmd = CommandWriter::new(&mut self.buf, code);
                build(&mut cmd);
                let secrets = [cmd.auth_range(), cmd.secret_range()];
                match cmd.finish() {
                    Ok(len) => (len, secrets),
                    Err(e) => {
                        wipe(&mut self.buf);
                        return Err(e.into());
                    }
                }
            };
            #[cfg(feature = "sessions")]
            if let Some(plan) = &plan {
                len = self.seal_command(plan, code, len, &mut secrets, &mut sealed)?;
            }
            let sent = self.transport.transact(&mut self.buf, len).map(<[u8]>::len);
            let rsp_len = match sent {
                Ok(n) => n,
                Err(e) => {
                    wipe(&mut self.buf);
                    return Err(Error::Transport(e));
                }
            };
            wipe_unanswered(&mut self.buf, &secrets, rsp_len);
            let rc = tpm2_wire::Header::parse(self.buf.get(..rsp_len).unwrap_or_default())?;
            let rc = ResponseCode(rc.code.get());
            let may_retry = attempt < self.retry.max_attempts
                && waited_ms.saturating_add(pause_ms) <= self.retry.max_total_ms;
            if !(retry_warning(rc) && may_retry) {
                break rsp_len;
            }
            self.delay.delay_ms(pause_ms);
            waited_ms = waited_ms.saturating_add(pause_ms);
            pause_ms = pause_ms.saturating_mul(2).max(1);
        };
        #[cfg(feature = "sessions")]
        if let Some(seal) = &sealed {
            self.open_response(seal, code, response_handles, rsp_len)?;
        }
        let frame = self.buf.get(..rsp_len).unwrap_or_default();
        let response = Response::parse(frame, response_handles)?;
        if response.code().is_success() {
            Ok(response)
        } else {
            Err(Error::Tpm(TpmError::new(code, response.code())))
        }
    }
}
