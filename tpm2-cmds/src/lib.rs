//! Typed TPM 2.0 commands over any [`Transport`](tpm2_wire::Transport), the TCG EK
//! templates, and the EK provisioning flow built on them.
//!
//! [`Tpm`] owns one command/response buffer (4 KiB by default), builds each command with
//! `tpm2-wire`, sends it, retries TPM_RC_RETRY / TESTING / YIELDED / NV_RATE with bounded
//! back-off, checks the response code before decoding anything, and returns zero-copy views
//! of the response. A refusal is an [`Error::Tpm`] carrying a [`Failure`] built from the
//! (command, response code) pair, so callers match `Failure::NvIndexNotDefined` rather than
//! `0x18b`.
//!
//! It never sees a register, never allocates, never panics, never uses `unsafe`, and wipes
//! authorization values from its buffer after every transaction. With the `std` feature it
//! also provides host transports: Linux `/dev/tpmrm0`, the reference simulator's mssim
//! protocol, and swtpm's socket.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod commands;
pub mod ek;
mod error;
#[cfg(feature = "std")]
pub mod host;
pub mod provision;
#[cfg(test)]
mod tests;
mod tpm;

pub use commands::{
    CapabilityPage, CreatePrimary, MAX_PAGES, NvReadPublic, PcrRead, ReadPublic, StartupOutcome,
    TestResult,
};
pub use error::{Error, Failure, TemplateField, TpmError};
pub use provision::{
    Outcome, ProvisionConfig, ProvisionError, ProvisionReport, Step, TemplateSource, Withheld,
};
pub use tpm::{RetryPolicy, Tpm};
