//! A certificate authority the tests make, to give a simulated TPM a real EK certificate:
//! X.509 v3, signed with ECDSA P-256, whose subject key is the EK the TPM derives (its RSA
//! modulus), as `rsaEncryption` or, as older TPMs carry it, `id-RSAES-OAEP`.

use core::str::FromStr;
use core::time::Duration;

use p256::ecdsa::{DerSignature, SigningKey};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der::asn1::{BitString, Null, UintRef};
use x509_cert::der::{Any, Encode};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoRef};
use x509_cert::time::Validity;
use x509_cert::{SubjectPublicKeyInfo, TbsCertificate};

/// rsaEncryption.
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-RSAES-OAEP.
pub const RSAES_OAEP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.7");

/// The issuer the test CA names.
pub const ISSUER: &str = "CN=tpm2 test EK CA,O=tpm2 tests";

struct EkProfile {
    issuer: Name,
}

impl BuilderProfile for EkProfile {
    fn get_issuer(&self, _: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        Name::default()
    }

    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(Vec::new())
    }
}

/// An EK certificate for the RSA key with `modulus` (big-endian) and exponent 65537, with
/// `algorithm` ([`RSA_ENCRYPTION`] or [`RSAES_OAEP`]) as its key's algorithm, valid from
/// now for `valid_for`. DER.
#[must_use]
pub fn ek_certificate(modulus: &[u8], algorithm: ObjectIdentifier, valid_for: Duration) -> Vec<u8> {
    let key = pkcs1::RsaPublicKey {
        modulus: UintRef::new(modulus).unwrap(),
        public_exponent: UintRef::new(&[1, 0, 1]).unwrap(),
    }
    .to_der()
    .unwrap();
    let parameters = (algorithm == RSA_ENCRYPTION).then(|| Any::from(Null));
    let spki = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifierOwned {
            oid: algorithm,
            parameters,
        },
        subject_public_key: BitString::from_bytes(&key).unwrap(),
    };
    let profile = EkProfile {
        issuer: Name::from_str(ISSUER).unwrap(),
    };
    let validity = Validity::from_now(valid_for).unwrap();
    let builder =
        CertificateBuilder::new(profile, SerialNumber::from(7u32), validity, spki).unwrap();
    // A fixed CA key: the tests need a valid signature, not a secret one.
    let ca = SigningKey::from_slice(&[0x42; 32]).unwrap();
    builder
        .build::<_, DerSignature>(&ca)
        .unwrap()
        .to_der()
        .unwrap()
}
