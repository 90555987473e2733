//! The TCG reference simulator's TCP protocol ("mssim"): a TPM port and, at port + 1, a
//! platform port for power and NV signals.

use core::net::SocketAddr;
use core::time::Duration;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Instant;

use tpm2_wire::{HEADER_LEN, Transport};

use super::{
    HostError, Reason, Stream, connect, deadline_ms, exchange_once, frame_size, io_reason, read_by,
};

const POWER_ON: u32 = 1;
const POWER_OFF: u32 = 2;
const NV_ON: u32 = 11;
const SEND_COMMAND: u32 = 8;
const SESSION_END: u32 = 20;

/// How long a platform signal may take to be acknowledged.
const PLATFORM_MS: u64 = 10_000;

/// A connection to a TCG reference simulator (or anything speaking its protocol), over TCP
/// by default or any pair of byte streams.
#[derive(Debug)]
pub struct Mssim<S: Stream = TcpStream> {
    /// `None` once a failure left the TPM stream in an unknown place.
    tpm: Option<S>,
    platform: S,
    locality: u8,
    peer: String,
    addr: Option<(SocketAddr, Duration)>,
    /// Added to each command's duration class to make its deadline.
    pub margin: Duration,
}

impl Mssim {
    /// Connects to the TPM port `addr` (a host name is resolved) and the platform port
    /// after it, each giving up after `connect_timeout`. Each response must then arrive
    /// within its command's duration class plus [`Mssim::margin`] (one second).
    pub fn connect(addr: impl ToSocketAddrs, connect_timeout: Duration) -> Result<Self, HostError> {
        let (tpm, platform, addr) = Self::open(addr, connect_timeout)?;
        let mut link = Self::from_streams(tpm, platform);
        link.peer = format!("mssim {addr}");
        link.addr = Some((addr, connect_timeout));
        Ok(link)
    }

    fn open(
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> Result<(TcpStream, TcpStream, SocketAddr), HostError> {
        let fail = |(peer, r)| HostError::new(format!("mssim {peer}"), r);
        let tpm = connect(addr, timeout).map_err(fail)?;
        let addr = tpm
            .peer_addr()
            .map_err(|e| HostError::new("mssim", Reason::Connect(e)))?;
        let mut platform_addr = addr;
        platform_addr.set_port(addr.port().wrapping_add(1));
        let platform = connect(platform_addr, timeout).map_err(fail)?;
        Ok((tpm, platform, addr))
    }

    /// Connects again after a failure made the TPM stream unusable.
    pub fn reconnect(&mut self) -> Result<(), HostError> {
        let Some((addr, timeout)) = self.addr else {
            return Err(self.error(Reason::Broken));
        };
        self.tpm = None;
        let (tpm, platform, _) = Self::open(addr, timeout)?;
        self.tpm = Some(tpm);
        self.platform = platform;
        Ok(())
    }
}

impl<S: Stream> Mssim<S> {
    /// Speaks the protocol over already-open streams: the TPM port and the platform port.
    pub fn from_streams(tpm: S, platform: S) -> Self {
        Self {
            tpm: Some(tpm),
            platform,
            locality: 0,
            peer: String::from("mssim"),
            addr: None,
            margin: Duration::from_secs(1),
        }
    }

    fn error(&self, reason: Reason) -> HostError {
        HostError::new(self.peer.clone(), reason)
    }

    /// Sends a platform signal and checks its acknowledgement.
    pub fn platform(&mut self, signal: u32) -> Result<(), HostError> {
        let deadline = Instant::now() + Duration::from_millis(PLATFORM_MS);
        let mut ack = [0u8; 4];
        let sent = self
            .platform
            .write_all(&signal.to_be_bytes())
            .map_err(|e| io_reason(e, PLATFORM_MS))
            .and_then(|()| read_by(&mut self.platform, &mut ack, deadline, PLATFORM_MS));
        match sent.map(|()| u32::from_be_bytes(ack)) {
            Ok(0) => Ok(()),
            Ok(other) => Err(self.error(Reason::BadAck(other))),
            Err(r) => Err(self.error(r)),
        }
    }

    /// Powers the simulator on and turns its NV on, as tpm2-tss does at start; TPM2_Startup
    /// is still the caller's.
    pub fn power_on(&mut self) -> Result<(), HostError> {
        self.platform(POWER_ON)?;
        self.platform(NV_ON)
    }

    /// Power-cycles the simulator (off, on, NV on): its state is then that of a reboot, and
    /// TPM2_Startup is needed again.
    pub fn power_cycle(&mut self) -> Result<(), HostError> {
        self.platform(POWER_OFF)?;
        self.power_on()
    }

    /// The locality sent with each command.
    pub fn set_locality(&mut self, locality: u8) {
        self.locality = locality;
    }

    fn exchange<'b>(
        tpm: &mut S,
        locality: u8,
        buf: &'b mut [u8],
        command_len: usize,
        margin: Duration,
    ) -> Result<&'b [u8], Reason> {
        let command = buf.get(..command_len).unwrap_or_default();
        let ms = deadline_ms(command, margin);
        let deadline = Instant::now() + Duration::from_millis(ms);
        let len = u32::try_from(command.len()).unwrap_or(u32::MAX);
        let mut prefix = [0u8; 9];
        prefix[..4].copy_from_slice(&SEND_COMMAND.to_be_bytes());
        prefix[4] = locality;
        prefix[5..].copy_from_slice(&len.to_be_bytes());
        tpm.write_all(&prefix).map_err(|e| io_reason(e, ms))?;
        tpm.write_all(command).map_err(|e| io_reason(e, ms))?;
        let mut word = [0u8; 4];
        read_by(tpm, &mut word, deadline, ms)?;
        let size = u32::from_be_bytes(word);
        if size == 0 {
            read_by(tpm, &mut word, deadline, ms)?;
            return Err(Reason::PoweredOff);
        }
        let capacity = buf.len();
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if len > capacity {
            return Err(Reason::ResponseTooLarge { size, capacity });
        }
        let frame = buf.get_mut(..len).unwrap_or_default();
        read_by(tpm, frame, deadline, ms)?;
        if len < HEADER_LEN || frame_size(frame, capacity)? != len {
            return Err(Reason::Malformed(tpm2_wire::WireError::SizeMismatch {
                declared: size,
                actual: len,
            }));
        }
        read_by(tpm, &mut word, deadline, ms)?;
        match u32::from_be_bytes(word) {
            0 => Ok(buf.get(..len).unwrap_or_default()),
            other => Err(Reason::BadAck(other)),
        }
    }
}

impl<S: Stream> Transport for Mssim<S> {
    type Error = HostError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], HostError> {
        let (locality, margin) = (self.locality, self.margin);
        exchange_once(&mut self.tpm, &self.peer, |tpm| {
            Self::exchange(tpm, locality, buf, command_len, margin)
        })
    }
}

impl<S: Stream> Drop for Mssim<S> {
    fn drop(&mut self) {
        // TPM_SESSION_END on both sockets; the simulator does not answer it.
        if let Some(tpm) = &mut self.tpm {
            let _ = tpm.write_all(&SESSION_END.to_be_bytes());
        }
        let _ = self.platform.write_all(&SESSION_END.to_be_bytes());
    }
}
