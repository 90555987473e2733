//! Checking a Quote: the signature over the TPMS_ATTEST, the statement's magic, type and
//! nonce, and the PCR digest recomputed from the PCR values.

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

use tpm2_wire::{AlgId, Attest, Attested, PcrSelection, Public, Signature, Tag, Unmarshal};

use super::{VerifyError, hash};
use crate::PcrBank;
use crate::session::crypto::same;

/// Why a Quote was refused. The checks run in this order, so the first failing one is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuoteError {
    /// The statement did not decode, or does not start with TPM_GENERATED_VALUE: it was not
    /// made by a TPM.
    Malformed(tpm2_wire::WireError),
    /// The statement is not a quote (TPM_ST_ATTEST_QUOTE) but this.
    NotAQuote(Tag),
    /// The signature's scheme does not fit the key (RSASSA/RSAPSS for RSA, ECDSA for ECC).
    SchemeMismatch(AlgId),
    /// The signature does not verify with the AK's public key over the statement.
    BadSignature,
    /// extraData is not the verifier's nonce: a replayed or foreign quote.
    NonceMismatch,
    /// The quote covers other PCRs than the verifier asked for (fewer: a PCR left out of
    /// the quote goes unchecked).
    SelectionMismatch,
    /// The quote covers a PCR whose value the verifier was not given.
    MissingPcr {
        /// The bank.
        bank: AlgId,
        /// The PCR.
        index: u32,
    },
    /// pcrDigest is not the digest of the PCR values given: the PCRs changed, or the values
    /// are not the quoted ones.
    PcrDigestMismatch,
    /// The key or a hash is not supported.
    Unsupported(VerifyError),
}

impl fmt::Display for QuoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "the quote is not a TPM statement: {e}"),
            Self::NotAQuote(tag) => write!(f, "the statement is a {tag}, not a quote"),
            Self::SchemeMismatch(alg) => write!(f, "signature scheme {alg} does not fit the key"),
            Self::BadSignature => f.write_str("the signature does not verify with the AK"),
            Self::NonceMismatch => f.write_str("the quote's nonce is not the one sent"),
            Self::SelectionMismatch => {
                f.write_str("the quote covers other PCRs than the ones asked for")
            }
            Self::MissingPcr { bank, index } => {
                write!(f, "no value was given for quoted PCR {bank}:{index}")
            }
            Self::PcrDigestMismatch => {
                f.write_str("the PCR values given do not hash to the quoted pcrDigest")
            }
            Self::Unsupported(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for QuoteError {}

/// What the verifier expects of a Quote.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The nonce it sent (qualifyingData).
    pub nonce: &'a [u8],
    /// The PCRs it asked to be quoted.
    pub selection: &'a [PcrSelection<'a>],
    /// The PCR values of each quoted bank (as read with
    /// [`Tpm::pcr_read_bank`](crate::Tpm::pcr_read_bank) or sent by the attester).
    pub pcrs: &'a [PcrBank],
}

/// The (bank, PCR) pairs of a selection, sorted.
fn pairs<'s>(selections: impl Iterator<Item = PcrSelection<'s>>) -> Vec<(u16, u32)> {
    let mut out: Vec<(u16, u32)> = selections
        .flat_map(|s| s.indices().map(move |i| (s.hash.0, i)))
        .collect();
    out.sort_unstable();
    out
}

/// Checks a Quote made by the AK `ak` (its public area): `quoted` is the TPMS_ATTEST exactly
/// as signed (the TPM2B_ATTEST's bytes), `signature` the TPMT_SIGNATURE.
///
/// Checks the signature (RSASSA, RSA-PSS with any salt length, or ECDSA P-256) over
/// H(quoted), the magic and type, the nonce, that the PCRs quoted are the ones asked for, and
/// pcrDigest = H(the selected values, banks in list order, PCRs ascending) with the
/// signature's hash. Returns the decoded statement.
pub fn verify_quote<'q>(
    ak: &Public<'_>,
    quoted: &'q [u8],
    signature: &Signature<'_>,
    expected: &Expected<'_>,
) -> Result<Attest<'q>, QuoteError> {
    let attest = Attest::from_bytes(quoted).map_err(QuoteError::Malformed)?;
    if attest.kind != Tag::ATTEST_QUOTE {
        return Err(QuoteError::NotAQuote(attest.kind));
    }
    let hash_alg = check_signature(ak, quoted, signature)?;
    if !same(attest.extra_data.as_bytes(), expected.nonce) {
        return Err(QuoteError::NonceMismatch);
    }
    let Attested::Quote {
        pcr_select,
        pcr_digest,
    } = attest.attested
    else {
        return Err(QuoteError::NotAQuote(attest.kind));
    };
    if pairs(pcr_select.iter()) != pairs(expected.selection.iter().copied()) {
        return Err(QuoteError::SelectionMismatch);
    }
    let mut values = Vec::new();
    for selection in &pcr_select {
        let bank = expected.pcrs.iter().find(|b| b.bank == selection.hash);
        for index in selection.indices() {
            let value = bank
                .and_then(|b| b.get(index))
                .ok_or(QuoteError::MissingPcr {
                    bank: selection.hash,
                    index,
                })?;
            values.extend_from_slice(value);
        }
    }
    let digest = hash(hash_alg, &[&values]).map_err(QuoteError::Unsupported)?;
    if !same(digest.as_bytes(), pcr_digest.as_bytes()) {
        return Err(QuoteError::PcrDigestMismatch);
    }
    Ok(attest)
}

/// Verifies `signature` over H(`message`) with the key of `public`; returns the hash.
pub(crate) fn check_signature(
    public: &Public<'_>,
    message: &[u8],
    signature: &Signature<'_>,
) -> Result<AlgId, QuoteError> {
    use tpm2_wire::PublicParameters;
    let (scheme, hash_alg) = match signature {
        Signature::Rsa { scheme, hash, .. } | Signature::Ecc { scheme, hash, .. } => {
            (*scheme, *hash)
        }
        other => return Err(QuoteError::SchemeMismatch(other.scheme())),
    };
    let digest = hash(hash_alg, &[message]).map_err(QuoteError::Unsupported)?;
    let digest = digest.as_bytes();
    let verified = match (&public.parameters, signature) {
        (PublicParameters::Rsa { .. }, Signature::Rsa { sig, .. }) => {
            let key = crate::session::kem::rsa_key(public)
                .ok_or(QuoteError::Unsupported(VerifyError::UnsupportedKey))?;
            rsa_verify(key, scheme, hash_alg, digest, sig.as_bytes())?
        }
        (PublicParameters::Ecc { .. }, Signature::Ecc { r, s, .. }) if scheme == AlgId::ECDSA => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier;
            let key = crate::session::kem::p256_key(public)
                .ok_or(QuoteError::Unsupported(VerifyError::UnsupportedKey))?;
            let pad =
                |b: &[u8]| crate::session::kem::left_pad::<32>(b).ok_or(QuoteError::BadSignature);
            let sig = p256::ecdsa::Signature::from_scalars(pad(r.as_bytes())?, pad(s.as_bytes())?)
                .map_err(|_| QuoteError::BadSignature)?;
            p256::ecdsa::VerifyingKey::from(&key)
                .verify_prehash(digest, &sig)
                .is_ok()
        }
        _ => return Err(QuoteError::SchemeMismatch(scheme)),
    };
    if verified {
        Ok(hash_alg)
    } else {
        Err(QuoteError::BadSignature)
    }
}

/// RSASSA-PKCS1-v1_5 or RSA-PSS (any salt length: TPMs before 1.63 may use the largest).
fn rsa_verify(
    key: rsa::PublicKey,
    scheme: AlgId,
    hash_alg: AlgId,
    digest: &[u8],
    sig: &[u8],
) -> Result<bool, QuoteError> {
    use rsa::signature::hazmat::PrehashVerifier;
    fn pss<D: sha2::Digest + sha2::digest::FixedOutputReset>(
        key: rsa::PublicKey,
        digest: &[u8],
        sig: &[u8],
    ) -> bool {
        let Ok(sig) = rsa::pss::Signature::try_from(sig) else {
            return false;
        };
        rsa::pss::VerifyingKey::<D>::new_with_auto_salt_len(key)
            .verify_prehash(digest, &sig)
            .is_ok()
    }
    let pkcs1 = |padding: rsa::Pkcs1v15Sign| key.verify(padding, digest, sig).is_ok();
    Ok(match (scheme, hash_alg) {
        (AlgId::RSASSA, AlgId::SHA1) => pkcs1(rsa::Pkcs1v15Sign::new::<sha1::Sha1>()),
        (AlgId::RSASSA, AlgId::SHA256) => pkcs1(rsa::Pkcs1v15Sign::new::<sha2::Sha256>()),
        (AlgId::RSASSA, AlgId::SHA384) => pkcs1(rsa::Pkcs1v15Sign::new::<sha2::Sha384>()),
        (AlgId::RSASSA, AlgId::SHA512) => pkcs1(rsa::Pkcs1v15Sign::new::<sha2::Sha512>()),
        (AlgId::RSAPSS, AlgId::SHA1) => pss::<sha1::Sha1>(key, digest, sig),
        (AlgId::RSAPSS, AlgId::SHA256) => pss::<sha2::Sha256>(key, digest, sig),
        (AlgId::RSAPSS, AlgId::SHA384) => pss::<sha2::Sha384>(key, digest, sig),
        (AlgId::RSAPSS, AlgId::SHA512) => pss::<sha2::Sha512>(key, digest, sig),
        (AlgId::RSASSA | AlgId::RSAPSS, other) => {
            return Err(QuoteError::Unsupported(VerifyError::UnsupportedHash(other)));
        }
        (other, _) => return Err(QuoteError::SchemeMismatch(other)),
    })
}
