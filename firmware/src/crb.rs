//! The firmware path over the CRB interface, as a boot component on a PC whose TPM is a
//! firmware TPM (Intel PTT, AMD fTPM) links it: the CRB driver at 0xFED40000 with the
//! register start method, then the same commands as over the FIFO.
#![no_std]
#![no_main]

mod common;

use tpm2_crb::{Config, Crb};

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| {
        common::over_mmio(&mut None, |slot, mmio, delay| {
            Crb::new_in(slot, mmio, delay, Config::default())
        })
    })
}
