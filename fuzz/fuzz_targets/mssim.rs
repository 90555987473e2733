//! The mssim framing reader fed a fuzzer-chosen byte stream by the "simulator": every
//! response it returns is a whole frame that fits, and after a failure that left the stream
//! mid-frame it never reads again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::host::{Mssim, Reason};
use tpm2_fuzz::{ByteStream, get_random};
use tpm2_wire::Transport;

fuzz_target!(|data: &[u8]| {
    let (platform, tpm) = data.split_at(data.len().min(8));
    let mut link = Mssim::from_streams(ByteStream::new(tpm), ByteStream::new(platform));
    let _ = link.power_on();
    let mut buf = [0u8; 1024];
    let mut broken = false;
    for _ in 0..3 {
        let len = get_random(&mut buf);
        match link.transact(&mut buf, len) {
            Ok(rsp) => {
                assert!(!broken, "a stream used after it broke");
                assert!(rsp.len() >= 10 && rsp.len() <= 1024);
            }
            Err(e) if broken => assert!(matches!(e.reason(), Reason::Broken), "{e}"),
            Err(e) => broken = !matches!(e.reason(), Reason::PoweredOff),
        }
    }
});
