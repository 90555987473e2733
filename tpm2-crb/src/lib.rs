//! The TPM 2.0 Command Response Buffer (CRB) driver.
//!
//! [`Crb`] follows the TCG PC Client PTP CRB flow: request locality 0 and check it is
//! granted (QEMU silently ignores START without it), cmdReady with up to three attempts and
//! goIdle between them, the command copied into the buffer the TPM advertises (validated to
//! lie inside the mapped window; a command and response buffer that are the same buffer, as
//! on QEMU, are supported), START, START polled to clear within the command's duration,
//! CTRL_STS.tpmSts checked, the response's first 12 bytes then the rest read back (with
//! accesses aligned to their width at any buffer offset), goIdle, and relinquish unless
//! the [`LocalityPolicy`](tpm2_tis::LocalityPolicy) keeps the locality firmware left
//! granted. goIdle and relinquish are written, not waited for, as EDK2 does: whoever uses
//! the TPM next waits for its own cmdReady and grant. Whatever of the command the response
//! did not overwrite (all of it after a failure) is zeroed in the TPM's buffer, which the
//! host can read: an authValue never outlives its command there. Beyond the data, a round trip takes
//! ten register accesses, eight with the locality held.
//! It implements [`tpm2_wire::Transport`]. [`Device`] probes the window and drives
//! whichever interface is there, FIFO or CRB, as one transport.
//!
//! It reuses `tpm2-tis` for everything both interfaces share: the register-access trait,
//! MMIO, INTERFACE_ID decoding, interface detection, timeouts and the bounded poller. It
//! never panics, never waits without a deadline, and never returns without having asked the
//! TPM to go idle and left the locality as its policy says.
//!
//! ```
//! use tpm2_crb::Device;
//! use tpm2_wire::{CommandCode, CommandWriter, Transport};
//! # let window = tpm2_tests::fault_tis::FaultTis::new(tpm2_tests::fault_tis::TisFault::None);
//! # let delay = tpm2_tests::delay::VirtualClock::default();
//! // On a PC: let window = unsafe { tpm2_tis::Mmio::new(base_0xfed40000, tpm2_tis::WINDOW_LEN) };
//! let mut tpm = Device::open(window, delay, Default::default(), Default::default())?;
//! println!("{}", tpm.probe().interface); // "FIFO (PTP)", "TIS 1.3 ..." or "CRB"
//!
//! let mut buf = [0u8; 4096];
//! let mut cmd = CommandWriter::new(&mut buf, CommandCode::GET_RANDOM);
//! cmd.param(&16u16);
//! let len = cmd.finish()?;
//! let response = tpm.transact(&mut buf, len)?;
//! assert_eq!(&response[..2], &[0x80, 0x01]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
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

mod device;
mod driver;
mod error;
pub mod regs;

pub use device::{Device, DeviceError};
pub use driver::{BUFFER_WINDOW, BufferWindow, Config, Crb, Layout, StartMethod, TwoWindows};
pub use error::{CrbError, Wait};
