//! What the fuzz targets share: a transport that answers with fuzzer bytes, a register bus
//! whose every read returns fuzzer bytes, an instant clock, and short deadlines.

use embedded_hal::delay::DelayNs;
use tpm2_tis::{RegisterAccess, Timeouts};
use tpm2_wire::{Transport, TransportError, TransportErrorKind};

/// A clock whose pauses take no time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Instant;

impl DelayNs for Instant {
    fn delay_ns(&mut self, _: u32) {}
}

/// A deterministic "random" source for the session nonces and keys: a counter. Fine for a
/// fuzzer, whose TPM is fuzzer bytes anyway; never for a real TPM.
#[derive(Debug, Default)]
pub struct Counter(u64);

impl rand_core::TryRng for Counter {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.try_next_u64().map(|v| v as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for Counter {}

/// Never happens.
#[derive(Debug)]
pub struct Never;

impl core::fmt::Display for Never {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("never")
    }
}

impl TransportError for Never {
    fn kind(&self) -> TransportErrorKind {
        TransportErrorKind::Other
    }
}

/// A register window whose reads return fuzzer-chosen bytes in turn (all-ones once they run
/// out) and whose writes go nowhere.
#[derive(Debug)]
pub struct FuzzBus<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> FuzzBus<'a> {
    /// A bus reading `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn next<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0xFF; N];
        for b in &mut out {
            if let Some(v) = self.data.get(self.pos) {
                *b = *v;
                self.pos += 1;
            }
        }
        out
    }
}

impl RegisterAccess for FuzzBus<'_> {
    type Error = core::convert::Infallible;
    fn read8(&mut self, _: u32) -> Result<u8, Self::Error> {
        Ok(self.next::<1>()[0])
    }
    fn read16(&mut self, _: u32) -> Result<u16, Self::Error> {
        Ok(u16::from_le_bytes(self.next()))
    }
    fn read32(&mut self, _: u32) -> Result<u32, Self::Error> {
        Ok(u32::from_le_bytes(self.next()))
    }
    fn write8(&mut self, _: u32, _: u8) -> Result<(), Self::Error> {
        Ok(())
    }
    fn write16(&mut self, _: u32, _: u16) -> Result<(), Self::Error> {
        Ok(())
    }
    fn write32(&mut self, _: u32, _: u32) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Deadlines of a millisecond, so that a wait the fuzzer keeps unsatisfied ends quickly.
pub const SHORT: Timeouts = Timeouts {
    a_us: 1_000,
    b_us: 1_000,
    c_us: 1_000,
};

/// Every command may take a millisecond.
#[must_use]
pub fn short_duration(_: tpm2_wire::CommandCode) -> u32 {
    1
}

/// A GetRandom command in `buf`, returning its length.
#[must_use]
pub fn get_random(buf: &mut [u8]) -> usize {
    let mut cmd = tpm2_wire::CommandWriter::new(buf, tpm2_wire::CommandCode::GET_RANDOM);
    cmd.param(&16u16);
    cmd.finish().unwrap()
}

/// One register write: offset, width in bytes, value.
pub type Write = (u32, u8, u32);

/// A bus that records every write made through it.
#[derive(Debug)]
pub struct Recorder<B> {
    /// The bus underneath.
    pub bus: B,
    /// The writes since the last [`Recorder::take`].
    pub writes: Vec<Write>,
}

impl<B> Recorder<B> {
    /// Records writes made to `bus`.
    pub fn new(bus: B) -> Self {
        Self {
            bus,
            writes: Vec::new(),
        }
    }

    /// The writes recorded so far, clearing the record.
    pub fn take(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.writes)
    }
}

impl<B: RegisterAccess> RegisterAccess for Recorder<B> {
    type Error = B::Error;
    fn read8(&mut self, o: u32) -> Result<u8, Self::Error> {
        self.bus.read8(o)
    }
    fn read16(&mut self, o: u32) -> Result<u16, Self::Error> {
        self.bus.read16(o)
    }
    fn read32(&mut self, o: u32) -> Result<u32, Self::Error> {
        self.bus.read32(o)
    }
    fn write8(&mut self, o: u32, v: u8) -> Result<(), Self::Error> {
        self.writes.push((o, 1, v.into()));
        self.bus.write8(o, v)
    }
    fn write16(&mut self, o: u32, v: u16) -> Result<(), Self::Error> {
        self.writes.push((o, 2, v.into()));
        self.bus.write16(o, v)
    }
    fn write32(&mut self, o: u32, v: u32) -> Result<(), Self::Error> {
        self.writes.push((o, 4, v));
        self.bus.write32(o, v)
    }
}

/// The values written to register `reg` (of any locality), in order.
#[must_use]
pub fn written(writes: &[Write], reg: u32) -> Vec<u32> {
    writes
        .iter()
        .filter(|w| w.0 & 0xFFF == reg)
        .map(|w| w.2)
        .collect()
}

/// What the FIFO driver promises for one command, from the writes it made: the TPM left
/// idle (commandReady the last STS write once STS was written at all), and the locality as
/// found: released at the end when the driver does not hold it, never released (only a
/// request withdrawn) when it does.
pub fn check_fifo_promise(writes: &[Write], holds: bool) {
    use tpm2_tis::regs::fifo::{ACCESS, STS, access, sts};
    let sts_writes = written(writes, STS);
    let access_writes = written(writes, ACCESS);
    if let Some(&last) = sts_writes.last() {
        assert_eq!(last, sts::COMMAND_READY, "TPM not left idle: {writes:x?}");
    }
    let release = u32::from(access::ACTIVE_LOCALITY);
    let requested = access_writes.contains(&u32::from(access::REQUEST_USE));
    if holds {
        for (i, &v) in access_writes.iter().enumerate() {
            if v == release {
                assert!(
                    access_writes[..i].contains(&u32::from(access::REQUEST_USE)),
                    "held locality released: {writes:x?}"
                );
            }
        }
    } else if requested || !sts_writes.is_empty() {
        assert_eq!(
            access_writes.last(),
            Some(&release),
            "locality not released: {writes:x?}"
        );
    }
}

/// What the CRB driver promises for one command: goIdle the last CTRL_REQ write once
/// cmdReady was written, CANCEL cleared once set, and the locality as found.
pub fn check_crb_promise(writes: &[Write], holds: bool) {
    use tpm2_crb::regs::{CTRL_CANCEL, CTRL_REQ, LOC_CTRL, ctrl_req, loc_ctrl};
    let req = written(writes, CTRL_REQ);
    if req.contains(&ctrl_req::CMD_READY) {
        assert_eq!(
            req.last(),
            Some(&ctrl_req::GO_IDLE),
            "not idle: {writes:x?}"
        );
    }
    let cancel = written(writes, CTRL_CANCEL);
    if cancel.contains(&1) {
        assert_eq!(cancel.last(), Some(&0), "CANCEL left set: {writes:x?}");
    }
    let loc = written(writes, LOC_CTRL);
    if holds {
        for (i, &v) in loc.iter().enumerate() {
            if v == loc_ctrl::RELINQUISH {
                assert!(
                    loc[..i].contains(&loc_ctrl::REQUEST_ACCESS),
                    "held locality relinquished: {writes:x?}"
                );
            }
        }
    } else if !req.is_empty() || loc.contains(&loc_ctrl::REQUEST_ACCESS) {
        assert_eq!(
            loc.last(),
            Some(&loc_ctrl::RELINQUISH),
            "locality not relinquished: {writes:x?}"
        );
    }
}

/// Answers each command with the next fuzzer-chosen frame: a big-endian u16 length, then
/// that many bytes (fewer at the end of the data). Multi-command flows (capability paging,
/// chunked NV reads, EK provisioning) see a different answer at every step; once the data
/// runs out every command gets the last frame again.
#[derive(Debug)]
pub struct Script<'a> {
    data: &'a [u8],
    last: &'a [u8],
}

impl<'a> Script<'a> {
    /// A script over `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, last: &[] }
    }

    fn next_frame(&mut self) -> &'a [u8] {
        if let Some((len, rest)) = self.data.split_first_chunk::<2>() {
            let n = usize::from(u16::from_be_bytes(*len)).min(rest.len());
            let (frame, rest) = rest.split_at(n);
            self.data = rest;
            self.last = frame;
        }
        self.last
    }
}

impl Transport for Script<'_> {
    type Error = Never;
    fn transact<'b>(&mut self, buf: &'b mut [u8], _: usize) -> Result<&'b [u8], Never> {
        let frame = self.next_frame();
        let n = frame.len().min(buf.len());
        buf[..n].copy_from_slice(&frame[..n]);
        Ok(&buf[..n])
    }
}

/// A byte stream whose reads return fuzzer bytes and whose writes go nowhere: the peer of
/// the host transports' frame readers.
#[derive(Debug)]
pub struct ByteStream(pub std::io::Cursor<Vec<u8>>);

impl ByteStream {
    /// A stream reading `data`.
    #[must_use]
    pub fn new(data: &[u8]) -> Self {
        Self(std::io::Cursor::new(data.to_vec()))
    }
}

impl std::io::Read for ByteStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::io::Write for ByteStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tpm2_cmds::host::Stream for ByteStream {
    fn set_read_deadline(&mut self, _: std::time::Duration) -> std::io::Result<()> {
        Ok(())
    }
}
