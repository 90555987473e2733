//! TPMT_PUBLIC: an object's public area, with RSA, ECC, KEYEDHASH and SYMCIPHER parameters.
//!
//! Union members the selector does not carry are not encoded; decoding sets them to
//! `TPM_ALG_NULL` / 0, so a decoded value re-encodes to the same bytes.

use crate::{
    AlgId, Digest, EccCurve, EccParameter, Marshal, ObjectAttributes, PublicKeyRsa, Reader,
    Unmarshal, WireError, Writer,
};

fn bad_selector(offset: usize, alg: AlgId) -> WireError {
    WireError::BadSelector {
        offset,
        value: alg.0.into(),
    }
}

/// A symmetric algorithm for an object (TPMT_SYM_DEF_OBJECT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SymDefObject {
    /// The cipher, or `TPM_ALG_NULL`.
    pub algorithm: AlgId,
    /// The key size in bits (absent when the cipher is NULL).
    pub key_bits: u16,
    /// The block mode (absent when the cipher is NULL).
    pub mode: AlgId,
}

impl SymDefObject {
    /// No symmetric algorithm.
    pub const NULL: Self = Self {
        algorithm: AlgId::NULL,
        key_bits: 0,
        mode: AlgId::NULL,
    };
    /// AES-128 in CFB mode, the storage and EK default.
    pub const AES_128_CFB: Self = Self {
        algorithm: AlgId::AES,
        key_bits: 128,
        mode: AlgId::CFB,
    };
}

impl Marshal for SymDefObject {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.algorithm.marshal(w);
        if self.algorithm != AlgId::NULL {
            w.u16(self.key_bits);
            self.mode.marshal(w);
        }
    }
}

impl Unmarshal<'_> for SymDefObject {
    fn decode(r: &mut Reader<'_>) -> Self {
        let algorithm = AlgId::decode(r);
        if algorithm == AlgId::NULL {
            return Self::NULL;
        }
        Self {
            algorithm,
            key_bits: r.u16(),
            mode: AlgId::decode(r),
        }
    }
}

/// An asymmetric or keyed-hash scheme: TPMT_RSA_SCHEME, TPMT_ECC_SCHEME,
/// TPMT_KEYEDHASH_SCHEME or TPMT_KDF_SCHEME, depending on where it is used.
///
/// Which detail fields are on the wire depends on `scheme`: a hash for the signing, OAEP,
/// HMAC and KDF schemes; a hash and a count for ECDAA; a hash and a KDF for XOR; nothing for
/// RSAES and NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Scheme {
    /// The scheme, or `TPM_ALG_NULL`.
    pub scheme: AlgId,
    /// The scheme's hash algorithm, where it has one.
    pub hash: AlgId,
    /// The ECDAA commit count, or the XOR scheme's KDF, where present.
    pub extra: u16,
}

/// Which scheme union a [`Scheme`] belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemeUnion {
    Rsa,
    Ecc,
    KeyedHash,
    Kdf,
    /// TPMU_SIG_SCHEME, for TPMT_SIG_SCHEME.
    Sig,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Details {
    None,
    Hash,
    HashAndExtra,
}

impl SchemeUnion {
    fn details(self, scheme: AlgId) -> Option<Details> {
        if scheme == AlgId::NULL {
            return Some(Details::None);
        }
        match (self, scheme) {
            (Self::Rsa, AlgId::RSAES) => Some(Details::None),
            (Self::Rsa, AlgId::RSASSA | AlgId::RSAPSS | AlgId::OAEP)
            | (
                Self::Ecc,
                AlgId::ECDSA | AlgId::ECDH | AlgId::ECSCHNORR | AlgId::SM2 | AlgId::ECMQV,
            )
            | (Self::KeyedHash, AlgId::HMAC)
            | (
                Self::Sig,
                AlgId::RSASSA
                | AlgId::RSAPSS
                | AlgId::ECDSA
                | AlgId::SM2
                | AlgId::ECSCHNORR
                | AlgId::HMAC,
            )
            | (
                Self::Kdf,
                AlgId::MGF1 | AlgId::KDF1_SP800_56A | AlgId::KDF2 | AlgId::KDF1_SP800_108,
            ) => Some(Details::Hash),
            (Self::Ecc | Self::Sig, AlgId::ECDAA) | (Self::KeyedHash, AlgId::XOR) => {
                Some(Details::HashAndExtra)
            }
            _ => None,
        }
    }
}

impl Scheme {
    /// No scheme.
    pub const NULL: Self = Self {
        scheme: AlgId::NULL,
        hash: AlgId::NULL,
        extra: 0,
    };

    pub(crate) fn marshal_as(self, union: SchemeUnion, w: &mut Writer<'_>) {
        let Some(details) = union.details(self.scheme) else {
            return w.fail(bad_selector(w.position(), self.scheme));
        };
        self.scheme.marshal(w);
        if details != Details::None {
            self.hash.marshal(w);
        }
        if details == Details::HashAndExtra {
            w.u16(self.extra);
        }
    }

    pub(crate) fn decode_as(union: SchemeUnion, r: &mut Reader<'_>) -> Self {
        let offset = r.offset();
        let scheme = AlgId::decode(r);
        let mut out = Self {
            scheme,
            ..Self::NULL
        };
        let Some(details) = union.details(scheme) else {
            r.fail(bad_selector(offset, scheme));
            return out;
        };
        if details != Details::None {
            out.hash = AlgId::decode(r);
        }
        if details == Details::HashAndExtra {
            out.extra = r.u16();
        }
        out
    }
}

/// RSA key parameters (TPMS_RSA_PARMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RsaParms {
    /// The symmetric algorithm for a restricted decryption key, else NULL.
    pub symmetric: SymDefObject,
    /// The RSA scheme.
    pub scheme: Scheme,
    /// The modulus size in bits.
    pub key_bits: u16,
    /// The public exponent; 0 means 65537.
    pub exponent: u32,
}

/// ECC key parameters (TPMS_ECC_PARMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EccParms {
    /// The symmetric algorithm for a restricted decryption key, else NULL.
    pub symmetric: SymDefObject,
    /// The ECC scheme.
    pub scheme: Scheme,
    /// The curve.
    pub curve: EccCurve,
    /// The key derivation function.
    pub kdf: Scheme,
}

/// An ECC point (TPMS_ECC_POINT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EccPoint<'a> {
    /// The X coordinate.
    pub x: EccParameter<'a>,
    /// The Y coordinate.
    pub y: EccParameter<'a>,
}

impl Marshal for EccPoint<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.x.marshal(w);
        self.y.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for EccPoint<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            x: EccParameter::decode(r),
            y: EccParameter::decode(r),
        }
    }
}

/// The type-specific part of a public area: TPMU_PUBLIC_PARMS with the matching
/// TPMU_PUBLIC_ID, chosen by the object type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PublicParameters<'a> {
    /// `TPM_ALG_RSA`.
    Rsa {
        /// The key parameters.
        parms: RsaParms,
        /// The modulus (a template's unique field: usually 0 or 256 zero bytes).
        unique: PublicKeyRsa<'a>,
    },
    /// `TPM_ALG_ECC`.
    Ecc {
        /// The key parameters.
        parms: EccParms,
        /// The public point.
        unique: EccPoint<'a>,
    },
    /// `TPM_ALG_KEYEDHASH`.
    KeyedHash {
        /// The HMAC or XOR scheme, or NULL for a sealed data object.
        scheme: Scheme,
        /// The digest of the obfuscated sensitive data.
        unique: Digest<'a>,
    },
    /// `TPM_ALG_SYMCIPHER`.
    SymCipher {
        /// The cipher.
        symmetric: SymDefObject,
        /// The digest of the obfuscated sensitive data.
        unique: Digest<'a>,
    },
}

impl PublicParameters<'_> {
    /// The object type (TPMI_ALG_PUBLIC).
    #[must_use]
    pub const fn object_type(&self) -> AlgId {
        match self {
            Self::Rsa { .. } => AlgId::RSA,
            Self::Ecc { .. } => AlgId::ECC,
            Self::KeyedHash { .. } => AlgId::KEYEDHASH,
            Self::SymCipher { .. } => AlgId::SYMCIPHER,
        }
    }
}

/// An object's public area (TPMT_PUBLIC). Wrap it in [`Tpm2b`](crate::Tpm2b) for TPM2B_PUBLIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Public<'a> {
    /// The Name algorithm.
    pub name_alg: AlgId,
    /// The object attributes.
    pub attributes: ObjectAttributes,
    /// The authorization policy digest, or empty.
    pub auth_policy: Digest<'a>,
    /// The type, its parameters and its unique field.
    pub parameters: PublicParameters<'a>,
}

impl Marshal for Public<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.parameters.object_type().marshal(w);
        self.name_alg.marshal(w);
        self.attributes.marshal(w);
        self.auth_policy.marshal(w);
        match &self.parameters {
            PublicParameters::Rsa { parms, unique } => {
                parms.symmetric.marshal(w);
                parms.scheme.marshal_as(SchemeUnion::Rsa, w);
                w.u16(parms.key_bits);
                w.u32(parms.exponent);
                unique.marshal(w);
            }
            PublicParameters::Ecc { parms, unique } => {
                parms.symmetric.marshal(w);
                parms.scheme.marshal_as(SchemeUnion::Ecc, w);
                parms.curve.marshal(w);
                parms.kdf.marshal_as(SchemeUnion::Kdf, w);
                unique.marshal(w);
            }
            PublicParameters::KeyedHash { scheme, unique } => {
                scheme.marshal_as(SchemeUnion::KeyedHash, w);
                unique.marshal(w);
            }
            PublicParameters::SymCipher { symmetric, unique } => {
                symmetric.marshal(w);
                unique.marshal(w);
            }
        }
    }
}

impl<'a> Unmarshal<'a> for Public<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let offset = r.offset();
        let object_type = AlgId::decode(r);
        let name_alg = AlgId::decode(r);
        let attributes = ObjectAttributes::decode(r);
        let auth_policy = Digest::decode(r);
        let parameters = match object_type {
            AlgId::RSA => PublicParameters::Rsa {
                parms: RsaParms {
                    symmetric: SymDefObject::decode(r),
                    scheme: Scheme::decode_as(SchemeUnion::Rsa, r),
                    key_bits: r.u16(),
                    exponent: r.u32(),
                },
                unique: PublicKeyRsa::decode(r),
            },
            AlgId::ECC => PublicParameters::Ecc {
                parms: EccParms {
                    symmetric: SymDefObject::decode(r),
                    scheme: Scheme::decode_as(SchemeUnion::Ecc, r),
                    curve: EccCurve::decode(r),
                    kdf: Scheme::decode_as(SchemeUnion::Kdf, r),
                },
                unique: EccPoint::decode(r),
            },
            AlgId::KEYEDHASH => PublicParameters::KeyedHash {
                scheme: Scheme::decode_as(SchemeUnion::KeyedHash, r),
                unique: Digest::decode(r),
            },
            AlgId::SYMCIPHER => PublicParameters::SymCipher {
                symmetric: SymDefObject::decode(r),
                unique: Digest::decode(r),
            },
            other => {
                r.fail(bad_selector(offset, other));
                PublicParameters::KeyedHash {
                    scheme: Scheme::NULL,
                    unique: Digest::EMPTY,
                }
            }
        };
        Self {
            name_alg,
            attributes,
            auth_policy,
            parameters,
        }
    }
}
