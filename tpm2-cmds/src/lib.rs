//! Typed TPM 2.0 commands over any [`Transport`], the TCG EK
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
//! authorization values from its buffer after every transaction. With the `sessions` feature
//! it runs commands over salted HMAC and policy sessions with parameter encryption
//! (the `session` module), so that authValues never cross the bus. The attestation commands
//! (Create, Load, Quote, Certify, ActivateCredential, ...) and the AK and SRK
//! [`templates`] are always there; with `sessions` an AK is created under the EK and a
//! credential activated with the EK's policy sessions. The `verify` feature is the relying
//! party's side: local Names, SPKI export, MakeCredential, Quote checks and the event log
//! replay (it allocates, through the RSA and DER crates). With the `std` feature it
//! also provides host transports: Linux `/dev/tpmrm0`, the reference simulator's mssim
//! protocol, and swtpm's socket.
//!
//! ```
//! use tpm2_cmds::ek::EkKind;
//! use tpm2_cmds::{Auth, Failure, StartupType, Tpm, reserved};
//! # let transport = tpm2_tests::libtpms::Libtpms::start()?; // a simulated TPM
//! # let delay = tpm2_tests::delay::VirtualClock::default();
//! // On a Linux host: let transport = tpm2_cmds::host::Device::open("/dev/tpmrm0")?;
//! //                  let delay = tpm2_cmds::host::StdDelay;
//! // In firmware: a `tpm2_tis::Tis` or `tpm2_crb::Device` over `tpm2_tis::Mmio`.
//! let mut tpm = Tpm::new(transport, delay);
//! tpm.startup(StartupType::CLEAR)?; // "already started" is a success too
//! let da = tpm.dictionary_attack_state()?;
//! println!("{} of {} authorization failures", da.failed_tries, da.max_tries);
//! match tpm.nv_read_public(reserved::RSA_EK_CERT_NV) {
//!     Err(e) if e.is(Failure::NvIndexNotDefined) => println!("no EK certificate: {e}"),
//!     other => drop(other?),
//! }
//! let ek = tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY)?; // the TCG template
//! let handle = ek.handle;
//! println!("EK Name {}", ek.name); // hex, as tpm2-tools prints it
//! tpm.flush_context(handle)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
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
mod flush;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod host;
mod owned;
pub mod provision;
#[cfg(feature = "sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "sessions")))]
pub mod session;
pub mod templates;
#[cfg(test)]
mod tests;
mod tpm;
#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub mod verify;

pub use commands::{
    Attestation, BANK_PCRS, CapabilityPage, CreatePrimary, Created, CreatedLoaded, DaState,
    FixedProperties, KeyBlob, Loaded, MAX_PAGES, NvReadPublic, PcrBank, PcrRead, PcrValue,
    ReadPublic, StartupOutcome, TestResult,
};
pub use error::{Error, Failure, TemplateField, TpmError};
pub use flush::Flushing;
pub use owned::OwnedBytes;
pub use provision::{
    Outcome, ProvisionConfig, ProvisionError, ProvisionReport, Step, TemplateSource, Withheld,
};
pub use tpm::{RetryPolicy, Tpm};
/// The wire crate, so that a user of the commands depends on one crate.
pub use tpm2_wire as wire;
pub use tpm2_wire::{Auth, Handle, StartupType, Transport, reserved};
