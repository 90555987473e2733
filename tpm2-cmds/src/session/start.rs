//! TPM2_StartAuthSession: the salt, the bind, the session key.

use embedded_hal::delay::DelayNs;
use p256::elliptic_curve::Generate;
use p256::elliptic_curve::sec1::ToSec1Point;
use rand_core::CryptoRng;
use tpm2_wire::{
    AlgId, CommandCode, EccCurve, Handle, HandleType, Nonce, PublicParameters, Transport,
    Unmarshal, Writer,
};
use zeroize::Zeroize;

use super::crypto::{DIGEST, kdfa, kdfe, trim_zeros};
use super::{InSession, NameBuf, Salt, SecretBuf, Session, SessionConfig, SessionError};
use crate::{Error, Tpm};

/// The TPMS_ECC_POINT of P-256 that TPM2B_ENCRYPTED_SECRET carries: 2 + 32 + 2 + 32.
const SALT_POINT_LEN: usize = 68;
/// The largest encrypted salt: an RSA-4096 ciphertext with `rsa-salt`, else the ECC point.
#[cfg(feature = "rsa-salt")]
const SALT_MAX: usize = 512;
#[cfg(not(feature = "rsa-salt"))]
const SALT_MAX: usize = SALT_POINT_LEN;

/// sessionKey = KDFa(bind authValue || salt, "ATH", nonceTPM, nonceCaller), or empty when
/// the session is neither bound nor salted.
fn session_key(
    bind_auth: &[u8],
    salt: &[u8],
    (nonce_tpm, nonce_caller): (&[u8; DIGEST], &[u8; DIGEST]),
) -> SecretBuf {
    let mut key_in = [0u8; 64 + DIGEST];
    let mut w = Writer::new(&mut key_in);
    let written = w
        .bytes(bind_auth)
        .and_then(|()| w.bytes(salt))
        .map_or(0, |()| w.position());
    let mut key = [0u8; DIGEST];
    let key_len = if written == 0 {
        0
    } else {
        let input = key_in.get(..written).unwrap_or_default();
        kdfa(input, b"ATH", nonce_tpm, nonce_caller, &mut key);
        DIGEST
    };
    let out = SecretBuf::new(key.get(..key_len).unwrap_or_default());
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
                self.ecc_salt(key, rng, &mut salt, &mut encrypted)?;
                (key, SALT_POINT_LEN)
            }
            #[cfg(feature = "rsa-salt")]
            Salt::Rsa(key) => (key, self.rsa_salt(key, rng, &mut salt, &mut encrypted)?),
        };

        // The bind entity's Name and authValue.
        let (bind_handle, bound) = match config.bind {
            None => (Handle::NULL, None),
            Some((handle, auth)) => {
                let name = self.name_of(handle)?;
                let auth = SecretBuf::new(trim_zeros(auth.as_bytes()));
                (handle, Some((name, auth)))
            }
        };

        let rsp = self.execute(CommandCode::START_AUTH_SESSION, 1, |c| {
            c.handle(tpm_key)?.handle(bind_handle)?;
            c.param(&Nonce::new(&nonce_caller).unwrap_or_default())?;
            let w = c.params();
            w.tpm2b(encrypted.get(..encrypted_len).unwrap_or_default(), u16::MAX)?;
            w.u8(config.kind.wire())?;
            // TPMT_SYM_DEF: AES, 128 bits, CFB; then the session hash.
            w.u16(AlgId::AES.0)?;
            w.u16(128)?;
            w.u16(AlgId::CFB.0)?;
            w.u16(AlgId::SHA256.0)?;
            Ok(c)
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
                nonce_seed: SecretBuf::new(&seed),
                nonce_count: 0,
                bound,
                encrypt: config.attributes(),
                auth_value_needed: false,
                broken: false,
            }
        });
        salt.zeroize();
        seed.zeroize();
        Ok(InSession::new(self, outcome?))
    }

    /// Encrypts a fresh salt to the ECC P-256 key `key`: one-pass ECDH with an ephemeral
    /// key, Z through KDFe ("SECRET", ephemeral X, TPM key X). Writes the salt and the
    /// ephemeral point as TPMS_ECC_POINT.
    fn ecc_salt<R: CryptoRng + ?Sized>(
        &mut self,
        key: Handle,
        rng: &mut R,
        salt: &mut [u8; DIGEST],
        encrypted: &mut [u8; SALT_MAX],
    ) -> Result<(), Error<T::Error>> {
        let public = self.read_public(key)?.public;
        let PublicParameters::Ecc { parms, unique } = public.parameters else {
            return Err(Error::Session(SessionError::UnsuitableSaltKey));
        };
        if parms.curve != EccCurve::NIST_P256 {
            return Err(Error::Session(SessionError::UnsuitableSaltKey));
        }
        let mut sec1 = [0u8; 65];
        let mut w = Writer::new(&mut sec1);
        let tpm_x = unique.x.as_bytes();
        w.u8(0x04)
            .and_then(|()| w.bytes(tpm_x))
            .and_then(|()| w.bytes(unique.y.as_bytes()))
            .map_err(|_| Error::Session(SessionError::UnsuitableSaltKey))?;
        let tpm_key = p256::PublicKey::from_sec1_bytes(&sec1)
            .map_err(|_| Error::Session(SessionError::UnsuitableSaltKey))?;
        let ephemeral = <p256::ecdh::EphemeralSecret as Generate>::generate_from_rng(rng);
        let shared = ephemeral.diffie_hellman(&tpm_key);
        let point = ephemeral.public_key().to_sec1_point(false);
        let (Some(ex), Some(ey)) = (point.x(), point.y()) else {
            return Err(Error::Session(SessionError::UnsuitableSaltKey));
        };
        kdfe(shared.raw_secret_bytes(), b"SECRET", ex, tpm_x, salt);
        let mut w = Writer::new(encrypted);
        w.tpm2b(ex, 32)?;
        w.tpm2b(ey, 32)?;
        Ok(())
    }

    /// Encrypts a fresh salt to the RSA key `key` with RSA-OAEP (SHA-256, label "SECRET\0").
    /// Returns the ciphertext's length.
    #[cfg(feature = "rsa-salt")]
    fn rsa_salt<R: CryptoRng + ?Sized>(
        &mut self,
        key: Handle,
        rng: &mut R,
        salt: &mut [u8; DIGEST],
        encrypted: &mut [u8; SALT_MAX],
    ) -> Result<usize, Error<T::Error>> {
        use rsa::BoxedUint;
        let unsuitable = || Error::Session(SessionError::UnsuitableSaltKey);
        let public = self.read_public(key)?.public;
        let PublicParameters::Rsa { parms, unique } = public.parameters else {
            return Err(unsuitable());
        };
        let modulus = unique.as_bytes();
        let bits = u32::try_from(modulus.len().saturating_mul(8)).unwrap_or(u32::MAX);
        let exponent = if parms.exponent == 0 {
            65_537
        } else {
            parms.exponent
        };
        let n = BoxedUint::from_be_slice(modulus, bits).map_err(|_| unsuitable())?;
        let e = BoxedUint::from(u64::from(exponent));
        let key = rsa::PublicKey::new(n, e).map_err(|_| unsuitable())?;
        rng.fill_bytes(salt);
        let padding = rsa::Oaep::<sha2::Sha256>::new_with_label(&b"SECRET\0"[..]);
        let ciphertext = key.encrypt(rng, padding, salt).map_err(|_| unsuitable())?;
        let len = ciphertext.len();
        let dst = encrypted.get_mut(..len).ok_or_else(unsuitable)?;
        for (d, s) in dst.iter_mut().zip(ciphertext.iter()) {
            *d = *s;
        }
        Ok(len)
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
