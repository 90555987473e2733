//! The EK certificate as ESXi meets it: read in full from NV, parsed as X.509 (RustCrypto
//! `x509-cert`), its key's algorithm (ESXi cannot use `id-RSAES-OAEP`), whether its key is
//! the EK the TPM derives, its validity and issuer; and the ROCA test on the EK's modulus.

use std::time::SystemTime;

use tpm2_wire::{Auth, Handle, NvAttributes, PermanentAttributes};
use x509_cert::Certificate;
use x509_cert::der::asn1::UintRef;
use x509_cert::der::{Decode, Reader, SliceReader};

use crate::checks::Client;
use crate::report::{Check, Status};
use crate::{diagnosis, roca};

/// rsaEncryption (RFC 8017).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// id-RSAES-OAEP (RFC 4055), which TPM 1.2-era profiles used.
const RSAES_OAEP: &str = "1.2.840.113549.1.1.7";

/// What the doctor reads from an EK certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EkCertificate {
    /// Its DER length (the NV index may be larger).
    pub der_len: usize,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// The subject key's algorithm OID.
    pub key_algorithm: String,
    /// The RSA modulus, big-endian, for an RSA key of either algorithm.
    pub modulus: Option<Vec<u8>>,
}

impl EkCertificate {
    /// Parses the DER certificate at the start of `bytes` (an NV index may hold padding
    /// after it).
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = SliceReader::new(bytes).map_err(|e| e.to_string())?;
        let cert = Certificate::decode(&mut reader).map_err(|e| e.to_string())?;
        let der_len = usize::try_from(reader.position()).unwrap_or(bytes.len());
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let key_algorithm = spki.algorithm.oid.to_string();
        let modulus = [RSA_ENCRYPTION, RSAES_OAEP]
            .contains(&key_algorithm.as_str())
            .then(|| spki.subject_public_key.raw_bytes())
            .and_then(|key| pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(key).ok())
            .map(|k| k.modulus.as_bytes().to_vec());
        Ok(Self {
            der_len,
            issuer: tbs.issuer().to_string(),
            not_before: tbs.validity().not_before.to_system_time(),
            not_after: tbs.validity().not_after.to_system_time(),
            key_algorithm,
            modulus,
        })
    }

    /// The key algorithm's name.
    #[must_use]
    pub fn key_algorithm_name(&self) -> &str {
        match self.key_algorithm.as_str() {
            RSA_ENCRYPTION => "rsaEncryption",
            RSAES_OAEP => "id-RSAES-OAEP",
            other => other,
        }
    }
}

/// Reads the certificate at `index` with an authorization that cannot count against the
/// DA counter: owner authorization when ownerAuth is empty, or the index's own empty
/// authValue when the index is NO_DA. `Ok(None)`: reading it would need a password.
fn read(tpm: &mut Client, index: Handle) -> Result<Option<Vec<u8>>, String> {
    let public = tpm.nv_read_public(index).map_err(|e| e.to_string())?.public;
    let (attributes, size) = (public.attributes, public.data_size);
    let owner_auth_set = tpm
        .permanent()
        .map_err(|e| e.to_string())?
        .contains(PermanentAttributes::OWNER_AUTH_SET);
    let auth_handle = if attributes.contains(NvAttributes::OWNERREAD) && !owner_auth_set {
        Handle::OWNER
    } else if attributes.contains(NvAttributes::AUTHREAD | NvAttributes::NO_DA) {
        index
    } else {
        return Ok(None);
    };
    let mut bytes = vec![0u8; usize::from(size)];
    tpm.nv_read_into(auth_handle, Auth::EMPTY, index, 0, &mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(Some(bytes))
}

/// The EK certificate checks, given the EK's modulus as the TPM derives it.
pub fn checks(tpm: &mut Client, index: Handle, ek_modulus: Option<&[u8]>, out: &mut Vec<Check>) {
    let bytes = match read(tpm, index) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return out.push(Check::new(
                "ek-cert-read",
                Status::Info,
                "EK certificate not read: its index needs a password the doctor was not given",
            ));
        }
        Err(e) => {
            return out.push(Check::new(
                "ek-cert-read",
                Status::Warn,
                format!("EK certificate unreadable: {e}"),
            ));
        }
    };
    let cert = match EkCertificate::parse(&bytes) {
        Ok(cert) => cert,
        Err(e) => {
            return out.push(
                Check::new(
                    "ek-cert-parse",
                    Status::Fail,
                    format!(
                        "the EK certificate at {:#010x} is not X.509 DER: {e}",
                        index.0
                    ),
                )
                .remedy(diagnosis::EK_CERT_UNUSABLE),
            );
        }
    };
    let bits = cert.modulus.as_ref().map_or(0, |m| m.len() * 8);
    out.push(Check::new(
        "ek-cert-parse",
        Status::Ok,
        format!(
            "X.509 EK certificate ({} bytes), issuer \"{}\", key {} {bits}-bit",
            cert.der_len,
            cert.issuer,
            cert.key_algorithm_name()
        ),
    ));
    out.push(match cert.key_algorithm.as_str() {
        RSA_ENCRYPTION => Check::new("ek-cert-key", Status::Ok, "subject key rsaEncryption"),
        RSAES_OAEP => Check::new(
            "ek-cert-key",
            Status::Fail,
            "subject key id-RSAES-OAEP: ESXi (OpenSSL) cannot extract it, so the host reports \
             \"Endorsement key does not match EK certificate\" (VMware KB 334591)",
        )
        .remedy(diagnosis::EK_CERT_OAEP),
        other => Check::new(
            "ek-cert-key",
            Status::Warn,
            format!("subject key algorithm {other} is not RSA: not the RSA EK's certificate"),
        ),
    });
    if let (Some(cert_key), Some(ek)) = (&cert.modulus, ek_modulus) {
        out.push(if cert_key.as_slice() == ek {
            Check::new(
                "ek-cert-match",
                Status::Ok,
                "the certificate's key is the EK the TPM derives from the TCG template",
            )
        } else {
            Check::new(
                "ek-cert-match",
                Status::Fail,
                "the certificate's key is not the EK the TPM derives from the TCG template",
            )
            .remedy(diagnosis::EK_CERT_MISMATCH)
        });
    }
    let now = SystemTime::now();
    out.push(if now < cert.not_before || now > cert.not_after {
        Check::new(
            "ek-cert-validity",
            Status::Warn,
            format!(
                "EK certificate outside its validity ({} .. {} seconds since 1970)",
                secs(cert.not_before),
                secs(cert.not_after)
            ),
        )
        .remedy("Verifiers that check EK certificate dates reject it; ask the vendor.")
    } else {
        Check::new(
            "ek-cert-validity",
            Status::Ok,
            "EK certificate within its validity",
        )
    });
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The EK's own key: weak sizes and the ROCA fingerprint.
#[must_use]
pub fn key_check(modulus: &[u8]) -> Check {
    let bits = modulus.len() * 8;
    if roca::has_fingerprint(modulus) {
        Check::new(
            "ek-roca",
            Status::Fail,
            format!(
                "the {bits}-bit RSA EK carries the ROCA fingerprint (CVE-2017-15361): its \
                 private key can be computed from the public one"
            ),
        )
        .remedy(diagnosis::ROCA)
    } else if bits < 2048 {
        Check::new(
            "ek-roca",
            Status::Fail,
            format!("the RSA EK has {bits} bits: below 2048"),
        )
    } else {
        Check::new(
            "ek-roca",
            Status::Ok,
            format!("{bits}-bit RSA EK, no ROCA fingerprint"),
        )
    }
}
