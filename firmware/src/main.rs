//! The firmware path as a boot component would link it: probe the TPM at 0xFED40000, drive
//! it with the FIFO driver (or CRB), Startup, DictionaryAttackLockReset, NV_ReadPublic of the
//! EK certificate, and the EK CreatePrimary.
//!
//! The panic handler calls a function that does not exist, so this image links only if no
//! panic is reachable from any of it: the no-panic guarantee, checked by the linker.
#![no_std]
#![no_main]

use core::ptr::NonNull;

use cortex_m::peripheral::DWT;
use embedded_hal::delay::DelayNs;
use tpm2_cmds::Tpm;
use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_tis::{Interface, Mmio, Tis, WINDOW_LEN};
use tpm2_wire::{Auth, StartupType, reserved};

/// The core clock the board runs at; a board sets its own.
const CORE_HZ: u32 = 64_000_000;

/// A delay counted by the Cortex-M cycle counter (DWT CYCCNT), so that the drivers'
/// deadlines are real time whatever the code around them costs.
#[derive(Clone, Copy)]
struct Cycles {
    per_us: u32,
}

impl Cycles {
    /// Enables the cycle counter (DEMCR.TRCENA, DWT_CTRL.CYCCNTENA).
    fn start(core_hz: u32) -> Self {
        // SAFETY: called once at start-up, before anything else uses DCB or DWT.
        let mut p = unsafe { cortex_m::Peripherals::steal() };
        p.DCB.enable_trace();
        p.DWT.enable_cycle_counter();
        Self {
            per_us: core_hz / 1_000_000,
        }
    }

    fn wait_cycles(cycles: u32) {
        let start = DWT::cycle_count();
        while DWT::cycle_count().wrapping_sub(start) < cycles {
            core::hint::spin_loop();
        }
    }
}

impl DelayNs for Cycles {
    fn delay_ns(&mut self, ns: u32) {
        Self::wait_cycles((ns / 1000) * self.per_us + (ns % 1000) * self.per_us / 1000);
    }

    fn delay_us(&mut self, us: u32) {
        // At most 2^32 cycles per wait: split long pauses.
        let per_wait = u32::MAX / self.per_us.max(1);
        let mut left = us;
        while left > 0 {
            let step = left.min(per_wait);
            Self::wait_cycles(step * self.per_us);
            left -= step;
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
    let delay = Cycles::start(CORE_HZ);
    let tis = match Tis::new(mmio, delay, tpm2_tis::Config::default()) {
        Ok(tis) => tis,
        Err(_) => return 2,
    };
    if tis.probe().interface == Interface::Crb {
        return 3;
    }
    let mut tpm = Tpm::new(tis, delay);
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
