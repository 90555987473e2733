//! TPM2_StartAuthSession: the salt, the bind, the session key.

use embedded_hal::delay::DelayNs;
use rand_core::CryptoRng;
use tpm2_wire::{AlgId, CommandCode, Handle, HandleType, Nonce, Transport, Unmarshal, Writer};
use zeroize::Zeroize;

use super::crypto::{DIGEST, kdfa, trim_zeros};
use super::kem;
use super::{AuthBuf, InSession, NameBuf, Salt, Secret32, Session, SessionConfig, SessionError};
use crate::{Error, Tpm};

/// The largest encrypted salt: an RSA-4096 ciphertext with `rsa-salt`, else the ECC point.
#[cfg(feature = "rsa-salt")]
const SALT_MAX: usize = 512;
#[cfg(not(feature = "rsa-salt"))]
const SALT_MAX: usize = kem::ECC_POINT_LEN;

/// sessionKey = KDFa(bind authValue || salt, "ATH", nonceTPM, nonceCaller), or empty when
/// the session is neither bound nor salted.
#[inline(never)]
fn session_key(
    bind_auth: &[u8],
    salt: &[u8],
    (nonce_tpm, nonce_caller): (&[u8; DIGEST], &[u8; DIGEST]),
) -> Secret32 {
    let mut key_in = [0u8; 64 + DIGEST];
    let mut w = Writer::new(&mut key_in);
    w.bytes(bind_auth);
    w.bytes(salt);
    let written = w.result().unwrap_or(0);
    let mut key = [0u8; DIGEST];
    let key_len = if written == 0 {
        0
    } else {
        let input = key_in.get(..written).unwrap_or_default();
        kdfa(input, b"ATH", nonce_tpm, nonce_caller, &mut key);
        DIGEST
    };
    let out = Secret32::new(key.get(..key_len).unwrap_or_default());
    key_in.zeroize();
    key.zeroize();
    out
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_StartAuthSession with SHA-256 and AES-128-CFB, as `config` says; `rng` gives the
    /// caller's nonces and the ephemeral ECDH key (never the TPM's own GetRandom, which a
    /// bus observer could read).
    ///
    /// The returned guard authorizes the commands sent through it and flushes the session
    /// when it drops. A salt key that is not ECC P-256 is [`SessionError::UnsuitableSaltKey`].
    #[inline(never)]
    pub fn start_session<R: CryptoRng + ?Sized>(
        &mut self,
        config: &SessionConfig<'_>,
        rng: &mut R,
    ) -> Result<InSession<'_, T, D, N>, Error<T::Error>> {
        if self.sessions.is_full() {
            return Err(Error::Session(SessionError::TooManySessions));
        }
        let mut seed = [0u8; DIGEST];
        rng.fill_bytes(&mut seed);
        let mut nonce_caller = [0u8; DIGEST];
        rng.fill_bytes(&mut nonce_caller);

        // The salt and its encryption to the TPM's key.
        let mut salt = [0u8; DIGEST];
        let mut encrypted = [0u8; SALT_MAX];
        let (tpm_key, encrypted_len) = match config.salt {
            Salt::None => (Handle::NULL, 0),
            Salt::Ecc(key) => {
                let public = self.read_public(key)?.public;
                let len = kem::ecc_seed(&public, b"SECRET", rng, &mut salt, &mut encrypted);
                (key, len.map_err(Error::Session)?)
            }
            #[cfg(feature = "rsa-salt")]
            Salt::Rsa(key) => {
                let public = self.read_public(key)?.public;
                let len = kem::rsa_seed(&public, b"SECRET\0", rng, &mut salt, &mut encrypted);
                (key, len.map_err(Error::Session)?)
            }
        };

        // The bind entity's Name and authValue.
        let (bind_handle, bound) = match config.bind {
            None => (Handle::NULL, None),
            Some((handle, auth)) => {
                let name = self.name_of(handle)?;
                let auth = AuthBuf::new(trim_zeros(auth.as_bytes()));
                (handle, Some((name, auth)))
            }
        };

        let rsp = self.execute(CommandCode::START_AUTH_SESSION, 1, |c| {
            c.handle(tpm_key).handle(bind_handle);
            c.param(&Nonce::new(&nonce_caller).unwrap_or_default());
            let w = c.params();
            w.tpm2b(encrypted.get(..encrypted_len).unwrap_or_default(), u16::MAX);
            w.u8(config.kind.wire());
            // TPMT_SYM_DEF: AES, 128 bits, CFB; then the session hash.
            w.u16(AlgId::AES.0);
            w.u16(128);
            w.u16(AlgId::CFB.0);
            w.u16(AlgId::SHA256.0);
            c
        });
        let started = rsp.map(|rsp| {
            let handle = rsp.handle(0).unwrap_or(Handle::NULL);
            let mut p = rsp.parameters();
            let nonce = Nonce::unmarshal(&mut p).and_then(|n| p.finish().map(|()| n));
            let nonce = nonce.map(|n| {
                let mut nonce_tpm = [0u8; DIGEST];
                for (d, s) in nonce_tpm.iter_mut().zip(n.as_bytes()) {
                    *d = *s;
                }
                nonce_tpm
            });
            (handle, nonce)
        });
        let started = match started {
            // Nothing to flush: whatever this handle is, it is not our session.
            Ok((handle, _)) if handle.handle_type() != config.kind.handle_type() => {
                Err(Error::Session(SessionError::BadSessionHandle(handle)))
            }
            Ok((handle, Err(e))) => {
                // The TPM holds a session whose answer did not parse: flush it.
                let _flushed = self.flush_context(handle);
                Err(Error::Wire(e))
            }
            Ok((handle, Ok(nonce))) => Ok((handle, nonce)),
            Err(e) => Err(e),
        };
        let outcome = started.map(|(handle, nonce_tpm)| {
            let bind_auth = bound.as_ref().map_or(&[][..], |(_, a)| a.as_bytes());
            let salt_part = salt.get(..if encrypted_len > 0 { DIGEST } else { 0 });
            let nonces = (&nonce_tpm, &nonce_caller);
            Session {
                handle,
                kind: config.kind,
                key: session_key(bind_auth, salt_part.unwrap_or_default(), nonces),
                nonce_tpm,
                nonce_seed: Secret32::new(&seed),
                nonce_count: 0,
                bound,
                encrypt: config.attributes(),
                auth_value_needed: false,
                target: None,
                broken: false,
            }
        });
        salt.zeroize();
        seed.zeroize();
        Ok(InSession::new(self, outcome?))
    }

    /// The Name of `handle` for a cpHash or a bind: the handle itself for permanent handles,
    /// PCRs and sessions; asked of the TPM for NV indices and objects.
    pub(crate) fn name_of(&mut self, handle: Handle) -> Result<NameBuf, Error<T::Error>> {
        match handle.handle_type() {
            HandleType::NV_INDEX => Ok(NameBuf::new(self.nv_read_public(handle)?.name.as_bytes())),
            HandleType::TRANSIENT | HandleType::PERSISTENT => {
                Ok(NameBuf::new(self.read_public(handle)?.name.as_bytes()))
            }
            _ => Ok(NameBuf::of_handle(handle)),
        }
    }
}
