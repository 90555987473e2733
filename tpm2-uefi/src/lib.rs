//! TPM 2.0 in a UEFI application or boot loader, where the firmware owns the TPM.
//!
//! [`Tcg2`] is a [`tpm2_wire::Transport`] over `EFI_TCG2_PROTOCOL.SubmitCommand`, so the same
//! `tpm2-cmds` code runs through the firmware's TPM stack as through the register drivers
//! over raw MMIO. [`Stall`] is an [`embedded_hal::delay::DelayNs`] on the Stall boot service,
//! a calibrated delay for the drivers' deadlines.
//!
//! Both need boot services: they never work after `ExitBootServices`. The crate never
//! touches a register, never allocates and never panics; `unsafe` is forbidden.
//!
//! ```no_run
//! use tpm2_uefi::{Stall, Tcg2};
//! # fn run() -> Result<(), tpm2_uefi::Tcg2Error> {
//! let mut tpm = tpm2_cmds::Tpm::new(Tcg2::open()?, Stall);
//! # Ok(()) }
//! ```
#![no_std]
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

mod stall;
mod tcg2;

pub use stall::Stall;
pub use tcg2::{Tcg2, Tcg2Error};
