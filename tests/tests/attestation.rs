//! Attestation against libtpms (or the mssim simulator named in `TPM2_TEST_MSSIM`): an AK
//! created under the EK with the EK policy, its Name computed locally, Quotes checked by the
//! verifier (and refused when anything is off), a credential made in software and activated,
//! Certify and CertifyCreation, Sign, ContextSave/Load, ReadClock and whole-bank PCR reads.
//! Nothing is left loaded.

use tpm2_cmds::ek::{ECC_P256_TEMPLATE, RSA_2048_TEMPLATE};
use tpm2_cmds::templates::{AK_ECC_P256, AK_RSA_2048, SRK_ECC_P256};
use tpm2_cmds::verify::{self, Expected, QuoteError};
use tpm2_cmds::{Failure, PcrBank, Tpm};
use tpm2_tests::attest::quote_sha256;
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::peer::{Peer, handles_left};
use tpm2_wire::{
    AlgId, Attested, Auth, Data, DigestValues, Handle, HandleType, HashcheckTicket, Marshal,
    ObjectAttributes, PcrBitmap, PcrSelection, PcrSelectionList, Public, SensitiveCreate,
    SigScheme, TaggedHash, Transport, Unmarshal,
};

fn tpm() -> Tpm<Peer, VirtualClock> {
    tpm2_tests::peer::started().unwrap_or_else(|e| panic!("{e}"))
}

/// Transient objects and sessions the TPM holds: none may be left behind.
fn left_behind<T: Transport>(tpm: &mut Tpm<T, VirtualClock>) -> usize
where
    T::Error: core::fmt::Debug,
{
    let kinds = [
        HandleType::TRANSIENT,
        HandleType::HMAC_SESSION,
        HandleType::POLICY_SESSION,
    ];
    handles_left(tpm, &kinds)
}

#[test]
fn an_ak_under_the_ek_has_the_name_computed_locally_and_its_quote_verifies() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    for (ek_template, ak_template) in [
        (RSA_2048_TEMPLATE, AK_RSA_2048),
        (ECC_P256_TEMPLATE, AK_ECC_P256),
    ] {
        let ek = tpm.create_ek(&ek_template, Auth::EMPTY).unwrap().handle;
        let mut ek_guard = tpm.flushing(ek);
        let ak = ek_guard
            .create_ak(ek, Auth::EMPTY, (&ak_template, Auth::EMPTY), &mut rng)
            .unwrap();
        let mut ak_guard = ek_guard.flushing(ak.handle);
        let public = ak.blob.public().unwrap();
        assert_eq!(public.attributes.bits(), 0x0005_0072);
        // The Name computed from the public area equals the TPM's.
        let local = verify::object_name(&public).unwrap();
        assert_eq!(local.as_bytes(), ak.name());
        assert_eq!(
            ak_guard.read_public(ak.handle).unwrap().name.as_bytes(),
            ak.name()
        );

        // A quote of PCRs 0..=7 and 16 with a fresh nonce verifies against a whole-bank read.
        let bitmap = PcrBitmap::of(&[0, 1, 2, 3, 4, 5, 6, 7, 16]);
        let nonce = rand::random::<[u8; 32]>();
        let (quoted, sig_bytes) = quote_sha256(&mut ak_guard, ak.handle, &nonce, &bitmap);
        let bank = ak_guard.pcr_read_bank(AlgId::SHA256).unwrap();
        assert!(bank.is_complete(), "all 24 SHA-256 PCRs read");
        let signature = <tpm2_wire::Signature as Unmarshal>::from_bytes(&sig_bytes).unwrap();
        let selection = [PcrSelection::new(AlgId::SHA256, &bitmap)];
        let banks = [bank.clone()];
        let expected = Expected {
            nonce: &nonce,
            selection: &selection,
            pcrs: &banks,
        };
        let check = |quoted: &[u8], expected: &Expected<'_>| {
            verify::verify_quote(&public, quoted, &signature, expected).map(drop)
        };
        let attest = verify::verify_quote(&public, &quoted, &signature, &expected)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(attest.attested, Attested::Quote { .. }));
        assert_eq!(attest.qualified_signer.as_bytes().len(), 34);

        // Each thing a verifier checks is refused when it is wrong.
        let other_nonce = Expected {
            nonce: &[0u8; 32],
            ..expected
        };
        assert_eq!(check(&quoted, &other_nonce), Err(QuoteError::NonceMismatch));
        let mut tampered = quoted.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(check(&tampered, &expected), Err(QuoteError::BadSignature));
        let fewer = PcrBitmap::of(&[0, 1, 2, 3, 4, 5, 6, 7, 16, 17]);
        let asked_more = [PcrSelection::new(AlgId::SHA256, &fewer)];
        let asked_more = Expected {
            selection: &asked_more,
            ..expected
        };
        assert_eq!(
            check(&quoted, &asked_more),
            Err(QuoteError::SelectionMismatch)
        );
        let mut moved = bank.clone();
        moved.set(16, &[0x42; 32]);
        let moved = [moved];
        let moved = Expected {
            pcrs: &moved,
            ..expected
        };
        assert_eq!(check(&quoted, &moved), Err(QuoteError::PcrDigestMismatch));
        let mut partial = PcrBank::new(AlgId::SHA256);
        partial.set(0, bank.get(0).unwrap());
        let partial = [partial];
        let partial = Expected {
            pcrs: &partial,
            ..expected
        };
        assert_eq!(
            check(&quoted, &partial),
            Err(QuoteError::MissingPcr {
                bank: AlgId::SHA256,
                index: 1
            })
        );
        ak_guard.flush().unwrap();
        ek_guard.flush().unwrap();
    }
    assert_eq!(left_behind(&mut tpm), 0);
}

#[test]
fn a_credential_made_in_software_is_released_only_for_the_ak_it_names() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    for ek_template in [RSA_2048_TEMPLATE, ECC_P256_TEMPLATE] {
        let created = tpm.create_ek(&ek_template, Auth::EMPTY).unwrap();
        let ek = created.handle;
        let ek_public_bytes = created.public.to_vec().unwrap();
        let ek_public = <Public as Unmarshal>::from_bytes(&ek_public_bytes).unwrap();
        let mut ek_guard = tpm.flushing(ek);
        let ak = ek_guard
            .create_ak(
                ek,
                Auth::EMPTY,
                (&AK_RSA_2048, Auth::new(b"ak-pw").unwrap()),
                &mut rng,
            )
            .unwrap();
        let mut ak_guard = ek_guard.flushing(ak.handle);
        let secret = b"the verifier's challenge 0123456";
        let credential = verify::make_credential(&ek_public, ak.name(), secret, &mut rng).unwrap();
        let released = ak_guard
            .activate_credential_with_ek(
                (ak.handle, Auth::new(b"ak-pw").unwrap()),
                (ek, Auth::EMPTY),
                (credential.id_object(), credential.encrypted_secret()),
                &mut rng,
            )
            .unwrap();
        assert_eq!(released.as_bytes(), secret);

        // Made for another Name, the TPM refuses it (the integrity HMAC covers the Name).
        let mut other_name = ak.name().to_vec();
        other_name[5] ^= 1;
        let foreign = verify::make_credential(&ek_public, &other_name, secret, &mut rng).unwrap();
        let refused = ak_guard
            .activate_credential_with_ek(
                (ak.handle, Auth::new(b"ak-pw").unwrap()),
                (ek, Auth::EMPTY),
                (foreign.id_object(), foreign.encrypted_secret()),
                &mut rng,
            )
            .unwrap_err();
        assert!(refused.is(Failure::CredentialRejected), "{refused}");
        ak_guard.flush().unwrap();
        ek_guard.flush().unwrap();
    }
    assert_eq!(left_behind(&mut tpm), 0);
}

/// An ECC SRK in the owner hierarchy and an ECC AK under it (no policy: the SRK has
/// userWithAuth), loaded in one command; returns both handles and the AK's public area.
fn srk_and_ak<T: Transport>(tpm: &mut Tpm<T, VirtualClock>) -> (Handle, Handle, Vec<u8>) {
    let srk = tpm
        .create_primary(
            Handle::OWNER,
            Auth::EMPTY,
            &SRK_ECC_P256,
            &SensitiveCreate::default(),
            Data::EMPTY,
            &PcrSelectionList::empty(),
        )
        .unwrap()
        .handle;
    let loaded = tpm
        .create_loaded(srk, Auth::EMPTY, &AK_ECC_P256, &SensitiveCreate::default())
        .unwrap();
    (srk, loaded.handle, loaded.public.to_vec().unwrap())
}

#[test]
fn certify_certify_creation_and_sign_under_an_srk() {
    let mut tpm = tpm();
    let (srk, ak, ak_public_bytes) = srk_and_ak(&mut tpm);
    let ak_public = <Public as Unmarshal>::from_bytes(&ak_public_bytes).unwrap();
    let mut srk_guard = tpm.flushing(srk);
    let mut ak_guard = srk_guard.flushing(ak);

    // Certify: the AK certifies itself loaded on this TPM.
    let nonce = *b"certify nonce";
    let cert = ak_guard
        .certify(
            (ak, Auth::EMPTY),
            (ak, Auth::EMPTY),
            Data::new(&nonce).unwrap(),
            SigScheme::NULL,
        )
        .unwrap();
    let Attested::Certify { name, .. } = cert.attest.attested else {
        panic!("not a certify: {:?}", cert.attest);
    };
    assert_eq!(
        name.as_bytes(),
        verify::object_name(&ak_public).unwrap().as_bytes()
    );
    assert_eq!(cert.attest.extra_data.as_bytes(), nonce);

    // An unrestricted signing key created (not loaded) under the SRK, CertifyCreation of it
    // once loaded, and a Sign of a digest with it.
    let mut template = AK_ECC_P256;
    template.attributes.remove(ObjectAttributes::RESTRICTED);
    let (blob, creation_hash, hierarchy, ticket_digest) = {
        let created = ak_guard
            .create(srk, Auth::EMPTY, &template, &SensitiveCreate::default())
            .unwrap();
        let hash = created.creation_hash.as_bytes().to_vec();
        let ticket_digest = created.ticket.digest.as_bytes().to_vec();
        (
            tpm2_cmds::KeyBlob::of(&created).unwrap(),
            hash,
            created.ticket.hierarchy,
            ticket_digest,
        )
    };
    let key = ak_guard
        .load(srk, Auth::EMPTY, blob.private(), &blob.public().unwrap())
        .unwrap()
        .handle;
    let mut key_guard = ak_guard.flushing(key);
    let ticket = tpm2_wire::CreationTicket {
        hierarchy,
        digest: tpm2_wire::Digest::new(&ticket_digest).unwrap(),
    };
    let creation = key_guard
        .certify_creation(
            (ak, Auth::EMPTY),
            key,
            Data::EMPTY,
            (tpm2_wire::Digest::new(&creation_hash).unwrap(), &ticket),
            SigScheme::NULL,
        )
        .unwrap();
    let Attested::Creation {
        creation_hash: certified,
        ..
    } = creation.attest.attested
    else {
        panic!("not a creation: {:?}", creation.attest);
    };
    assert_eq!(certified.as_bytes(), creation_hash);
    let signature = key_guard
        .sign(
            (key, Auth::EMPTY),
            tpm2_wire::Digest::new(&[7u8; 32]).unwrap(),
            SigScheme::NULL,
            &HashcheckTicket::NULL,
        )
        .unwrap();
    assert_eq!(signature.scheme(), AlgId::ECDSA);
    key_guard.flush().unwrap();
    ak_guard.flush().unwrap();
    srk_guard.flush().unwrap();
    assert_eq!(left_behind(&mut tpm), 0);
}

#[test]
fn a_saved_context_loads_back_with_its_name_and_the_clock_reads() {
    let mut tpm = tpm();
    let (srk, ak, _) = srk_and_ak(&mut tpm);
    let mut srk_guard = tpm.flushing(srk);
    // ContextSave, flush, ContextLoad: the key comes back with the same Name (a TPM has few
    // object slots; saving is how a caller frees one).
    let name_before = srk_guard.read_public(ak).unwrap().name.as_bytes().to_vec();
    let saved = srk_guard.context_save(ak).unwrap();
    let saved_bytes = saved.to_vec().unwrap();
    srk_guard.flush_context(ak).unwrap();
    let saved = <tpm2_wire::Context as Unmarshal>::from_bytes(&saved_bytes).unwrap();
    let again = srk_guard.context_load(&saved).unwrap();
    assert_eq!(
        srk_guard.read_public(again).unwrap().name.as_bytes(),
        name_before
    );
    srk_guard.flush_context(again).unwrap();

    let before = srk_guard.read_clock().unwrap();
    let after = srk_guard.read_clock().unwrap();
    assert!(after.clock_info.clock >= before.clock_info.clock);
    assert_eq!(after.clock_info.reset_count, before.clock_info.reset_count);
    srk_guard.flush().unwrap();
    assert_eq!(left_behind(&mut tpm), 0);
}

#[test]
fn a_whole_bank_read_pairs_each_value_with_its_pcr() {
    let mut tpm = tpm();
    // Extend PCR 16 (resettable, debug) with a known digest: the bank read shows it there and
    // nowhere else.
    let digest = [0x11u8; 32];
    let values = [TaggedHash {
        alg: AlgId::SHA256,
        digest: &digest,
    }];
    tpm.pcr_extend(16, Auth::EMPTY, &DigestValues::new(&values).unwrap())
        .unwrap();
    let bank = tpm.pcr_read_bank(AlgId::SHA256).unwrap();
    assert!(bank.is_complete());
    assert_eq!(bank.iter().count(), 24);
    // Each value sits at its own index: compare with single-PCR reads around the one
    // extended (PCR 16 is not zero now; 15 and 17 are untouched by this test).
    assert_ne!(bank.get(16), Some(&[0u8; 32][..]));
    for index in [0, 15, 16, 17, 23] {
        let bitmap = PcrBitmap::of(&[index]);
        let one = [PcrSelection::new(AlgId::SHA256, &bitmap)];
        let single = tpm.pcr_read(&PcrSelectionList::new(&one).unwrap()).unwrap();
        let value = single.values().next().unwrap();
        assert_eq!(value.index, index);
        assert_eq!(
            bank.get(index),
            Some(value.digest.as_bytes()),
            "PCR {index}"
        );
    }
    // A hash the TPM does not implement is its refusal (TPM_RC_HASH), not an empty bank.
    let refused = tpm.pcr_read_bank(AlgId::SHA3_256).unwrap_err();
    assert_eq!(
        refused.tpm().map(|e| e.code.raw()),
        Some(0x1C3),
        "{refused}"
    );
}
