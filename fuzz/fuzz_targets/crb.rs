//! The CRB driver against a register window whose every read is fuzzer-chosen: bounded,
//! panic-free, and after every command the TPM asked to go idle, CANCEL clear and the
//! locality as found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_crb::{Config, Crb};
use tpm2_fuzz::{FuzzBus, Instant, Recorder, SHORT, check_crb_promise, get_random, short_duration};
use tpm2_wire::Transport;

fuzz_target!(|data: &[u8]| {
    let config = Config {
        timeouts: SHORT,
        command_duration_ms: short_duration,
        ..Config::default()
    };
    let Ok(mut crb) = Crb::new(Recorder::new(FuzzBus::new(data)), Instant, config) else {
        return;
    };
    let layout = crb.layout();
    // Locality 0's data buffer, never another locality's registers.
    assert!(layout.cmd_offset >= 0x80 && layout.cmd_offset + layout.cmd_size <= 0x1000);
    assert!(layout.rsp_offset >= 0x80 && layout.rsp_offset + layout.rsp_size <= 0x1000);
    let holds = crb.holds_locality();
    check_crb_promise(&crb.bus_mut().take(), holds);
    let mut buf = [0u8; 4096];
    for _ in 0..3 {
        let len = get_random(&mut buf);
        if let Ok(rsp) = crb.transact(&mut buf, len) {
            assert!(rsp.len() >= 10);
        }
        check_crb_promise(&crb.bus_mut().take(), holds);
    }
});
