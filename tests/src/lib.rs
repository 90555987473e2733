//! Dev-only harnesses: bindings to the real peers the integration tests run against.
//!
//! Never published, never linked into firmware. Every peer here is a real implementation
//! installed from Debian packages (see the `xtask` crate); a missing peer fails loudly with
//! the command that installs it.

pub mod tss2;
