//! The TPM 2.0 FIFO (TIS) driver for the register window at 0xFED40000, and what both
//! register interfaces share: the [`RegisterAccess`] trait, the [`Mmio`] window, the register
//! map, INTERFACE_ID decoding and interface detection ([`probe`]).
//!
//! [`Tis`] moves command and response buffers through the FIFO registers following the TCG
//! PC Client PTP: locality request and release, commandReady, burstCount-sized transfers with
//! an Expect check at the end of each (a command whose header size is not its length is
//! refused unsent), tpmGo, dataAvail, responseRetry and cancel. A command and a response
//! that each fit one burst cost nine register accesses beyond the data (seven with the
//! locality held), the data in 32-bit accesses with one 16- and one 8-bit access for a
//! tail where INTF_CAPABILITY allows wide transfers. It implements
//! [`tpm2_wire::Transport`]. Every wait is bounded with an
//! [`embedded_hal::delay::DelayNs`] and ends in a [`TisError::Timeout`] naming the wait.
//!
//! It never panics, never waits without a deadline, never issues tpmGo after a failed
//! transfer, and never returns with the TPM busy or its locality other than its
//! [`LocalityPolicy`] says (by default: as it was found, so firmware that holds locality 0
//! keeps it). Where STS.tpmFamily reads 00, a TPM 2.0 command's response tag decides the
//! family, as Linux does. It never parses TPM
//! structures beyond the 10-byte response header. `unsafe` exists only in the `mmio` module.
//!
//! ```
//! use core::ptr::NonNull;
//! use tpm2_tis::{Interface, Mmio, probe, regs};
//!
//! // On a PC: the physical window at DEFAULT_BASE, mapped uncached. Here: RAM holding the
//! // identification registers of a PTP FIFO TPM from IBM (QEMU's tpm-tis).
//! let mut ram = [0u32; 0x1000];
//! ram[(regs::INTERFACE_ID / 4) as usize] = 0x0000_2100u32.to_le(); // type 0: FIFO
//! ram[(regs::fifo::INTF_CAPABILITY / 4) as usize] = 0x3000_0697u32.to_le(); // PTP
//! ram[(regs::fifo::DID_VID / 4) as usize] = 0x0001_1014u32.to_le();
//! ram[0] = 0xA1u32.to_le(); // ACCESS: valid, locality 0 active (left so by firmware)
//! let base = NonNull::from(&mut ram).cast::<u8>();
//! // SAFETY: `ram` is ordinary memory of this size that nothing else touches meanwhile.
//! let mut window = unsafe { Mmio::new(base, core::mem::size_of_val(&ram)) };
//! let found = probe(&mut window)?;
//! assert_eq!(found.interface, Interface::Fifo);
//! assert_eq!(found.vendor_name(), Some("IBM (QEMU / swtpm)"));
//! // Then: `Tis::new(window, delay, Config::default())` drives it (or `tpm2_crb::Device`,
//! // which picks the FIFO or the CRB driver from this probe). A firmware counting bytes
//! // uses `Tis::new_in`, which builds the driver where it stays: no move, no `memcpy`;
//! // a bus over 24 bytes (the I2C one) is lent to it as `&mut`, for the same reason.
//! # Ok::<(), tpm2_tis::TisError<tpm2_tis::MmioError>>(())
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod bus;
mod error;
mod fifo;
pub mod i2c;
mod interface;
mod locality;
#[allow(unsafe_code)]
mod mmio;
pub mod regs;
pub mod spi;
pub mod step;
pub mod timing;

pub use bus::{RegisterAccess, read_block, write_block};
pub use error::{TisError, Wait};
pub use fifo::{Config, Tis};
pub use interface::{
    Family, FamilySource, Interface, InterfaceId, InterfaceType, IntfCapability, Probe, probe,
};
pub use locality::LocalityPolicy;
pub use mmio::{DEFAULT_BASE, Mmio, MmioError, WINDOW_LEN};
pub use regs::Locality;
pub use timing::{Poller, Timeouts, command_duration_ms};
