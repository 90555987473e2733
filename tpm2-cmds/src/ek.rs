//! The TCG EK Credential Profile default templates and where an EK's parts live in NV.

use tpm2_wire::{
    AlgId, Digest, EccCurve, EccParameter, EccParms, EccPoint, Handle, ObjectAttributes, Public,
    PublicKeyRsa, PublicParameters, RsaParms, Scheme, SymDefObject, reserved,
};

/// PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 (policy "A"): the authPolicy of the default
/// EK templates.
pub const POLICY_A_SHA256: [u8; 32] = [
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
    0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA,
];

/// fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt
/// (0x000300B2): no userWithAuth, subject to DA.
pub const EK_ATTRIBUTES: ObjectAttributes = ObjectAttributes::FIXED_TPM
    .union(ObjectAttributes::FIXED_PARENT)
    .union(ObjectAttributes::SENSITIVE_DATA_ORIGIN)
    .union(ObjectAttributes::ADMIN_WITH_POLICY)
    .union(ObjectAttributes::RESTRICTED)
    .union(ObjectAttributes::DECRYPT);

const POLICY_A: Digest<'static> = match Digest::new(&POLICY_A_SHA256) {
    Some(d) => d,
    None => Digest::EMPTY,
};

const ZEROS: [u8; 256] = [0; 256];

/// The default RSA 2048 EK template ("L-1"): AES-128-CFB, no scheme, 2048 bits, exponent
/// 65537, and 256 zero bytes of `unique`.
pub const RSA_2048_TEMPLATE: Public<'static> = Public {
    name_alg: AlgId::SHA256,
    attributes: EK_ATTRIBUTES,
    auth_policy: POLICY_A,
    parameters: PublicParameters::Rsa {
        parms: RsaParms {
            symmetric: SymDefObject::AES_128_CFB,
            scheme: Scheme::NULL,
            key_bits: 2048,
            exponent: 0,
        },
        unique: match PublicKeyRsa::new(&ZEROS) {
            Some(u) => u,
            None => PublicKeyRsa::EMPTY,
        },
    },
};

const ZEROS_32: EccParameter<'static> = match EccParameter::new(ZEROS.split_at(32).0) {
    Some(z) => z,
    None => EccParameter::EMPTY,
};

/// The default ECC NIST P-256 EK template ("L-2"): AES-128-CFB, no scheme, no KDF, and a
/// `unique` of two 32-byte zero coordinates.
pub const ECC_P256_TEMPLATE: Public<'static> = Public {
    name_alg: AlgId::SHA256,
    attributes: EK_ATTRIBUTES,
    auth_policy: POLICY_A,
    parameters: PublicParameters::Ecc {
        parms: EccParms {
            symmetric: SymDefObject::AES_128_CFB,
            scheme: Scheme::NULL,
            curve: EccCurve::NIST_P256,
            kdf: Scheme::NULL,
        },
        unique: EccPoint {
            x: ZEROS_32,
            y: ZEROS_32,
        },
    },
};

/// Which endorsement key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EkKind {
    /// RSA 2048.
    Rsa2048,
    /// ECC NIST P-256.
    EccP256,
}

impl EkKind {
    /// The TCG default template.
    #[must_use]
    pub const fn default_template(self) -> Public<'static> {
        match self {
            Self::Rsa2048 => RSA_2048_TEMPLATE,
            Self::EccP256 => ECC_P256_TEMPLATE,
        }
    }

    /// The NV index of the EK certificate.
    #[must_use]
    pub const fn certificate_index(self) -> Handle {
        match self {
            Self::Rsa2048 => reserved::RSA_EK_CERT_NV,
            Self::EccP256 => reserved::ECC_EK_CERT_NV,
        }
    }

    /// The NV index of a vendor's template.
    #[must_use]
    pub const fn template_index(self) -> Handle {
        match self {
            Self::Rsa2048 => reserved::RSA_EK_TEMPLATE_NV,
            Self::EccP256 => reserved::ECC_EK_TEMPLATE_NV,
        }
    }

    /// The NV index of a vendor's nonce.
    #[must_use]
    pub const fn nonce_index(self) -> Handle {
        match self {
            Self::Rsa2048 => reserved::RSA_EK_NONCE_NV,
            Self::EccP256 => reserved::ECC_EK_NONCE_NV,
        }
    }

    /// The TCG-reserved persistent handle.
    #[must_use]
    pub const fn persistent_handle(self) -> Handle {
        match self {
            Self::Rsa2048 => reserved::RSA_EK,
            Self::EccP256 => reserved::ECC_EK,
        }
    }
}
