//! A delay on the UEFI Stall boot service.

use core::time::Duration;

use embedded_hal::delay::DelayNs;

/// Pauses with the Stall boot service (microsecond resolution: shorter pauses round up).
/// Only while boot services run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stall;

impl DelayNs for Stall {
    fn delay_ns(&mut self, ns: u32) {
        uefi::boot::stall(Duration::from_micros(u64::from(ns.div_ceil(1000))));
    }

    fn delay_us(&mut self, us: u32) {
        uefi::boot::stall(Duration::from_micros(u64::from(us)));
    }
}
