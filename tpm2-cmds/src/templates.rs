//! Attestation key (AK) and storage root key (SRK) templates, as tpm2-tools, go-tpm and the
//! TCG Provisioning Guidance define them. The EK templates are in [`ek`](crate::ek).

use tpm2_wire::{
    AlgId, Digest, EccCurve, EccParameter, EccParms, EccPoint, ObjectAttributes, Public,
    PublicKeyRsa, PublicParameters, RsaParms, Scheme, SymDefObject,
};

/// sign | restricted | fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth
/// (0x00050072): a key that signs only what the TPM itself produced (quotes, certifications),
/// never leaves this TPM, and is used with its authValue.
pub const AK_ATTRIBUTES: ObjectAttributes = ObjectAttributes::FIXED_TPM
    .union(ObjectAttributes::FIXED_PARENT)
    .union(ObjectAttributes::SENSITIVE_DATA_ORIGIN)
    .union(ObjectAttributes::USER_WITH_AUTH)
    .union(ObjectAttributes::RESTRICTED)
    .union(ObjectAttributes::SIGN_ENCRYPT);

/// restricted | decrypt | fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA
/// (0x00030472): a storage parent.
pub const SRK_ATTRIBUTES: ObjectAttributes = ObjectAttributes::FIXED_TPM
    .union(ObjectAttributes::FIXED_PARENT)
    .union(ObjectAttributes::SENSITIVE_DATA_ORIGIN)
    .union(ObjectAttributes::USER_WITH_AUTH)
    .union(ObjectAttributes::NO_DA)
    .union(ObjectAttributes::RESTRICTED)
    .union(ObjectAttributes::DECRYPT);

const fn signing(scheme: AlgId) -> Scheme {
    Scheme {
        scheme,
        hash: AlgId::SHA256,
        extra: 0,
    }
}

const ZEROS: [u8; 256] = [0; 256];

const RSA_UNIQUE: PublicKeyRsa<'static> = match PublicKeyRsa::new(&ZEROS) {
    Some(u) => u,
    None => PublicKeyRsa::EMPTY,
};

const ECC_UNIQUE: EccPoint<'static> = match EccParameter::new(ZEROS.split_at(32).0) {
    Some(z) => EccPoint { x: z, y: z },
    None => EccPoint {
        x: EccParameter::EMPTY,
        y: EccParameter::EMPTY,
    },
};

/// A SHA-256 object with `attributes` and no policy; a signing key's `unique` is left empty,
/// a storage key's zero-filled (the Provisioning Guidance's SRK).
const fn template(
    attributes: ObjectAttributes,
    parameters: PublicParameters<'static>,
) -> Public<'static> {
    Public {
        name_alg: AlgId::SHA256,
        attributes,
        auth_policy: Digest::EMPTY,
        parameters,
    }
}

const fn signs(attributes: ObjectAttributes) -> bool {
    attributes.contains(ObjectAttributes::SIGN_ENCRYPT)
}

const fn rsa(
    attributes: ObjectAttributes,
    symmetric: SymDefObject,
    scheme: Scheme,
) -> Public<'static> {
    let parms = RsaParms {
        symmetric,
        scheme,
        key_bits: 2048,
        exponent: 0,
    };
    let unique = if signs(attributes) {
        PublicKeyRsa::EMPTY
    } else {
        RSA_UNIQUE
    };
    template(attributes, PublicParameters::Rsa { parms, unique })
}

const fn ecc(
    attributes: ObjectAttributes,
    symmetric: SymDefObject,
    scheme: Scheme,
) -> Public<'static> {
    let parms = EccParms {
        symmetric,
        scheme,
        curve: EccCurve::NIST_P256,
        kdf: Scheme::NULL,
    };
    let empty = EccPoint {
        x: EccParameter::EMPTY,
        y: EccParameter::EMPTY,
    };
    let unique = if signs(attributes) { empty } else { ECC_UNIQUE };
    template(attributes, PublicParameters::Ecc { parms, unique })
}

/// The RSA 2048 AK: RSASSA with SHA-256, no symmetric algorithm, empty authPolicy (the
/// `tpm2_createak -G rsa` and go-tpm-tools default).
pub const AK_RSA_2048: Public<'static> =
    rsa(AK_ATTRIBUTES, SymDefObject::NULL, signing(AlgId::RSASSA));

/// The ECC NIST P-256 AK: ECDSA with SHA-256.
pub const AK_ECC_P256: Public<'static> =
    ecc(AK_ATTRIBUTES, SymDefObject::NULL, signing(AlgId::ECDSA));

/// The RSA 2048 SRK of the Provisioning Guidance: AES-128-CFB, no scheme, 256 zero bytes of
/// `unique`, persisted at 0x81000001 by convention.
pub const SRK_RSA_2048: Public<'static> =
    rsa(SRK_ATTRIBUTES, SymDefObject::AES_128_CFB, Scheme::NULL);

/// The ECC NIST P-256 SRK of the Provisioning Guidance: AES-128-CFB, no scheme, zero
/// coordinates of 32 bytes.
pub const SRK_ECC_P256: Public<'static> =
    ecc(SRK_ATTRIBUTES, SymDefObject::AES_128_CFB, Scheme::NULL);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ak_and_srk_attributes_are_the_published_values() {
        assert_eq!(AK_ATTRIBUTES.bits(), 0x0005_0072);
        assert_eq!(SRK_ATTRIBUTES.bits(), 0x0003_0472);
        let PublicParameters::Rsa { parms, unique } = AK_RSA_2048.parameters else {
            panic!("RSA");
        };
        assert_eq!(
            (parms.scheme.scheme, parms.scheme.hash),
            (AlgId::RSASSA, AlgId::SHA256)
        );
        assert!(unique.is_empty());
        let PublicParameters::Rsa { unique, .. } = SRK_RSA_2048.parameters else {
            panic!("RSA");
        };
        assert_eq!(unique.len(), 256);
    }
}
