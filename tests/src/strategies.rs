//! proptest strategies for TPM structures, shared by the round-trip and tpm2-tss tests.

use proptest::prelude::*;
use tpm2_wire::{
    AlgId, Digest, EccCurve, EccParameter, EccParms, EccPoint, ObjectAttributes, Public,
    PublicKeyRsa, PublicParameters, RsaParms, Scheme, SymDefObject,
};

/// A hash algorithm every TPM has.
pub fn hash_alg() -> impl Strategy<Value = AlgId> {
    prop_oneof![
        Just(AlgId::SHA1),
        Just(AlgId::SHA256),
        Just(AlgId::SHA384),
        Just(AlgId::SHA512)
    ]
}

/// Up to `max` arbitrary bytes.
pub fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

/// NULL or an AES object cipher.
pub fn sym() -> impl Strategy<Value = SymDefObject> {
    prop_oneof![
        Just(SymDefObject::NULL),
        (
            prop_oneof![Just(128u16), Just(192), Just(256)],
            prop_oneof![Just(AlgId::CFB), Just(AlgId::CBC)]
        )
            .prop_map(|(key_bits, mode)| SymDefObject {
                algorithm: AlgId::AES,
                key_bits,
                mode
            }),
    ]
}

/// A scheme of the given union with canonical (unused = NULL / 0) details.
pub fn scheme(choices: &'static [(AlgId, u8)]) -> impl Strategy<Value = Scheme> {
    // (scheme, how many detail fields: 0 none, 1 hash, 2 hash and extra)
    (0..choices.len(), hash_alg(), any::<u16>()).prop_map(move |(i, hash, extra)| {
        let (scheme, details) = choices[i];
        Scheme {
            scheme,
            hash: if details >= 1 { hash } else { AlgId::NULL },
            extra: if details == 2 { extra } else { 0 },
        }
    })
}

/// RSA schemes and their detail counts.
pub const RSA_SCHEMES: &[(AlgId, u8)] = &[
    (AlgId::NULL, 0),
    (AlgId::RSAES, 0),
    (AlgId::RSASSA, 1),
    (AlgId::RSAPSS, 1),
    (AlgId::OAEP, 1),
];
/// ECC schemes and their detail counts.
pub const ECC_SCHEMES: &[(AlgId, u8)] = &[
    (AlgId::NULL, 0),
    (AlgId::ECDSA, 1),
    (AlgId::ECDH, 1),
    (AlgId::ECDAA, 2),
    (AlgId::SM2, 1),
];
/// KDF schemes and their detail counts.
pub const KDF_SCHEMES: &[(AlgId, u8)] = &[
    (AlgId::NULL, 0),
    (AlgId::KDF1_SP800_56A, 1),
    (AlgId::KDF2, 1),
    (AlgId::MGF1, 1),
];
/// Keyed-hash schemes and their detail counts.
pub const KEYEDHASH_SCHEMES: &[(AlgId, u8)] =
    &[(AlgId::NULL, 0), (AlgId::HMAC, 1), (AlgId::XOR, 2)];

/// Everything a public area is made of, owned, so that the test can borrow from it.
#[derive(Debug, Clone)]
pub struct PublicSeed {
    #[allow(missing_docs)]
    pub kind: u8,
    #[allow(missing_docs)]
    pub name_alg: AlgId,
    #[allow(missing_docs)]
    pub attributes: u32,
    #[allow(missing_docs)]
    pub policy: Vec<u8>,
    #[allow(missing_docs)]
    pub sym: SymDefObject,
    #[allow(missing_docs)]
    pub scheme: Scheme,
    #[allow(missing_docs)]
    pub kdf: Scheme,
    #[allow(missing_docs)]
    pub keyed: Scheme,
    #[allow(missing_docs)]
    pub key_bits: u16,
    #[allow(missing_docs)]
    pub exponent: u32,
    #[allow(missing_docs)]
    pub curve: u16,
    #[allow(missing_docs)]
    pub a: Vec<u8>,
    #[allow(missing_docs)]
    pub b: Vec<u8>,
}

/// Any public area of the four object types.
pub fn public_seed() -> impl Strategy<Value = PublicSeed> {
    (
        (0u8..4, hash_alg(), any::<u32>(), bytes(64), sym()),
        (
            prop_oneof![scheme(RSA_SCHEMES), scheme(ECC_SCHEMES)],
            scheme(KDF_SCHEMES),
            scheme(KEYEDHASH_SCHEMES),
        ),
        (
            any::<u16>(),
            any::<u32>(),
            0u16..0x30,
            bytes(512),
            bytes(80),
        ),
    )
        .prop_map(
            |(
                (kind, name_alg, attributes, policy, sym),
                (scheme, kdf, keyed),
                (key_bits, exponent, curve, a, b),
            )| {
                PublicSeed {
                    kind,
                    name_alg,
                    attributes,
                    policy,
                    sym,
                    scheme,
                    kdf,
                    keyed,
                    key_bits,
                    exponent,
                    curve,
                    a,
                    b,
                }
            },
        )
}

impl PublicSeed {
    /// The public area, borrowing from the seed.
    #[must_use]
    pub fn build(&self) -> Public<'_> {
        fn ecc(s: &[u8]) -> EccParameter<'_> {
            EccParameter::new(&s[..s.len().min(80)]).unwrap()
        }
        fn digest(s: &[u8]) -> Digest<'_> {
            Digest::new(&s[..s.len().min(64)]).unwrap()
        }
        let parameters = match self.kind {
            0 => PublicParameters::Rsa {
                parms: RsaParms {
                    symmetric: self.sym,
                    scheme: if RSA_SCHEMES.iter().any(|s| s.0 == self.scheme.scheme) {
                        self.scheme
                    } else {
                        Scheme::NULL
                    },
                    key_bits: self.key_bits,
                    exponent: self.exponent,
                },
                unique: PublicKeyRsa::new(&self.a).unwrap(),
            },
            1 => PublicParameters::Ecc {
                parms: EccParms {
                    symmetric: self.sym,
                    scheme: if ECC_SCHEMES.iter().any(|s| s.0 == self.scheme.scheme) {
                        self.scheme
                    } else {
                        Scheme::NULL
                    },
                    curve: EccCurve(self.curve),
                    kdf: self.kdf,
                },
                unique: EccPoint {
                    x: ecc(&self.a),
                    y: ecc(&self.b),
                },
            },
            2 => PublicParameters::KeyedHash {
                scheme: self.keyed,
                unique: digest(&self.b),
            },
            _ => PublicParameters::SymCipher {
                symmetric: if self.sym == SymDefObject::NULL {
                    SymDefObject::AES_128_CFB
                } else {
                    self.sym
                },
                unique: digest(&self.b),
            },
        };
        Public {
            name_alg: self.name_alg,
            attributes: ObjectAttributes::from_bits_retain(self.attributes),
            auth_policy: Digest::new(&self.policy).unwrap(),
            parameters,
        }
    }
}
