//! Shared helpers of the wire tests.
#![allow(dead_code)]

use tpm2_wire::{
    AlgId, Digest, ObjectAttributes, Public, PublicKeyRsa, PublicParameters, RsaParms, Scheme,
    SymDefObject,
};

/// Decodes a hex string, ignoring spaces.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// PolicySecret(TPM_RH_ENDORSEMENT), the authPolicy of the TCG default EK templates.
pub(crate) const POLICY_A_SHA256: [u8; 32] = [
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
    0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA,
];

/// The TCG EK Credential Profile RSA 2048 template (L-1), written out field by field.
pub(crate) fn ek_rsa_template(unique: &[u8]) -> Public<'_> {
    Public {
        name_alg: AlgId::SHA256,
        attributes: ObjectAttributes::FIXED_TPM
            | ObjectAttributes::FIXED_PARENT
            | ObjectAttributes::SENSITIVE_DATA_ORIGIN
            | ObjectAttributes::ADMIN_WITH_POLICY
            | ObjectAttributes::RESTRICTED
            | ObjectAttributes::DECRYPT,
        auth_policy: Digest::new(&POLICY_A_SHA256).unwrap(),
        parameters: PublicParameters::Rsa {
            parms: RsaParms {
                symmetric: SymDefObject::AES_128_CFB,
                scheme: Scheme::NULL,
                key_bits: 2048,
                exponent: 0,
            },
            unique: PublicKeyRsa::new(unique).unwrap(),
        },
    }
}
