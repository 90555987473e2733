//! What both firmware images share: the cycle-counter delay, the no-panic handler, and the
//! firmware path itself, generic over how the registers are reached.

use cortex_m::peripheral::DWT;
use embedded_hal::delay::DelayNs;
use tpm2_cmds::Tpm;
use tpm2_cmds::ek::EkKind;
use tpm2_tis::{RegisterAccess, Tis};
use tpm2_wire::{Auth, StartupType, Transport, reserved};

/// The core clock the board runs at; a board sets its own.
pub const CORE_HZ: u32 = 64_000_000;

/// A delay counted by the Cortex-M cycle counter (DWT CYCCNT), so that the drivers'
/// deadlines are real time whatever the code around them costs.
#[derive(Clone, Copy)]
pub struct Cycles {
    per_us: u32,
}

impl Cycles {
    /// Enables the cycle counter (DEMCR.TRCENA, DWT_CTRL.CYCCNTENA).
    pub fn start(core_hz: u32) -> Self {
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

#[cfg(not(any(find_panics, feature = "sessions")))]
unsafe extern "C" {
    /// Deliberately undefined: referenced only from the panic handler.
    fn tpm2_no_panic_guarantee_violated() -> !;
}

#[cfg(not(any(find_panics, feature = "sessions")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: never linked; if a panic is reachable the link fails on this symbol.
    unsafe { tpm2_no_panic_guarantee_violated() }
}

/// `RUSTFLAGS="--cfg find_panics"` links anyway, to find the callers of the panic machinery.
/// The sessions image links this handler too: RustCrypto's AES (fixslice), crypto-bigint,
/// sec1 and hmac keep bounds checks the optimiser does not remove, so the link-time proof
/// covers the plain images (all of this project's code) but not those crates.
#[cfg(any(find_panics, feature = "sessions"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// The firmware path over `bus`: probe, the FIFO driver, Startup, DictionaryAttackLockReset,
/// NV_ReadPublic of the EK certificate, the EK CreatePrimary. What it found, as a number a
/// boot log can print.
// Not every image calls it: the CRB, Device and salted images open their transport otherwise.
#[allow(dead_code)]
pub fn firmware_path<B: RegisterAccess>(bus: B, delay: Cycles) -> u32 {
    let mut slot = None;
    let Ok(tis) = Tis::new_in(&mut slot, bus, delay, tpm2_tis::Config::default()) else {
        return 2;
    };
    commands(&mut Tpm::new(tis, delay))
}

/// The commands of the firmware path, over any transport: Startup,
/// DictionaryAttackLockReset, NV_ReadPublic of the EK certificate, the EK CreatePrimary.
#[cfg_attr(feature = "sessions", allow(dead_code))]
pub fn commands<T: Transport>(tpm: &mut Tpm<T, Cycles>) -> u32 {
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
    match tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY) {
        Ok(ek) => status | (ek.handle.0 & 0xF),
        Err(e) => status | 0x40 | (e.tpm().map_or(0, |t| t.code.raw()) << 16),
    }
}

/// The commands over the register window at 0xFED40000, through the transport `open`
/// builds in `slot` from it: 1 without a window, 2 if the transport did not open.
// Not every image opens its driver this way: the FIFO, serial-bus and salted ones do not.
#[allow(dead_code)]
pub fn over_mmio<S, T: Transport, E>(
    slot: &mut Option<S>,
    open: impl FnOnce(&mut Option<S>, tpm2_tis::Mmio, Cycles) -> Result<&mut T, E>,
) -> u32 {
    let Some(mmio) = mmio_window() else {
        return 1;
    };
    let delay = Cycles::start(CORE_HZ);
    match open(slot, mmio, delay) {
        Ok(transport) => commands(&mut Tpm::new(transport, delay)),
        Err(_) => 2,
    }
}

/// The TPM's register window at 0xFED40000.
#[allow(dead_code)]
pub fn mmio_window() -> Option<tpm2_tis::Mmio> {
    let base = core::ptr::NonNull::new(tpm2_tis::DEFAULT_BASE as *mut u8)?;
    // SAFETY: on a PC the TPM window at 0xFED40000 is identity-mapped device memory that
    // this image alone uses.
    Some(unsafe { tpm2_tis::Mmio::new(base, tpm2_tis::WINDOW_LEN) })
}

/// Runs `path` and parks the core.
pub fn run(path: impl FnOnce() -> u32) -> ! {
    let status = path();
    core::hint::black_box(status);
    loop {
        core::hint::spin_loop();
    }
}
