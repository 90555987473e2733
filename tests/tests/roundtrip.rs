//! Property tests: every structure decodes to what was encoded and re-encodes to the same
//! bytes; every truncation of an encoding is an error; arbitrary bytes never panic.

use proptest::prelude::*;
use tpm2_tests::strategies::{bytes, hash_alg, public_seed};
use tpm2_wire::{
    AlgId, AlgProperty, AlgorithmAttributes, Auth, AuthCommand, AuthResponse, CapabilityData,
    CreationData, CreationTicket, Data, Digest, Handle, List, LocalityAttributes, Marshal, Name,
    Nonce, NvAttributes, NvPublic, PcrSelection, Property, Public, Response, ResponseCode,
    SensitiveCreate, SensitiveData, SessionAttributes, TaggedHash, TaggedProperty, Tpm2b,
    Unmarshal,
};

fn encode(value: &impl Marshal) -> Vec<u8> {
    value.to_vec().unwrap()
}

macro_rules! assert_round_trip {
    ($ty:ty, $value:expr) => {{
        let value = $value;
        let bytes = encode(&value);
        let decoded = <$ty>::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &value);
        prop_assert_eq!(encode(&decoded), bytes.clone());
        for cut in 0..bytes.len() {
            prop_assert!(
                <$ty>::from_bytes(&bytes[..cut]).is_err(),
                "prefix {} decoded",
                cut
            );
        }
    }};
}

proptest! {
    #[test]
    fn public_areas_round_trip(seed in public_seed()) {
        assert_round_trip!(Public<'_>, seed.build());
        assert_round_trip!(Tpm2b<Public<'_>>, Tpm2b(seed.build()));
    }

    #[test]
    fn nv_public_round_trips(index in any::<u32>(), alg in hash_alg(), attrs in any::<u32>(),
                             policy in bytes(64), size in any::<u16>()) {
        let public = NvPublic {
            index: Handle(index),
            name_alg: alg,
            attributes: NvAttributes::from_bits_retain(attrs),
            auth_policy: Digest::new(&policy).unwrap(),
            data_size: size,
        };
        assert_round_trip!(NvPublic<'_>, public);
        assert_round_trip!(Tpm2b<NvPublic<'_>>, Tpm2b(public));
    }

    #[test]
    fn sessions_round_trip(handle in any::<u32>(), nonce in bytes(64), attrs in any::<u8>(), hmac in bytes(64)) {
        assert_round_trip!(AuthCommand<'_>, AuthCommand {
            session: Handle(handle),
            nonce: Nonce::new(&nonce).unwrap(),
            attributes: SessionAttributes::from_bits_retain(attrs),
            hmac: Auth::new(&hmac).unwrap(),
        });
        assert_round_trip!(AuthResponse<'_>, AuthResponse {
            nonce: Nonce::new(&nonce).unwrap(),
            attributes: SessionAttributes::from_bits_retain(attrs),
            hmac: Auth::new(&hmac).unwrap(),
        });
    }

    #[test]
    fn creation_data_and_ticket_round_trip(
        selects in prop::collection::vec((hash_alg(), bytes(8)), 0..=16),
        digest in bytes(64), locality in any::<u8>(), alg in hash_alg(),
        name in bytes(66), qname in bytes(66), info in bytes(66), hierarchy in any::<u32>(),
    ) {
        let selections: Vec<PcrSelection<'_>> =
            selects.iter().map(|(hash, select)| PcrSelection { hash: *hash, select }).collect();
        assert_round_trip!(CreationData<'_>, CreationData {
            pcr_select: List::new(&selections).unwrap(),
            pcr_digest: Digest::new(&digest).unwrap(),
            locality: LocalityAttributes::from_bits_retain(locality),
            parent_name_alg: alg,
            parent_name: Name::new(&name).unwrap(),
            parent_qualified_name: Name::new(&qname).unwrap(),
            outside_info: Data::new(&info).unwrap(),
        });
        assert_round_trip!(CreationTicket<'_>, CreationTicket {
            hierarchy: Handle(hierarchy),
            digest: Digest::new(&digest).unwrap(),
        });
    }

    #[test]
    fn sensitive_create_round_trips(auth in bytes(64), data in bytes(128)) {
        assert_round_trip!(Tpm2b<SensitiveCreate<'_>>, Tpm2b(SensitiveCreate {
            user_auth: Auth::new(&auth).unwrap(),
            data: SensitiveData::new(&data).unwrap(),
        }));
    }

    #[test]
    fn digest_values_round_trip(algs in prop::collection::vec(hash_alg(), 0..=16), fill in any::<u8>()) {
        let digests: Vec<Vec<u8>> = algs.iter().map(|a| vec![fill; usize::from(a.digest_size().unwrap())]).collect();
        let values: Vec<TaggedHash<'_>> =
            algs.iter().zip(&digests).map(|(alg, d)| TaggedHash { alg: *alg, digest: d }).collect();
        assert_round_trip!(tpm2_wire::DigestValues<'_>, List::new(&values).unwrap());
    }

    #[test]
    fn capability_data_round_trips(props in prop::collection::vec((any::<u32>(), any::<u32>()), 0..64),
                                   handles in prop::collection::vec(any::<u32>(), 0..64),
                                   algs in prop::collection::vec((any::<u16>(), any::<u32>()), 0..32)) {
        let props: Vec<_> = props.iter().map(|&(p, v)| TaggedProperty { property: Property(p), value: v }).collect();
        assert_round_trip!(CapabilityData<'_>, CapabilityData::Properties(List::new(&props).unwrap()));
        let handles: Vec<_> = handles.iter().copied().map(Handle).collect();
        assert_round_trip!(CapabilityData<'_>, CapabilityData::Handles(List::new(&handles).unwrap()));
        let algs: Vec<_> = algs.iter().map(|&(a, x)| AlgProperty { alg: AlgId(a), attributes: AlgorithmAttributes::from_bits_retain(x) }).collect();
        assert_round_trip!(CapabilityData<'_>, CapabilityData::Algorithms(List::new(&algs).unwrap()));
    }

    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(data in bytes(600), handles in 0usize..4) {
        let _ = Response::parse(&data, handles);
        let _ = Public::from_bytes(&data);
        let _ = Tpm2b::<Public<'_>>::from_bytes(&data);
        let _ = NvPublic::from_bytes(&data);
        let _ = CreationData::from_bytes(&data);
        let _ = CapabilityData::from_bytes(&data);
        let _ = tpm2_wire::DigestValues::from_bytes(&data);
        if let Ok(list) = tpm2_wire::PcrSelectionList::from_bytes(&data) {
            prop_assert_eq!(list.iter().count(), list.len());
        }
        if let Ok(rsp) = Response::parse(&data, handles) {
            let _ = rsp.sessions().count();
            let _ = rsp.handle(handles);
        }
    }

    #[test]
    fn any_u32_response_code_decodes_and_prints(rc in any::<u32>()) {
        let code = ResponseCode(rc);
        let _ = code.kind();
        let text = code.to_string();
        prop_assert!(text.contains(':'));
        prop_assert_eq!(code.is_success(), rc.trailing_zeros() >= 16);
    }
}
