//! swtpm's raw-frame reader fed a fuzzer-chosen byte stream: every response it returns is a
//! whole frame that fits, and after a failure it never reads the stream again (a late or
//! partial answer can never be taken for a later command's).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::host::{Reason, Swtpm};
use tpm2_fuzz::{ByteStream, get_random};
use tpm2_wire::Transport;

fuzz_target!(|data: &[u8]| {
    let mut link = Swtpm::from_stream(ByteStream::new(data));
    let mut buf = [0u8; 1024];
    let mut broken = false;
    for _ in 0..4 {
        let len = get_random(&mut buf);
        match link.transact(&mut buf, len) {
            Ok(rsp) => {
                assert!(!broken, "a stream used after it broke");
                let size = u32::from_be_bytes([rsp[2], rsp[3], rsp[4], rsp[5]]);
                assert!(rsp.len() >= 10 && rsp.len() == size as usize);
            }
            Err(e) if broken => assert!(matches!(e.reason(), Reason::Broken), "{e}"),
            Err(_) => broken = true,
        }
    }
});
