//! Names of public areas, and public keys as SubjectPublicKeyInfo (DER and PEM).

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use tpm2_wire::{Marshal, Public, PublicParameters, Writer};

use super::{VerifyError, hash};

/// An object's Name, owned: nameAlg (2 bytes) then the digest of its public area.
pub type ObjectName = crate::OwnedBytes<66>;

/// The Name of `public` (TPM 2.0 Part 1 §16): nameAlg || H_nameAlg(TPMT_PUBLIC), computed
/// here, so that a verifier need not trust the Name a TPM reports.
pub fn object_name(public: &Public<'_>) -> Result<ObjectName, VerifyError> {
    let mut buf = [0u8; 1024];
    let mut w = Writer::new(&mut buf);
    public.marshal(&mut w);
    w.result()?;
    let digest = hash(public.name_alg, &[w.written()])?;
    let mut name = [0u8; 66];
    let alg = public.name_alg.0.to_be_bytes();
    for (d, s) in name.iter_mut().zip(alg.iter().chain(digest.as_bytes())) {
        *d = *s;
    }
    Ok(ObjectName::new(
        name.get(..2 + digest.as_bytes().len()).unwrap_or_default(),
    ))
}

/// The public key of `public` (RSA, or ECC NIST P-256) as a DER SubjectPublicKeyInfo, the
/// form X.509 certificates and OpenSSL use.
pub fn spki_der(public: &Public<'_>) -> Result<Vec<u8>, VerifyError> {
    use spki::EncodePublicKey;
    let doc = match public.parameters {
        PublicParameters::Rsa { .. } => crate::session::kem::rsa_key(public)
            .ok_or(VerifyError::UnsupportedKey)?
            .to_public_key_der(),
        PublicParameters::Ecc { .. } => crate::session::kem::p256_key(public)
            .ok_or(VerifyError::UnsupportedKey)?
            .to_public_key_der(),
        _ => return Err(VerifyError::UnsupportedKey),
    };
    doc.map(|d| d.as_bytes().to_vec())
        .map_err(|_| VerifyError::UnsupportedKey)
}

/// [`spki_der`] as PEM ("-----BEGIN PUBLIC KEY-----"), as `tpm2_readpublic -f pem` writes it.
pub fn spki_pem(public: &Public<'_>) -> Result<String, VerifyError> {
    let der = spki_der(public)?;
    der::Document::try_from(der.as_slice())
        .and_then(|d| d.to_pem("PUBLIC KEY", der::pem::LineEnding::LF))
        .map_err(|_| VerifyError::UnsupportedKey)
}
