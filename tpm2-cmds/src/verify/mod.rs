//! The verifier (feature `verify`): what a relying party runs, with or without a TPM of its
//! own. It computes Names and SPKI documents of TPM keys, makes credentials for
//! ActivateCredential, checks Quotes, and parses and replays the TCG crypto-agile event log.
//!
//! Nothing here talks to a TPM: the inputs are the bytes an attester sent (a TPM2B_PUBLIC,
//! a TPMS_ATTEST and its signature, PCR values, an event log), so a verifier can run on
//! another machine. It needs an allocator (the RSA and DER crates use one).
//!
//! ```
//! use tpm2_cmds::templates::AK_RSA_2048;
//! use tpm2_cmds::verify;
//! // The Name of a public area: nameAlg || H(TPMT_PUBLIC).
//! let name = verify::object_name(&AK_RSA_2048)?;
//! assert_eq!(&name.as_bytes()[..2], [0x00, 0x0B]); // SHA-256
//! assert_eq!(name.as_bytes().len(), 34);
//! # Ok::<(), verify::VerifyError>(())
//! ```

mod credential;
pub mod eventlog;
mod name;
mod quote;

pub use credential::{Credential, make_credential};
pub use name::{ObjectName, object_name, spki_der, spki_pem};
pub use quote::{Expected, QuoteError, verify_quote};

use core::fmt;

use tpm2_wire::{AlgId, WireError};

/// Why a verifier input could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// A hash algorithm the verifier does not implement (it has SHA-1, SHA-256, SHA-384 and
    /// SHA-512).
    UnsupportedHash(AlgId),
    /// A key of a type or size the operation cannot use (the EK of a credential must be
    /// RSA 2048+ or ECC P-256 with SHA-256 and AES-128).
    UnsupportedKey,
    /// A structure did not decode or encode.
    Wire(WireError),
    /// The secret of a credential is larger than the EK's Name digest (TPM_RC_SIZE).
    SecretTooLarge,
}

impl From<WireError> for VerifyError {
    fn from(e: WireError) -> Self {
        Self::Wire(e)
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedHash(alg) => write!(f, "hash algorithm {alg} is not supported"),
            Self::UnsupportedKey => f.write_str("the key's type or parameters are not supported"),
            Self::Wire(e) => write!(f, "malformed structure: {e}"),
            Self::SecretTooLarge => {
                f.write_str("the credential secret is larger than the EK's Name digest")
            }
        }
    }
}

impl core::error::Error for VerifyError {}

/// A digest of up to 64 bytes (any hash the verifier implements), owned.
pub type DigestBuf = crate::OwnedBytes<64>;

fn finish<H: sha2::Digest>(h: H) -> DigestBuf {
    DigestBuf::new(&h.finalize())
}

fn run<H: sha2::Digest>(parts: &[&[u8]]) -> DigestBuf {
    let mut h = H::new();
    for p in parts {
        h.update(p);
    }
    finish(h)
}

/// The `alg` hash of the concatenation of `parts`.
pub fn hash(alg: AlgId, parts: &[&[u8]]) -> Result<DigestBuf, VerifyError> {
    match alg {
        AlgId::SHA1 => Ok(run::<sha1::Sha1>(parts)),
        AlgId::SHA256 => Ok(run::<sha2::Sha256>(parts)),
        AlgId::SHA384 => Ok(run::<sha2::Sha384>(parts)),
        AlgId::SHA512 => Ok(run::<sha2::Sha512>(parts)),
        other => Err(VerifyError::UnsupportedHash(other)),
    }
}
