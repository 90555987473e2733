//! The codec work of the firmware path, as functions a benchmark can time: the EK
//! CreatePrimary (355 bytes out, 538 back), DictionaryAttackLockReset and
//! NV_ReadPublic(0x01C00002), each encoded and decoded by this project, by tpm2-protocol 1.2.3
//! and by libtss2-mu, next to a plain copy of the same bytes.
//!
//! Every implementation is checked against the others before it is timed: the encoders must
//! produce the same bytes, the decoders must accept the same frames. It never talks to a TPM.

pub mod frames;
pub mod ours;
pub mod protocol;
pub mod tss2;

/// One operation: its name, the bytes it encodes or decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// TPM2_CreatePrimary of the RSA 2048 EK (TCG template L-1): command.
    EkEncode,
    /// Its response: handle, public area, creation data, hash, ticket, Name.
    EkDecode,
    /// TPM2_DictionaryAttackLockReset with the empty lockoutAuth: command.
    DaEncode,
    /// Its response.
    DaDecode,
    /// TPM2_NV_ReadPublic(0x01C00002): command.
    NvEncode,
    /// Its response: the NV public area and Name of an EK certificate index.
    NvDecode,
}

impl Op {
    /// Every operation, in the order the report prints them.
    pub const ALL: [Self; 6] = [
        Self::EkEncode,
        Self::EkDecode,
        Self::DaEncode,
        Self::DaDecode,
        Self::NvEncode,
        Self::NvDecode,
    ];

    /// The benchmark group name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::EkEncode => "ek-encode",
            Self::EkDecode => "ek-decode",
            Self::DaEncode => "da-reset-encode",
            Self::DaDecode => "da-reset-decode",
            Self::NvEncode => "nv-read-public-encode",
            Self::NvDecode => "nv-read-public-decode",
        }
    }

    /// The bytes the operation produces or reads: what the copy floor copies.
    #[must_use]
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Self::EkEncode => frames::ek_command(),
            Self::EkDecode => frames::ek_response().to_vec(),
            Self::DaEncode => frames::da_command(),
            Self::DaDecode => frames::da_response(),
            Self::NvEncode => frames::nv_command(),
            Self::NvDecode => frames::nv_response(),
        }
    }
}
