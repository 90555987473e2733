//! What the EK's policy makes necessary: an AK created and loaded under the EK, and a
//! credential activated by the EK, each authorized by a policy session with
//! PolicySecret(TPM_RH_ENDORSEMENT) (the EK has no userWithAuth).

use embedded_hal::delay::DelayNs;
use rand_core::CryptoRng;
use tpm2_wire::{Auth, EncryptedSecret, Handle, IdObject, Public, SensitiveCreate, Transport};

use super::{InSession, NameBuf, SecretBuf, SessionConfig, SessionType};
use crate::{Error, KeyBlob, Tpm};

/// An AK created under the EK and loaded: flush `handle` when done.
#[derive(Debug, Clone)]
pub struct Ak {
    /// The transient handle.
    pub handle: Handle,
    name: NameBuf,
    /// The public and private areas, to load the AK again later.
    pub blob: KeyBlob,
}

impl Ak {
    /// The AK's Name, as the TPM returned it from Load.
    #[must_use]
    pub fn name(&self) -> &[u8] {
        self.name.as_bytes()
    }
}

/// A secret ActivateCredential released, wiped on drop.
pub struct ActivatedSecret(SecretBuf);

impl ActivatedSecret {
    /// The secret.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl core::fmt::Debug for ActivatedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ActivatedSecret({} secret bytes)", self.as_bytes().len())
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// A policy session satisfying the TCG EK policy (PolicySecret of the endorsement
    /// hierarchy with `endorsement_auth`), directed at the loaded EK `ek`. A policy session
    /// is spent by the command it authorizes: start one per command.
    pub fn ek_policy<R: CryptoRng + ?Sized>(
        &mut self,
        ek: Handle,
        endorsement_auth: Auth<'_>,
        rng: &mut R,
    ) -> Result<InSession<'_, T, D, N>, Error<T::Error>> {
        let mut session = self
            .start_session(&SessionConfig::plain(SessionType::Policy), rng)?
            .for_handle(ek);
        session.policy_secret(Handle::ENDORSEMENT, endorsement_auth)?;
        Ok(session)
    }

    /// Creates an AK from `template` (e.g. [`AK_RSA_2048`](crate::templates::AK_RSA_2048))
    /// under the loaded EK `ek` with authValue `ak_auth`, and loads it: two commands, each
    /// under a fresh EK policy session, as `tpm2_createak` does. Nothing is left behind on
    /// failure; on success the caller flushes [`Ak::handle`].
    pub fn create_ak<R: CryptoRng + ?Sized>(
        &mut self,
        ek: Handle,
        endorsement_auth: Auth<'_>,
        (template, ak_auth): (&Public<'_>, Auth<'_>),
        rng: &mut R,
    ) -> Result<Ak, Error<T::Error>> {
        let sensitive = SensitiveCreate {
            user_auth: ak_auth,
            ..SensitiveCreate::default()
        };
        let blob = {
            let mut session = self.ek_policy(ek, endorsement_auth, rng)?;
            let created = session.create(ek, Auth::EMPTY, template, &sensitive)?;
            let blob = KeyBlob::of(&created)?;
            session.end()?;
            blob
        };
        let public = blob.public()?;
        let mut session = self.ek_policy(ek, endorsement_auth, rng)?;
        let loaded = session.load(ek, Auth::EMPTY, blob.private(), &public)?;
        let (handle, name) = (loaded.handle, NameBuf::new(loaded.name.as_bytes()));
        if let Err(e) = session.end() {
            let _flushed = self.flush_context(handle);
            return Err(e);
        }
        Ok(Ak { handle, name, blob })
    }

    /// ActivateCredential of `credential` and `secret` (made by a verifier for the Name of
    /// the loaded object `activate`, authorized by `activate_auth`) with the EK `ek` under an
    /// EK policy session: the secret comes back only if both are on this TPM.
    pub fn activate_credential_with_ek<R: CryptoRng + ?Sized>(
        &mut self,
        (activate, activate_auth): (Handle, Auth<'_>),
        (ek, endorsement_auth): (Handle, Auth<'_>),
        (credential, secret): (IdObject<'_>, EncryptedSecret<'_>),
        rng: &mut R,
    ) -> Result<ActivatedSecret, Error<T::Error>> {
        let mut session = self.ek_policy(ek, endorsement_auth, rng)?;
        let digest = session.activate_credential(
            (activate, activate_auth),
            (ek, Auth::EMPTY),
            credential,
            secret,
        )?;
        let out = ActivatedSecret(SecretBuf::new(digest.as_bytes()));
        crate::tpm::wipe(&mut session.buf);
        session.end()?;
        Ok(out)
    }
}
