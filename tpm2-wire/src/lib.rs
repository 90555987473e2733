//! TPM 2.0 command and response buffers in and out, and every response code typed.
//!
//! This crate turns typed values into TPM 2.0 command frames and response frames back into
//! typed values, over caller-owned buffers. It never allocates, never uses `unsafe`, never
//! panics on any input, and never touches a device: moving frames is the job of a
//! [`Transport`] (the `tpm2-tis` and `tpm2-crb` drivers, or a host transport).
//!
//! - [`CommandWriter`] builds a command: handles, then the authorization area, then
//!   parameters, with `commandSize` filled in at the end.
//! - [`Response::parse`] checks a response frame against its header and splits it; the
//!   parameters are read with a bounded [`Reader`] that rejects trailing bytes.
//! - Structures implement [`Marshal`] and [`Unmarshal`]. Decoded structures borrow their
//!   variable-length parts from the response buffer, so parsing costs little stack.
//! - [`ResponseCode`] decodes any `u32` completely (format 0 / 1, warning, vendor, TPM 1.2,
//!   handle / session / parameter number, TSS layer) and prints what tpm2-tss prints.
//!
//! Errors are [`WireError`] values that carry the byte offset of the problem. The
//! [`Writer`] and the [`Reader`] keep the first error and do nothing after it, so encoders
//! and decoders are plain sequences of writes and reads; the error comes out once, from
//! [`CommandWriter::finish`], [`Writer::result`], [`Unmarshal::unmarshal`],
//! [`Unmarshal::from_bytes`] or [`Reader::finish`], never as a partly built value.
//!
//! ```
//! use tpm2_wire::{CommandCode, CommandWriter, ResponseCode, Response, Unmarshal, Digest};
//!
//! // Build TPM2_GetRandom(8) in a caller's buffer.
//! let mut buf = [0u8; 64];
//! let mut cmd = CommandWriter::new(&mut buf, CommandCode::GET_RANDOM);
//! cmd.param(&8u16);
//! let len = cmd.finish()?;
//! assert_eq!(&buf[..len], [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8]);
//!
//! // A response captured from a TPM: success, 8 random bytes.
//! let bytes = [0x80, 0x01, 0, 0, 0, 20, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
//! let rsp = Response::parse(&bytes, 0)?;
//! let random = Digest::unmarshal(&mut rsp.parameters())?;
//! assert_eq!(random.as_bytes(), [1, 2, 3, 4, 5, 6, 7, 8]);
//!
//! // Any response code, decoded as tpm2-tss prints it.
//! assert_eq!(
//!     ResponseCode(0x9A2).to_string(),
//!     "tpm:session(1):authorization failure without DA implications"
//! );
//! # Ok::<(), tpm2_wire::WireError>(())
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::unreachable,
        clippy::todo
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod alg;
mod attest;
mod attr;
mod bits;
mod cap;
mod capability;
mod cc;
mod creation;
mod error;
mod frame;
mod handle;
mod list;
mod marshal;
mod nv;
mod pcr;
mod public;
pub mod rc;
mod reader;
mod session;
mod tpm2b;
mod transport;
mod writer;

pub use alg::{AlgId, EccCurve};
pub use attest::{
    Attest, Attested, ClockInfo, Context, GENERATED_VALUE, HashcheckTicket, SigScheme, Signature,
    TimeInfo,
};
pub use attr::{
    AlgorithmAttributes, CommandAttributes, LocalityAttributes, NvAttributes, ObjectAttributes,
    PermanentAttributes, SessionAttributes, StartupClearAttributes,
};
pub use cap::{Capability, Property};
pub use capability::{AlgProperty, CapabilityData, MAX_CAP_ENTRIES, TaggedProperty};
pub use cc::{CommandCode, command_duration_ms};
pub use creation::{CreationData, CreationTicket, SensitiveCreate};
pub use error::WireError;
pub use frame::{CommandWriter, HEADER_LEN, Header, Response, Sessions};
pub use handle::{Handle, HandleType, StartupType, Tag, reserved};
pub use list::{Iter as ListIter, List};
pub use marshal::{Marshal, Unmarshal};
pub use nv::NvPublic;
pub use pcr::{
    DigestList, DigestValues, PCR_SELECT_MAX, PcrBitmap, PcrSelection, PcrSelectionList, TaggedHash,
};
pub use public::{EccParms, EccPoint, Public, PublicParameters, RsaParms, Scheme, SymDefObject};
pub use rc::{RcKind, ResponseCode, Subject};
pub use reader::Reader;
pub use session::{AuthCommand, AuthResponse};
pub use tpm2b::{
    AttestBytes, Auth, ContextData, Data, Digest, EccParameter, EncryptedSecret, Event, IdObject,
    MaxBuffer, MaxNvBuffer, Name, Nonce, Private, PublicKeyRsa, SensitiveData, Tpm2b,
};
pub use transport::{Transport, TransportError, TransportErrorKind};
pub use writer::Writer;
