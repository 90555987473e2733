//! Dev-only harnesses: bindings to the real peers the integration tests run against.
//!
//! Never published, never linked into firmware. Every peer here is a real implementation
//! installed from Debian packages (see the `xtask` crate); a missing peer fails loudly with
//! the command that installs it. Foreign-function calls are confined to the `*_sys`-style
//! modules that say `allow(unsafe_code)`, each block with a `// SAFETY:` comment.
#![deny(unsafe_code)]
// A host-only test crate: std is its home, and its helpers panic on a broken peer by design.
#![allow(clippy::std_instead_of_core, clippy::missing_panics_doc)]

pub mod attest;
pub mod ca;
pub mod chardev;
pub mod delay;
pub mod fault_crb;
pub mod fault_tis;
pub mod frames;
pub mod i2c_model;
pub mod libtpms;
pub mod mssim_server;
pub mod ovmf;
pub mod peer;
pub mod qemu;
pub mod spi_model;
pub mod strategies;
pub mod swtpm;
pub mod tap;
pub mod tss2;
