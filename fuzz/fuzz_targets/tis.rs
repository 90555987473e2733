//! The FIFO driver against a register window whose every read is fuzzer-chosen: it must end
//! (its waits are bounded) without panicking, whatever the registers say, and keep its
//! promises after every command: the TPM left idle, the locality as found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_fuzz::{
    FuzzBus, Instant, Recorder, SHORT, check_fifo_promise, get_random, short_duration,
};
use tpm2_tis::{Config, Tis};
use tpm2_wire::Transport;

fuzz_target!(|data: &[u8]| {
    let config = Config {
        timeouts: SHORT,
        command_duration_ms: short_duration,
        ..Config::default()
    };
    let Ok(mut tis) = Tis::new(Recorder::new(FuzzBus::new(data)), Instant, config) else {
        return;
    };
    let holds = tis.holds_locality();
    check_fifo_promise(&tis.bus_mut().take(), holds);
    let mut buf = [0u8; 4096];
    for _ in 0..3 {
        let len = get_random(&mut buf);
        if let Ok(rsp) = tis.transact(&mut buf, len) {
            assert!(rsp.len() >= 10);
        }
        check_fifo_promise(&tis.bus_mut().take(), holds);
    }
});
