//! The EK templates against the TCG EK Credential Profile, computed rather than copied.

use sha2::{Digest as _, Sha256};
use tpm2_cmds::ek::{ECC_P256_TEMPLATE, POLICY_A_SHA256, RSA_2048_TEMPLATE};
use tpm2_wire::{AlgId, Marshal, PublicParameters, Writer};

#[test]
fn auth_policy_is_policy_secret_of_the_endorsement_hierarchy() {
    // PolicySecret(TPM_RH_ENDORSEMENT), empty policyRef:
    // H(H(0^32 || TPM_CC_PolicySecret || Name(TPM_RH_ENDORSEMENT)) || policyRef).
    let mut h = Sha256::new();
    h.update([0u8; 32]);
    h.update(0x0000_0151u32.to_be_bytes());
    h.update(0x4000_000Bu32.to_be_bytes());
    let step = h.finalize();
    let policy = Sha256::digest(step);
    assert_eq!(policy.as_slice(), POLICY_A_SHA256);
    assert_eq!(RSA_2048_TEMPLATE.auth_policy.as_bytes(), POLICY_A_SHA256);
    assert_eq!(ECC_P256_TEMPLATE.auth_policy.as_bytes(), POLICY_A_SHA256);
}

#[test]
fn templates_have_the_profile_fields() {
    assert_eq!(RSA_2048_TEMPLATE.attributes.bits(), 0x0003_00B2);
    assert_eq!(RSA_2048_TEMPLATE.name_alg, AlgId::SHA256);
    let PublicParameters::Rsa { parms, unique } = RSA_2048_TEMPLATE.parameters else {
        panic!("RSA")
    };
    assert_eq!(
        (parms.key_bits, parms.exponent, parms.scheme.scheme),
        (2048, 0, AlgId::NULL)
    );
    assert_eq!(
        (parms.symmetric.algorithm, parms.symmetric.key_bits),
        (AlgId::AES, 128)
    );
    assert_eq!(unique.as_bytes(), [0u8; 256]);
    let PublicParameters::Ecc { parms, unique } = ECC_P256_TEMPLATE.parameters else {
        panic!("ECC")
    };
    assert_eq!(parms.curve, tpm2_wire::EccCurve::NIST_P256);
    assert_eq!((unique.x.len(), unique.y.len()), (32, 32));
    let mut buf = [0u8; 512];
    let mut w = Writer::new(&mut buf);
    RSA_2048_TEMPLATE.marshal(&mut w);
    w.result().unwrap();
    assert_eq!(
        w.position(),
        314,
        "the inPublic of the 355-byte EK CreatePrimary"
    );
}
