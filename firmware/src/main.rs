//! The firmware path as a boot component would link it: probe the TPM at 0xFED40000, drive
//! it with the FIFO driver (or CRB), Startup, DictionaryAttackLockReset, NV_ReadPublic of the
//! EK certificate, and the EK CreatePrimary.
//!
//! The panic handler calls a function that does not exist, so this image links only if no
//! panic is reachable from any of it: the no-panic guarantee, checked by the linker.
#![no_std]
#![no_main]

use core::ptr::NonNull;

use embedded_hal::delay::DelayNs;
use tpm2_cmds::Tpm;
use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_tis::{Interface, Mmio, Tis, WINDOW_LEN};
use tpm2_wire::{Auth, StartupType, reserved};

/// A delay that spins; a board would use its timer.
struct Spin;

impl DelayNs for Spin {
    fn delay_ns(&mut self, ns: u32) {
        for _ in 0..ns / 8 {
            core::hint::spin_loop();
        }
    }
}

unsafe extern "C" {
    /// Deliberately undefined: referenced only from the panic handler.
    fn tpm2_no_panic_guarantee_violated() -> !;
}

#[cfg(not(find_panics))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: never linked; if a panic is reachable the link fails on this symbol.
    unsafe { tpm2_no_panic_guarantee_violated() }
}

/// `RUSTFLAGS="--cfg find_panics"` links anyway, to find the callers of the panic machinery.
#[cfg(find_panics)]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// What the firmware path found, as a number a boot log can print.
fn firmware_path() -> u32 {
    let Some(base) = NonNull::new(tpm2_tis::DEFAULT_BASE as *mut u8) else {
        return 1;
    };
    // SAFETY: on a PC the TPM window at 0xFED40000 is identity-mapped device memory that this
    // image alone uses.
    let mmio = unsafe { Mmio::new(base, WINDOW_LEN) };
    let tis = match Tis::new(mmio, Spin, tpm2_tis::Config::default()) {
        Ok(tis) => tis,
        Err(_) => return 2,
    };
    if tis.probe().interface == Interface::Crb {
        return 3;
    }
    let mut tpm: Tpm<_, _> = Tpm::new(tis, Spin);
    if tpm.startup(StartupType::CLEAR).is_err() {
        return 4;
    }
    let mut status = 0;
    if tpm.dictionary_attack_lock_reset(Auth::EMPTY).is_err() {
        status |= 0x10;
    }
    if tpm.nv_read_public(reserved::RSA_EK_CERT_NV).is_err() {
        status |= 0x20;
    }
    match tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY) {
        Ok(ek) => status | (ek.handle.0 & 0xF),
        Err(e) => status | 0x40 | (e.tpm().map_or(0, |t| t.code.raw()) << 16),
    }
}

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let status = firmware_path();
    core::hint::black_box(status);
    loop {
        core::hint::spin_loop();
    }
}
