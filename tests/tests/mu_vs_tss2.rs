//! Our encodings against tpm2-tss's `Tss2_MU_*`: tpm2-tss must decode every byte we write
//! and, encoding what it decoded, write exactly our bytes; we must decode tpm2-tss's bytes
//! back to our value.

use proptest::prelude::*;
use tpm2_tests::strategies::{bytes, hash_alg, public_seed};
use tpm2_tests::tss2::{MuType, mu_round_trip};
use tpm2_wire::{
    AlgId, Auth, AuthCommand, CreationData, CreationTicket, Data, Digest, Handle, List,
    LocalityAttributes, Marshal, Name, NvAttributes, NvPublic, PcrSelection, Public,
    SensitiveCreate, SensitiveData, TaggedHash, Tpm2b, Unmarshal,
};

fn encode(value: &impl Marshal) -> Vec<u8> {
    value.to_vec().unwrap()
}

fn assert_tss2_agrees(ty: MuType, ours: &[u8]) {
    let tss2 = mu_round_trip(ty, ours)
        .unwrap_or_else(|rc| panic!("{ty:?}: tpm2-tss refused our bytes: {rc:#x}"));
    assert_eq!(
        tss2.consumed,
        ours.len(),
        "{ty:?}: tpm2-tss consumed a different length"
    );
    assert_eq!(
        tss2.remarshalled, ours,
        "{ty:?}: tpm2-tss re-encodes differently"
    );
}

#[test]
fn ek_templates_encode_as_tpm2_tss_does() {
    for public in [
        tpm2_cmds::ek::RSA_2048_TEMPLATE,
        tpm2_cmds::ek::ECC_P256_TEMPLATE,
    ] {
        assert_tss2_agrees(MuType::TpmtPublic, &encode(&public));
        assert_tss2_agrees(MuType::Tpm2bPublic, &encode(&Tpm2b(public)));
    }
}

#[test]
fn nv_public_and_small_structures_encode_as_tpm2_tss_does() {
    let nv = NvPublic {
        index: Handle(0x01C0_0002),
        name_alg: AlgId::SHA256,
        attributes: NvAttributes::PPWRITE | NvAttributes::PPREAD | NvAttributes::WRITTEN,
        auth_policy: Digest::EMPTY,
        data_size: 1280,
    };
    assert_tss2_agrees(MuType::TpmsNvPublic, &encode(&nv));
    assert_tss2_agrees(MuType::Tpm2bNvPublic, &encode(&Tpm2b(nv)));
    assert_tss2_agrees(
        MuType::TpmsAuthCommand,
        &encode(&AuthCommand::password(Auth::new(b"pw").unwrap())),
    );
    assert_tss2_agrees(
        MuType::Tpm2bSensitiveCreate,
        &encode(&Tpm2b(SensitiveCreate {
            user_auth: Auth::new(b"a").unwrap(),
            data: SensitiveData::new(b"seal").unwrap(),
        })),
    );
    assert_tss2_agrees(
        MuType::TpmtTkCreation,
        &encode(&CreationTicket {
            hierarchy: Handle::ENDORSEMENT,
            digest: Digest::new(&[7; 32]).unwrap(),
        }),
    );
    let sel = [PcrSelection {
        hash: AlgId::SHA256,
        select: &[0xFF, 0xFF, 0xFF],
    }];
    let creation = CreationData {
        pcr_select: List::new(&sel).unwrap(),
        pcr_digest: Digest::new(&[1; 32]).unwrap(),
        locality: LocalityAttributes::ZERO,
        parent_name_alg: AlgId::NULL,
        parent_name: Name::new(&[0x40, 0, 0, 0x0B]).unwrap(),
        parent_qualified_name: Name::new(&[0x40, 0, 0, 0x0B]).unwrap(),
        outside_info: Data::EMPTY,
    };
    assert_tss2_agrees(MuType::TpmsCreationData, &encode(&creation));
    let digests = [
        TaggedHash {
            alg: AlgId::SHA1,
            digest: &[1; 20],
        },
        TaggedHash {
            alg: AlgId::SHA256,
            digest: &[2; 32],
        },
    ];
    assert_tss2_agrees(
        MuType::TpmlDigestValues,
        &encode(&tpm2_wire::DigestValues::new(&digests).unwrap()),
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_generated_public_area_encodes_as_tpm2_tss_does(seed in public_seed()) {
        // tpm2-tss 3.2.1's TPMU_KDF_SCHEME lacks TPM_ALG_KDF2, which Part 2 includes: it refuses
        // such an ECC key with TSS2_MU_RC_BAD_VALUE. Our own round trip covers KDF2.
        prop_assume!(seed.kind != 1 || seed.kdf.scheme != AlgId::KDF2);
        let public = seed.build();
        let ours = encode(&public);
        let tss2 = mu_round_trip(MuType::TpmtPublic, &ours).map_err(|rc| TestCaseError::fail(format!("{rc:#x}")))?;
        prop_assert_eq!(tss2.consumed, ours.len());
        prop_assert_eq!(&tss2.remarshalled, &ours);
        prop_assert_eq!(Public::from_bytes(&tss2.remarshalled).unwrap(), public);
    }

    #[test]
    fn every_generated_nv_public_encodes_as_tpm2_tss_does(
        index in any::<u32>(), alg in hash_alg(), attrs in any::<u32>(), policy in bytes(64), size in any::<u16>(),
    ) {
        let nv = NvPublic {
            index: Handle(index),
            name_alg: alg,
            attributes: NvAttributes::from_bits_retain(attrs),
            auth_policy: Digest::new(&policy).unwrap(),
            data_size: size,
        };
        let ours = encode(&Tpm2b(nv));
        let tss2 = mu_round_trip(MuType::Tpm2bNvPublic, &ours).map_err(|rc| TestCaseError::fail(format!("{rc:#x}")))?;
        prop_assert_eq!(tss2.consumed, ours.len());
        prop_assert_eq!(&tss2.remarshalled, &ours);
    }
}
