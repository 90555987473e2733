//! The firmware path as a boot component that does not know its PC's TPM interface links
//! it: probe the window at 0xFED40000 and drive the FIFO or the CRB driver, whichever it
//! finds (`tpm2_crb::Device`), then the same commands. Both drivers are in the image.
#![no_std]
#![no_main]

mod common;

use common::{CORE_HZ, Cycles};
use tpm2_cmds::Tpm;
use tpm2_crb::Device;

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| {
        let Some(mmio) = common::mmio_window() else {
            return 1;
        };
        let delay = Cycles::start(CORE_HZ);
        let mut slot = None;
        match Device::open_in(
            &mut slot,
            mmio,
            delay,
            Default::default(),
            Default::default(),
        ) {
            Ok(device) => common::commands(&mut Tpm::new(device, delay)),
            Err(_) => 2,
        }
    })
}
