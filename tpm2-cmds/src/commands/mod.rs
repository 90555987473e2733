//! The typed commands, as methods of [`Tpm`](crate::Tpm), grouped by area.

mod attest;
mod capability;
mod da;
mod keys;
mod nv;
mod object;
mod pcr;
mod properties;
mod startup;

pub use attest::Attestation;
pub use capability::{CapabilityPage, MAX_PAGES};
pub use keys::{Created, CreatedLoaded, KeyBlob, Loaded};
pub use nv::NvReadPublic;
pub use object::{CreatePrimary, ReadPublic};
pub use pcr::{BANK_PCRS, PcrBank, PcrRead, PcrValue};
pub use properties::{DaState, FixedProperties};
pub use startup::{StartupOutcome, TestResult};
