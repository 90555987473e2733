//! The mssim framing reader fed a fuzzer-chosen byte stream by the "simulator".
#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::host::Mssim;
use tpm2_fuzz::get_random;
use tpm2_wire::Transport;

/// Reads fuzzer bytes, swallows writes.
struct Stream(Cursor<Vec<u8>>);

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl tpm2_cmds::host::Stream for Stream {
    fn set_read_deadline(&mut self, _: std::time::Duration) -> std::io::Result<()> {
        Ok(())
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let (platform, tpm) = data.split_at(data.len().min(8));
    let mut link = Mssim::from_streams(
        Stream(Cursor::new(tpm.to_vec())),
        Stream(Cursor::new(platform.to_vec())),
    );
    let _ = link.power_on();
    let mut buf = [0u8; 1024];
    for _ in 0..3 {
        let len = get_random(&mut buf);
        match link.transact(&mut buf, len) {
            Ok(rsp) => assert!(rsp.len() >= 10 && rsp.len() <= 1024),
            Err(_) => break,
        }
    }
});
