//! The FIFO driver against a register window whose every read is fuzzer-chosen: it must end
//! (its waits are bounded) without panicking, whatever the registers say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_fuzz::{FuzzBus, Instant, SHORT, get_random, short_duration};
use tpm2_tis::{Config, Tis};
use tpm2_wire::Transport;

fuzz_target!(|data: &[u8]| {
    let config = Config {
        timeouts: SHORT,
        command_duration_ms: short_duration,
        ..Config::default()
    };
    let Ok(mut tis) = Tis::new(FuzzBus::new(data), Instant, config) else {
        return;
    };
    let mut buf = [0u8; 4096];
    let len = get_random(&mut buf);
    if let Ok(rsp) = tis.transact(&mut buf, len) {
        assert!(rsp.len() >= 10);
    }
});
