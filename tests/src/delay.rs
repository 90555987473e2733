//! Delays for the tests: a real one that counts its pauses, and a virtual clock.

use embedded_hal::delay::DelayNs;

/// Sleeps for real, and counts pauses and their total.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingDelay {
    /// How many pauses were requested.
    pub pauses: u64,
    /// Their sum in nanoseconds.
    pub total_ns: u64,
}

impl DelayNs for CountingDelay {
    fn delay_ns(&mut self, ns: u32) {
        self.pauses += 1;
        self.total_ns += u64::from(ns);
        std::thread::sleep(std::time::Duration::from_nanos(ns.into()));
    }
}

/// A virtual clock: pauses advance `now_ns` instantly, so a test of a 2-second timeout takes
/// microseconds and can assert the exact deadline.
#[derive(Debug, Default, Clone, Copy)]
pub struct VirtualClock {
    /// Virtual nanoseconds elapsed.
    pub now_ns: u64,
    /// How many pauses were requested.
    pub pauses: u64,
}

impl DelayNs for VirtualClock {
    fn delay_ns(&mut self, ns: u32) {
        self.pauses += 1;
        self.now_ns += u64::from(ns);
    }
}
