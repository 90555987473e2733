//! HMAC, policy and trial sessions (feature `sessions`): salted with an ECC P-256 key by
//! ECDH and KDFe, or bound to an entity, with SHA-256 command and response HMACs and
//! AES-128-CFB parameter encryption in either direction.
//!
//! A session is started with [`Tpm::start_session`](crate::Tpm::start_session), which returns
//! an [`InSession`] guard. While the guard lives, every command sent through it that carries
//! an authorization (a password in the ordinary API) is authorized by the session instead:
//! the authValue goes into the HMAC key and never onto the bus, the first parameter is
//! encrypted if the command has a sized first parameter, and the response HMAC is checked
//! before anything of the response is returned. The guard flushes the session on every path.
//!
//! Secrets (session key, salt, authValues copied from the command) are wiped when the
//! session ends and on every error path.

mod area;
pub(crate) mod crypto;
mod ek;
pub(crate) mod exec;
pub(crate) mod kem;
mod policy;
mod scope;
mod start;

pub use crypto::{kdfa, kdfe};

/// How many sessions may be installed at once: an authorizing one and an encrypting one.
pub const MAX_SESSIONS: usize = 2;
pub use ek::{ActivatedSecret, Ak};
pub use policy::PolicyDigest;
pub use scope::InSession;

use tpm2_wire::{Auth, Handle, SessionAttributes};
use zeroize::Zeroize;

use crypto::DIGEST;

/// What a session is for (TPM_SE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SessionType {
    /// An HMAC session (TPM_SE_HMAC): authorizes with the entity's authValue.
    Hmac,
    /// A policy session (TPM_SE_POLICY): authorizes when its digest equals the authPolicy.
    Policy,
    /// A trial policy session (TPM_SE_TRIAL): computes a policy digest, authorizes nothing.
    Trial,
}

impl SessionType {
    /// The handle type the TPM gives this kind of session.
    const fn handle_type(self) -> tpm2_wire::HandleType {
        match self {
            Self::Hmac => tpm2_wire::HandleType::HMAC_SESSION,
            Self::Policy | Self::Trial => tpm2_wire::HandleType::POLICY_SESSION,
        }
    }

    const fn wire(self) -> u8 {
        match self {
            Self::Hmac => 0x00,
            Self::Policy => 0x01,
            Self::Trial => 0x03,
        }
    }
}

/// How the session key is protected from a bus observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Salt {
    /// No salt: the session key comes from the bind authValue alone (or is empty).
    None,
    /// A salt encrypted to a loaded ECC P-256 decryption key (the ECC EK, or a primary in
    /// the NULL hierarchy as Linux does) by one-pass ECDH and KDFe.
    Ecc(Handle),
    /// A salt encrypted to a loaded RSA decryption key (the RSA EK) by RSA-OAEP with the
    /// label "SECRET". Feature `rsa-salt` (the `rsa` crate needs an allocator).
    #[cfg(feature = "rsa-salt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rsa-salt")))]
    Rsa(Handle),
}

/// How to start a session.
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig<'a> {
    /// HMAC, policy or trial.
    pub kind: SessionType,
    /// The salt.
    pub salt: Salt,
    /// The entity the session is bound to and its authValue, or `None` for an unbound session.
    pub bind: Option<(Handle, Auth<'a>)>,
    /// Encrypt the first command parameter where the command has a sized one (decrypt).
    pub encrypt_commands: bool,
    /// Ask the TPM to encrypt the first response parameter where it is sized (encrypt).
    pub encrypt_responses: bool,
}

impl SessionConfig<'_> {
    /// A salted HMAC session that encrypts parameters both ways: what protects authValues
    /// and secrets on an exposed bus.
    #[must_use]
    pub const fn salted_hmac(salt_key: Handle) -> Self {
        Self {
            kind: SessionType::Hmac,
            salt: Salt::Ecc(salt_key),
            bind: None,
            encrypt_commands: true,
            encrypt_responses: true,
        }
    }

    /// An unsalted, unbound session of `kind` without parameter encryption (a policy session
    /// for the EK, a trial session to compute a digest).
    #[must_use]
    pub const fn plain(kind: SessionType) -> Self {
        Self {
            kind,
            salt: Salt::None,
            bind: None,
            encrypt_commands: false,
            encrypt_responses: false,
        }
    }
}

impl SessionConfig<'_> {
    fn attributes(&self) -> SessionAttributes {
        let mut a = SessionAttributes::empty();
        a.set(SessionAttributes::DECRYPT, self.encrypt_commands);
        a.set(SessionAttributes::ENCRYPT, self.encrypt_responses);
        a
    }
}

/// Why a session could not be used. The session is not used again after any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SessionError {
    /// The response HMAC did not verify: the response was altered or does not come from the
    /// TPM that holds the session. Nothing of it was returned.
    ResponseHmac,
    /// The response lacked the session's authorization entry.
    MissingResponseSession,
    /// The salt key is not of the kind the salt names (ECC P-256, RSA), or its public key is
    /// invalid (a point off the curve, a modulus RSA-OAEP cannot use).
    UnsuitableSaltKey,
    /// The session broke earlier (a bad response HMAC) and is not used again.
    Broken,
    /// The command has more handles or sessions than a session can account for.
    TooManyHandles,
    /// [`MAX_SESSIONS`] sessions are installed already.
    TooManySessions,
    /// StartAuthSession answered with a handle that is not a session of the kind asked for.
    BadSessionHandle(Handle),
}

impl core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::ResponseHmac => {
                "the response HMAC does not verify: the response was altered on the way"
            }
            Self::MissingResponseSession => "the response has no entry for the session",
            Self::UnsuitableSaltKey => "the salt key is not a usable key of the salt's kind",
            Self::Broken => "the session broke earlier and is not used again",
            Self::TooManyHandles => "the command has more handles than a session supports",
            Self::TooManySessions => "two sessions are installed already",
            Self::BadSessionHandle(h) => {
                return write!(
                    f,
                    "StartAuthSession answered with handle {:#010x}, not a session",
                    h.0
                );
            }
        })
    }
}

/// A Name kept for the length of one command (a handle, or nameAlg and digest).
pub(crate) type NameBuf = crate::OwnedBytes<68>;

impl NameBuf {
    pub(crate) fn of_handle(handle: Handle) -> Self {
        Self::new(&handle.0.to_be_bytes())
    }
}

/// A session key and an authValue: 32 + 64 bytes.
pub(crate) const KEY_AND_AUTH: usize = 96;

/// Secret bytes (a key, an authValue, a key with an authValue appended), at most `N`,
/// wiped on drop. The default holds a session key and an authValue; a session key or nonce
/// seed alone takes a [`Secret32`].
#[derive(Clone)]
pub(crate) struct SecretBuf<const N: usize = KEY_AND_AUTH> {
    bytes: [u8; N],
    len: usize,
}

/// A SHA-256-sized secret: a session key, a nonce seed.
pub(crate) type Secret32 = SecretBuf<32>;

/// An authValue: at most the largest digest, 64 bytes.
pub(crate) type AuthBuf = SecretBuf<64>;

impl<const N: usize> SecretBuf<N> {
    pub(crate) const fn empty() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    /// `bytes`, cut to `N`.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut out = Self::empty();
        for (d, s) in out.bytes.iter_mut().zip(bytes) {
            *d = *s;
        }
        out.len = bytes.len().min(N);
        out
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl<const N: usize> Drop for SecretBuf<N> {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// The caller's side of a started session. Its secrets are wiped when it drops.
pub(crate) struct Session {
    pub(crate) handle: Handle,
    pub(crate) kind: SessionType,
    /// The session key (empty when neither salted nor bound).
    pub(crate) key: Secret32,
    pub(crate) nonce_tpm: [u8; DIGEST],
    /// Seeds the caller nonces: nonce i = HMAC(seed, i).
    nonce_seed: Secret32,
    nonce_count: u64,
    /// The bind entity: its Name and authValue (trailing zeros removed).
    pub(crate) bound: Option<(NameBuf, AuthBuf)>,
    /// DECRYPT and ENCRYPT as the caller asked; set per command where it applies.
    pub(crate) encrypt: SessionAttributes,
    /// PolicyAuthValue ran: the authValue goes into the HMAC key.
    pub(crate) auth_value_needed: bool,
    /// The one handle the session authorizes (`InSession::for_handle`), or `None` for the
    /// first handle of every command.
    pub(crate) target: Option<Handle>,
    pub(crate) broken: bool,
}

impl Session {
    /// The next caller nonce.
    pub(crate) fn next_nonce(&mut self) -> [u8; DIGEST] {
        self.nonce_count = self.nonce_count.wrapping_add(1);
        crypto::hmac(
            self.nonce_seed.as_bytes(),
            &[b"nonceCaller", &self.nonce_count.to_be_bytes()],
        )
    }
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("handle", &self.handle)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.nonce_tpm.zeroize();
    }
}
