//! The session guard: commands sent through it are authorized by the session, and the
//! session is flushed when it drops.

use core::ops::{Deref, DerefMut};

use embedded_hal::delay::DelayNs;
use tpm2_wire::{Auth, CommandCode, Digest, Handle, Nonce, PcrSelectionList, Transport, Unmarshal};

use super::{PolicyDigest, Session};
use crate::{Error, Tpm};

/// A started session installed in the client: every command sent through the guard that
/// carries an authorization is authorized by the session, and the policy commands act on it.
/// The session is flushed when the guard drops (on every path), or by [`InSession::end`].
///
/// ```
/// use tpm2_cmds::session::{SessionConfig, SessionType};
/// use tpm2_cmds::{Auth, Handle, Tpm};
/// # let mut tpm = Tpm::new(
/// #     tpm2_tests::libtpms::Libtpms::start()?,
/// #     tpm2_tests::delay::VirtualClock::default(),
/// # );
/// # tpm.startup(tpm2_cmds::StartupType::CLEAR)?;
/// # let mut rng = rand::rng();
/// // A trial session computes the TCG EK policy on the TPM itself.
/// let mut trial = tpm.start_session(&SessionConfig::plain(SessionType::Trial), &mut rng)?;
/// trial.policy_secret(Handle::ENDORSEMENT, Auth::EMPTY)?;
/// let digest = trial.policy_get_digest()?;
/// trial.end()?;
/// assert_eq!(digest.to_string(), "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InSession<'t, T: Transport, D: DelayNs, const N: usize> {
    tpm: &'t mut Tpm<T, D, N>,
    handle: Handle,
}

impl<'t, T: Transport, D: DelayNs, const N: usize> InSession<'t, T, D, N> {
    pub(crate) fn new(tpm: &'t mut Tpm<T, D, N>, session: Session) -> Self {
        let handle = session.handle;
        // `start_session` checked that there is room.
        let _pushed = tpm.sessions.push(session);
        Self { tpm, handle }
    }

    /// The session handle.
    #[must_use]
    pub const fn handle(&self) -> Handle {
        self.handle
    }

    /// Flushes the session now, reporting the result a drop would discard.
    pub fn end(mut self) -> Result<(), Error<T::Error>> {
        self.close()
    }

    fn close(&mut self) -> Result<(), Error<T::Error>> {
        // Guards nest (each borrows the one before), so this session is the innermost.
        if self
            .tpm
            .sessions
            .last()
            .is_some_and(|s| s.handle == self.handle)
        {
            // The session's secrets are wiped as it drops here.
            if let Some(session) = self.tpm.sessions.pop() {
                return self.tpm.flush_context(session.handle);
            }
        }
        Ok(())
    }

    fn own(&mut self) -> Option<&mut Session> {
        let handle = self.handle;
        self.tpm
            .sessions
            .iter_mut()
            .rev()
            .find(|s| s.handle == handle)
    }

    /// Directs the session at `handle`: it authorizes that handle in every command that has
    /// it (whatever its position), and no command without it; the command's other handles
    /// keep their password authorizations. ActivateCredential needs this, where the EK's
    /// policy session authorizes the second handle while the AK's authValue authorizes the
    /// first.
    #[must_use]
    pub fn for_handle(mut self, handle: Handle) -> Self {
        if let Some(s) = self.own() {
            s.target = Some(handle);
        }
        self
    }

    fn policy_nonce(&mut self) -> [u8; 32] {
        self.own().map_or([0; 32], |s| s.nonce_tpm)
    }

    /// TPM2_PolicySecret: the entity `auth_handle` (a hierarchy, an NV index, an object)
    /// proves knowledge of its authValue `auth`, which adds its Name to the policy.
    pub fn policy_secret(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
    ) -> Result<(), Error<T::Error>> {
        let nonce = self.policy_nonce();
        let session = self.handle;
        self.tpm
            .execute(CommandCode::POLICY_SECRET, 0, |c| {
                c.handle(auth_handle).handle(session).password(auth);
                c.param(&Nonce::new(&nonce).unwrap_or_default())
                    .param(&Digest::EMPTY)
                    .param(&Nonce::EMPTY)
                    .param(&0u32) // expiration: none
            })
            .map(drop)
    }

    /// TPM2_PolicyCommandCode: the session may authorize only `code`.
    pub fn policy_command_code(&mut self, code: CommandCode) -> Result<(), Error<T::Error>> {
        let session = self.handle;
        self.tpm
            .execute(CommandCode::POLICY_COMMAND_CODE, 0, |c| {
                c.handle(session).param(&code)
            })
            .map(drop)
    }

    /// TPM2_PolicyAuthValue: the entity's authValue goes into the session's HMAC key.
    pub fn policy_auth_value(&mut self) -> Result<(), Error<T::Error>> {
        let session = self.handle;
        self.tpm
            .execute(CommandCode::POLICY_AUTH_VALUE, 0, |c| c.handle(session))?;
        if let Some(s) = self.own() {
            s.auth_value_needed = true;
        }
        Ok(())
    }

    /// TPM2_PolicyPCR: the PCRs of `selection` must have the values hashing to
    /// `pcr_digest` (empty: their current values).
    pub fn policy_pcr(
        &mut self,
        selection: &PcrSelectionList<'_>,
        pcr_digest: &[u8],
    ) -> Result<(), Error<T::Error>> {
        let session = self.handle;
        let digest = Digest::new(pcr_digest).ok_or(tpm2_wire::WireError::TooLarge {
            offset: 0,
            value: u32::try_from(pcr_digest.len()).unwrap_or(u32::MAX),
            max: Digest::MAX.into(),
        })?;
        self.tpm
            .execute(CommandCode::POLICY_PCR, 0, |c| {
                c.handle(session).param(&digest).param(selection)
            })
            .map(drop)
    }

    /// TPM2_PolicyOR: the session's digest must be one of `branches` (2 to 8).
    pub fn policy_or(&mut self, branches: &[PolicyDigest]) -> Result<(), Error<T::Error>> {
        let session = self.handle;
        self.tpm
            .execute(CommandCode::POLICY_OR, 0, |c| {
                c.handle(session);
                let w = c.params();
                w.u32(u32::try_from(branches.len()).unwrap_or(u32::MAX));
                for b in branches {
                    w.tpm2b(b.as_bytes(), Digest::MAX);
                }
                c
            })
            .map(drop)
    }

    /// TPM2_PolicyGetDigest: the session's policy digest.
    pub fn policy_get_digest(&mut self) -> Result<PolicyDigest, Error<T::Error>> {
        let session = self.handle;
        let rsp = self
            .tpm
            .execute(CommandCode::POLICY_GET_DIGEST, 0, |c| c.handle(session))?;
        let mut p = rsp.parameters();
        let digest = Digest::decode(&mut p);
        p.finish()?;
        let mut out = [0u8; 32];
        for (d, s) in out.iter_mut().zip(digest.as_bytes()) {
            *d = *s;
        }
        Ok(PolicyDigest::from_bytes(out))
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Deref for InSession<'_, T, D, N> {
    type Target = Tpm<T, D, N>;
    fn deref(&self) -> &Self::Target {
        self.tpm
    }
}

impl<T: Transport, D: DelayNs, const N: usize> DerefMut for InSession<'_, T, D, N> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.tpm
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Drop for InSession<'_, T, D, N> {
    fn drop(&mut self) {
        // Nothing to report to from a drop: `end` is there for callers who care.
        let _ = self.close();
    }
}

impl<T: Transport, D: DelayNs, const N: usize> core::fmt::Debug for InSession<'_, T, D, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InSession")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
