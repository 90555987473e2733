//! The firmware path over the CRB interface, as a boot component on a PC whose TPM is a
//! firmware TPM (Intel PTT, AMD fTPM) links it: the CRB driver at 0xFED40000 with the
//! register start method, then the same commands as over the FIFO.
#![no_std]
#![no_main]

mod common;

use common::{CORE_HZ, Cycles};
use tpm2_cmds::Tpm;
use tpm2_crb::{Config, Crb};

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| {
        let Some(mmio) = common::mmio_window() else {
            return 1;
        };
        let delay = Cycles::start(CORE_HZ);
        let mut slot = None;
        match Crb::new_in(&mut slot, mmio, delay, Config::default()) {
            Ok(crb) => common::commands(&mut Tpm::new(crb, delay)),
            Err(_) => 2,
        }
    })
}
