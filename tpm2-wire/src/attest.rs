//! What the attestation commands sign, return and take: TPMS_ATTEST with its quote, certify
//! and creation infos, TPMS_CLOCK_INFO, TPMS_TIME_INFO, TPMT_SIGNATURE, TPMT_SIG_SCHEME,
//! TPMT_TK_HASHCHECK and TPMS_CONTEXT.

use crate::public::SchemeUnion;
use crate::{
    AlgId, ContextData, Data, Digest, EccParameter, Handle, Marshal, Name, PcrSelectionList,
    PublicKeyRsa, Reader, Scheme, Tag, TaggedHash, Unmarshal, WireError, Writer,
};

/// TPM_GENERATED_VALUE: the magic that starts every TPMS_ATTEST the TPM signs.
pub const GENERATED_VALUE: u32 = 0xFF54_4347;

/// The TPM's clock when it signed (TPMS_CLOCK_INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClockInfo {
    /// Milliseconds the TPM has been powered since it was manufactured (or cleared).
    pub clock: u64,
    /// TPM Resets since the last Clear.
    pub reset_count: u32,
    /// TPM Restarts and Resumes since the last Reset.
    pub restart_count: u32,
    /// Whether `clock` has not gone backwards since it was last reported.
    pub safe: bool,
}

impl Marshal for ClockInfo {
    fn marshal(&self, w: &mut Writer<'_>) {
        w.u64(self.clock);
        w.u32(self.reset_count);
        w.u32(self.restart_count);
        self.safe.marshal(w);
    }
}

impl Unmarshal<'_> for ClockInfo {
    fn decode(r: &mut Reader<'_>) -> Self {
        Self {
            clock: r.u64(),
            reset_count: r.u32(),
            restart_count: r.u32(),
            safe: r.bool(),
        }
    }
}

/// ReadClock's answer (TPMS_TIME_INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeInfo {
    /// Milliseconds since the last TPM Init.
    pub time: u64,
    /// The clock.
    pub clock_info: ClockInfo,
}

impl Unmarshal<'_> for TimeInfo {
    fn decode(r: &mut Reader<'_>) -> Self {
        Self {
            time: r.u64(),
            clock_info: ClockInfo::decode(r),
        }
    }
}

/// The type-specific part of a TPMS_ATTEST (TPMU_ATTEST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Attested<'a> {
    /// TPM_ST_ATTEST_QUOTE (TPMS_QUOTE_INFO): the PCRs quoted and the digest of their values.
    Quote {
        /// The PCRs, banks in list order.
        pcr_select: PcrSelectionList<'a>,
        /// The hash, with the signing scheme's algorithm, of the selected values.
        pcr_digest: Digest<'a>,
    },
    /// TPM_ST_ATTEST_CERTIFY (TPMS_CERTIFY_INFO): an object certified to be on this TPM.
    Certify {
        /// Its Name.
        name: Name<'a>,
        /// Its qualified Name.
        qualified_name: Name<'a>,
    },
    /// TPM_ST_ATTEST_CREATION (TPMS_CREATION_INFO): how an object was created.
    Creation {
        /// Its Name.
        object_name: Name<'a>,
        /// The digest of its creation data.
        creation_hash: Digest<'a>,
    },
    /// Another type (NV, audit, time): its bytes, not decoded.
    Other(&'a [u8]),
}

/// A statement the TPM signs (TPMS_ATTEST), borrowed from the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Attest<'a> {
    /// TPM_GENERATED_VALUE for a statement the TPM made; decoding refuses anything else.
    pub magic: u32,
    /// What was attested (TPM_ST_ATTEST_*).
    pub kind: Tag,
    /// The signing key's qualified Name.
    pub qualified_signer: Name<'a>,
    /// The caller's qualifying data (the verifier's nonce).
    pub extra_data: Data<'a>,
    /// The TPM's clock.
    pub clock_info: ClockInfo,
    /// The firmware version (vendor-defined).
    pub firmware_version: u64,
    /// The type-specific part.
    pub attested: Attested<'a>,
}

impl Marshal for Attest<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        w.u32(self.magic);
        self.kind.marshal(w);
        self.qualified_signer.marshal(w);
        self.extra_data.marshal(w);
        self.clock_info.marshal(w);
        w.u64(self.firmware_version);
        match &self.attested {
            Attested::Quote {
                pcr_select,
                pcr_digest,
            } => {
                pcr_select.marshal(w);
                pcr_digest.marshal(w);
            }
            Attested::Certify {
                name,
                qualified_name,
            } => {
                name.marshal(w);
                qualified_name.marshal(w);
            }
            Attested::Creation {
                object_name,
                creation_hash,
            } => {
                object_name.marshal(w);
                creation_hash.marshal(w);
            }
            Attested::Other(bytes) => w.bytes(bytes),
        }
    }
}

impl<'a> Unmarshal<'a> for Attest<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let offset = r.offset();
        let magic = r.u32();
        if magic != GENERATED_VALUE {
            r.fail(WireError::BadValue {
                offset,
                value: magic,
            });
        }
        let kind = Tag::decode(r);
        let qualified_signer = Name::decode(r);
        let extra_data = Data::decode(r);
        let clock_info = ClockInfo::decode(r);
        let firmware_version = r.u64();
        let attested = match kind {
            Tag::ATTEST_QUOTE => Attested::Quote {
                pcr_select: PcrSelectionList::decode(r),
                pcr_digest: Digest::decode(r),
            },
            Tag::ATTEST_CERTIFY => Attested::Certify {
                name: Name::decode(r),
                qualified_name: Name::decode(r),
            },
            Tag::ATTEST_CREATION => Attested::Creation {
                object_name: Name::decode(r),
                creation_hash: Digest::decode(r),
            },
            _ => Attested::Other(r.bytes(r.remaining())),
        };
        Self {
            magic,
            kind,
            qualified_signer,
            extra_data,
            clock_info,
            firmware_version,
            attested,
        }
    }
}

/// A signature (TPMT_SIGNATURE), borrowed from the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Signature<'a> {
    /// RSASSA-PKCS1-v1_5 or RSA-PSS: the signature, as wide as the modulus.
    Rsa {
        /// `TPM_ALG_RSASSA` or `TPM_ALG_RSAPSS`.
        scheme: AlgId,
        /// The hash signed.
        hash: AlgId,
        /// The signature.
        sig: PublicKeyRsa<'a>,
    },
    /// ECDSA, ECDAA, SM2 or EC-Schnorr: the integers r and s, big-endian (not DER).
    Ecc {
        /// `TPM_ALG_ECDSA`, `TPM_ALG_ECDAA`, `TPM_ALG_SM2` or `TPM_ALG_ECSCHNORR`.
        scheme: AlgId,
        /// The hash signed.
        hash: AlgId,
        /// r.
        r: EccParameter<'a>,
        /// s.
        s: EccParameter<'a>,
    },
    /// An HMAC.
    Hmac(TaggedHash<'a>),
    /// No signature (`TPM_ALG_NULL`).
    Null,
}

impl Signature<'_> {
    /// The signature scheme (`TPM_ALG_NULL` for none).
    #[must_use]
    pub const fn scheme(&self) -> AlgId {
        match self {
            Self::Rsa { scheme, .. } | Self::Ecc { scheme, .. } => *scheme,
            Self::Hmac(_) => AlgId::HMAC,
            Self::Null => AlgId::NULL,
        }
    }
}

impl Marshal for Signature<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.scheme().marshal(w);
        match self {
            Self::Rsa { hash, sig, .. } => {
                hash.marshal(w);
                sig.marshal(w);
            }
            Self::Ecc { hash, r, s, .. } => {
                hash.marshal(w);
                r.marshal(w);
                s.marshal(w);
            }
            Self::Hmac(mac) => mac.marshal(w),
            Self::Null => {}
        }
    }
}

impl<'a> Unmarshal<'a> for Signature<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let offset = r.offset();
        let scheme = AlgId::decode(r);
        match scheme {
            AlgId::RSASSA | AlgId::RSAPSS => Self::Rsa {
                scheme,
                hash: AlgId::decode(r),
                sig: PublicKeyRsa::decode(r),
            },
            AlgId::ECDSA | AlgId::ECDAA | AlgId::SM2 | AlgId::ECSCHNORR => Self::Ecc {
                scheme,
                hash: AlgId::decode(r),
                r: EccParameter::decode(r),
                s: EccParameter::decode(r),
            },
            AlgId::HMAC => Self::Hmac(TaggedHash::decode(r)),
            AlgId::NULL => Self::Null,
            other => {
                r.fail(WireError::BadSelector {
                    offset,
                    value: other.0.into(),
                });
                Self::Null
            }
        }
    }
}

/// A signing scheme (TPMT_SIG_SCHEME): `Scheme::NULL` lets a key with a scheme of its own
/// (an AK) use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SigScheme(pub Scheme);

impl SigScheme {
    /// The key's own scheme.
    pub const NULL: Self = Self(Scheme::NULL);
}

impl Marshal for SigScheme {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.0.marshal_as(SchemeUnion::Sig, w);
    }
}

impl Unmarshal<'_> for SigScheme {
    fn decode(r: &mut Reader<'_>) -> Self {
        Self(Scheme::decode_as(SchemeUnion::Sig, r))
    }
}

/// A hash-check ticket (TPMT_TK_HASHCHECK): proof that the TPM hashed a message that does not
/// start with TPM_GENERATED_VALUE, which a restricted key needs to sign a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HashcheckTicket<'a> {
    /// The hierarchy, or `TPM_RH_NULL` for the empty ticket.
    pub hierarchy: Handle,
    /// The ticket HMAC.
    pub digest: Digest<'a>,
}

impl HashcheckTicket<'_> {
    /// The empty ticket, enough for an unrestricted key.
    pub const NULL: Self = Self {
        hierarchy: Handle::NULL,
        digest: Digest::EMPTY,
    };
}

impl Marshal for HashcheckTicket<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        Tag::HASHCHECK.marshal(w);
        self.hierarchy.marshal(w);
        self.digest.marshal(w);
    }
}

/// A saved context (TPMS_CONTEXT): what ContextSave returns and ContextLoad takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Context<'a> {
    /// The TPM's context sequence number.
    pub sequence: u64,
    /// The handle it was saved from (a class of handle for an object).
    pub saved_handle: Handle,
    /// Its hierarchy.
    pub hierarchy: Handle,
    /// The integrity-protected, encrypted blob.
    pub blob: ContextData<'a>,
}

impl Marshal for Context<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        w.u64(self.sequence);
        self.saved_handle.marshal(w);
        self.hierarchy.marshal(w);
        self.blob.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for Context<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            sequence: r.u64(),
            saved_handle: Handle::decode(r),
            hierarchy: Handle::decode(r),
            blob: ContextData::decode(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quote as swtpm signs it: a SHA-256 selection of PCRs 0..=7 and a 32-byte digest.
    fn quote_bytes(magic: u32) -> ([u8; 128], usize) {
        let sel = [crate::PcrSelection {
            hash: AlgId::SHA256,
            select: &[0xFF, 0, 0],
        }];
        let attest = Attest {
            magic,
            kind: Tag::ATTEST_QUOTE,
            qualified_signer: Name::new(&[0, 0x0B, 1, 2]).unwrap(),
            extra_data: Data::new(b"nonce").unwrap(),
            clock_info: ClockInfo {
                clock: 7,
                reset_count: 1,
                restart_count: 2,
                safe: true,
            },
            firmware_version: 0x2019_1023_0016_3636,
            attested: Attested::Quote {
                pcr_select: PcrSelectionList::new(&sel).unwrap(),
                pcr_digest: Digest::new(&[0xAA; 32]).unwrap(),
            },
        };
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        attest.marshal(&mut w);
        let len = w.result().unwrap();
        (buf, len)
    }

    #[test]
    fn a_quote_decodes_to_its_fields_and_re_encodes_to_the_same_bytes() {
        let (buf, len) = quote_bytes(GENERATED_VALUE);
        let attest = Attest::from_bytes(&buf[..len]).unwrap();
        assert_eq!(attest.extra_data.as_bytes(), b"nonce");
        assert_eq!(attest.clock_info.restart_count, 2);
        let Attested::Quote {
            pcr_select,
            pcr_digest,
        } = attest.attested
        else {
            panic!("not a quote: {attest:?}");
        };
        let s = pcr_select.iter().next().unwrap();
        assert!(s.indices().eq(0..8));
        assert_eq!(pcr_digest.as_bytes(), [0xAA; 32]);
        let mut again = [0u8; 128];
        let mut w = Writer::new(&mut again);
        attest.marshal(&mut w);
        w.result().unwrap();
        assert_eq!(w.written(), &buf[..len]);
    }

    #[test]
    fn a_statement_without_the_tpm_magic_is_refused_at_offset_0() {
        let (buf, len) = quote_bytes(0xFF54_4348);
        assert_eq!(
            Attest::from_bytes(&buf[..len]),
            Err(WireError::BadValue {
                offset: 0,
                value: 0xFF54_4348
            })
        );
    }

    #[test]
    fn signatures_of_each_scheme_round_trip_and_an_unknown_scheme_is_named() {
        let rsa = [0x00, 0x14, 0x00, 0x0B, 0x00, 0x02, 0xAB, 0xCD];
        let sig = Signature::from_bytes(&rsa).unwrap();
        assert_eq!(sig.scheme(), AlgId::RSASSA);
        let ecdsa = [0x00, 0x18, 0x00, 0x0B, 0x00, 0x01, 0x01, 0x00, 0x01, 0x02];
        let Signature::Ecc { r, s, .. } = Signature::from_bytes(&ecdsa).unwrap() else {
            panic!("not ECC");
        };
        assert_eq!((r.as_bytes(), s.as_bytes()), (&[1][..], &[2][..]));
        assert_eq!(
            Signature::from_bytes(&[0x00, 0x06]),
            Err(WireError::BadSelector {
                offset: 0,
                value: 0x0006
            })
        );
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf);
        sig.marshal(&mut w);
        w.result().unwrap();
        assert_eq!(w.written(), rsa);
    }

    #[test]
    fn sig_schemes_carry_a_hash_except_null() {
        assert_eq!(SigScheme::from_bytes(&[0x00, 0x10]), Ok(SigScheme::NULL));
        let ecdsa = SigScheme::from_bytes(&[0x00, 0x18, 0x00, 0x0B]).unwrap();
        assert_eq!(
            (ecdsa.0.scheme, ecdsa.0.hash),
            (AlgId::ECDSA, AlgId::SHA256)
        );
        assert!(
            SigScheme::from_bytes(&[0x00, 0x17, 0x00, 0x0B]).is_err(),
            "OAEP signs nothing"
        );
    }
}
