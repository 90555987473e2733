//! The firmware path as a boot component that does not know its PC's TPM interface links
//! it: probe the window at 0xFED40000 and drive the FIFO or the CRB driver, whichever it
//! finds (`tpm2_crb::Device`), then the same commands. Both drivers are in the image.
#![no_std]
#![no_main]

mod common;

use tpm2_crb::Device;

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| {
        common::over_mmio(&mut None, |slot, mmio, delay| {
            Device::open_in(slot, mmio, delay, Default::default(), Default::default())
        })
    })
}
