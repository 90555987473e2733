//! The firmware path as a boot component would link it: probe the TPM at 0xFED40000, drive
//! it with the FIFO driver, Startup, DictionaryAttackLockReset, NV_ReadPublic of the EK
//! certificate, and the EK CreatePrimary.
//!
//! The panic handler calls a function that does not exist, so this image links only if no
//! panic is reachable from any of it: the no-panic guarantee, checked by the linker.
#![no_std]
#![no_main]

mod common;

use common::{CORE_HZ, Cycles};

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| match common::mmio_window() {
        Some(mmio) => common::firmware_path(mmio, Cycles::start(CORE_HZ)),
        None => 1,
    })
}
