//! Host transports (feature `std`): Linux `/dev/tpmrm0`, the TCG reference simulator's mssim
//! TCP protocol, and swtpm's raw socket, and a [`StdDelay`] for the client's retries.
//!
//! Each validates the response size against its header and fails with a typed
//! [`HostError`] naming the peer. Every socket read has a deadline: the command's duration
//! class ([`tpm2_wire::command_duration_ms`]) plus a margin, never an unbounded wait. A
//! transport whose stream failed mid-frame (a timeout, a short or malformed response) is
//! never used again: a late answer would otherwise be taken for the next command's
//! response. It fails at once with [`Reason::Broken`] until reconnected.

mod device;
mod mssim;
mod swtpm;

use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;
use std::io::{self, Read};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Instant;

use embedded_hal::delay::DelayNs;
use tpm2_wire::{HEADER_LEN, Header, TransportError, TransportErrorKind, WireError};

pub use device::Device;
pub use mssim::Mssim;
pub use swtpm::Swtpm;

/// What went wrong, without the peer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Reason {
    /// The connection could not be made, or the device not opened.
    Connect(io::Error),
    /// The device or socket reported an error.
    Io(io::Error),
    /// No complete response within the command's deadline.
    Timeout {
        /// The deadline, in milliseconds.
        after_ms: u64,
    },
    /// The peer closed the connection, or the response ended early.
    Closed,
    /// An earlier failure left the stream in an unknown place: it is not used again.
    Broken,
    /// The response announces more bytes than the buffer holds.
    ResponseTooLarge {
        /// The announced size.
        size: u32,
        /// The buffer's size.
        capacity: usize,
    },
    /// The response frame is malformed (size field below 10, TPM 1.2 tag, ...).
    Malformed(WireError),
    /// The simulator answered with an empty response: it is powered off.
    PoweredOff,
    /// The simulator's acknowledgement was not 0.
    BadAck(u32),
}

/// Why a host transport failed, and at which peer (`swtpm 127.0.0.1:2321`, `/dev/tpmrm0`).
#[derive(Debug)]
pub struct HostError {
    peer: String,
    reason: Reason,
}

impl HostError {
    /// A failure at `peer`.
    #[must_use]
    pub fn new(peer: impl Into<String>, reason: Reason) -> Self {
        Self {
            peer: peer.into(),
            reason,
        }
    }

    /// The peer.
    #[must_use]
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// What went wrong.
    #[must_use]
    pub const fn reason(&self) -> &Reason {
        &self.reason
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect: {e}"),
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Timeout { after_ms } => {
                write!(f, "no complete response within {after_ms} ms")
            }
            Self::Closed => f.write_str("the connection closed before the response was complete"),
            Self::Broken => {
                f.write_str("an earlier failure left the connection in an unknown state; reconnect")
            }
            Self::ResponseTooLarge { size, capacity } => {
                write!(
                    f,
                    "response of {size} bytes exceeds the {capacity}-byte buffer"
                )
            }
            Self::Malformed(e) => write!(f, "malformed response: {e}"),
            Self::PoweredOff => f.write_str("empty response: the simulator is powered off"),
            Self::BadAck(v) => write!(f, "simulator acknowledged with {v:#x}, expected 0"),
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.peer, self.reason)
    }
}

impl core::error::Error for HostError {}

impl TransportError for HostError {
    fn kind(&self) -> TransportErrorKind {
        match &self.reason {
            Reason::Timeout { .. } => TransportErrorKind::Timeout,
            Reason::Io(_) => TransportErrorKind::Io,
            Reason::Connect(_) | Reason::Closed | Reason::PoweredOff | Reason::Broken => {
                TransportErrorKind::NoDevice
            }
            Reason::ResponseTooLarge { .. } => TransportErrorKind::TooLarge,
            Reason::Malformed(WireError::Tpm12Response { .. }) => TransportErrorKind::Tpm12,
            Reason::Malformed(_) | Reason::BadAck(_) => TransportErrorKind::Protocol,
        }
    }
}

/// Runs one exchange on the stream in `slot`. The stream is taken out for it and put back
/// only when the exchange ended at a frame boundary (a complete response, or a powered-off
/// simulator's complete empty answer): after any other failure the slot stays empty and
/// every later exchange fails at once with [`Reason::Broken`].
fn exchange_once<S, T>(
    slot: &mut Option<S>,
    peer: &str,
    exchange: impl FnOnce(&mut S) -> Result<T, Reason>,
) -> Result<T, HostError> {
    let Some(mut stream) = slot.take() else {
        return Err(HostError::new(peer, Reason::Broken));
    };
    let result = exchange(&mut stream);
    if matches!(result, Ok(_) | Err(Reason::PoweredOff)) {
        *slot = Some(stream);
    }
    result.map_err(|r| HostError::new(peer, r))
}

/// An I/O error as a reason: end of stream is `Closed`, a read timeout (`EAGAIN` /
/// `EWOULDBLOCK` or `ETIMEDOUT`) is `Timeout`.
fn io_reason(e: io::Error, deadline_ms: u64) -> Reason {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Reason::Closed,
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Reason::Timeout {
            after_ms: deadline_ms,
        },
        _ => Reason::Io(e),
    }
}

/// A byte stream whose reads can be given a deadline: TCP sockets, and in-memory streams in
/// tests (which never block).
pub trait Stream: Read + io::Write {
    /// Makes reads give up after `left` (at least a millisecond).
    fn set_read_deadline(&mut self, left: Duration) -> io::Result<()>;
}

impl Stream for TcpStream {
    fn set_read_deadline(&mut self, left: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(left.max(Duration::from_millis(1))))
    }
}

/// A command's deadline: its duration class plus `margin`.
fn deadline_ms(command: &[u8], margin: Duration) -> u64 {
    let class = Header::parse(command).map_or(120_000, |h| {
        tpm2_wire::command_duration_ms(h.code.get().into())
    });
    u64::from(class).saturating_add(u64::try_from(margin.as_millis()).unwrap_or(u64::MAX))
}

/// Reads exactly `buf.len()` bytes before `deadline`.
fn read_by<S: Stream>(
    stream: &mut S,
    buf: &mut [u8],
    deadline: Instant,
    deadline_ms: u64,
) -> Result<(), Reason> {
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Reason::Timeout {
                after_ms: deadline_ms,
            });
        }
        stream
            .set_read_deadline(left)
            .map_err(|e| io_reason(e, deadline_ms))?;
        match stream.read(rest) {
            Ok(0) => return Err(Reason::Closed),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_reason(e, deadline_ms)),
        }
    }
    Ok(())
}

/// Checks a response header against the room in `buf` and returns the frame size.
fn frame_size(header: &[u8], capacity: usize) -> Result<usize, Reason> {
    Header::response_size(header, capacity).map_err(|e| match e {
        WireError::SizeMismatch { declared, actual } => Reason::ResponseTooLarge {
            size: declared,
            capacity: actual,
        },
        other => Reason::Malformed(other),
    })
}

/// Reads one response frame from a stream before `deadline`: the header, then the rest it
/// announces.
fn read_frame<'b, S: Stream>(
    stream: &mut S,
    buf: &'b mut [u8],
    deadline: Instant,
    deadline_ms: u64,
) -> Result<&'b [u8], Reason> {
    let capacity = buf.len();
    let header = buf
        .get_mut(..HEADER_LEN)
        .ok_or(Reason::ResponseTooLarge { size: 10, capacity })?;
    read_by(stream, header, deadline, deadline_ms)?;
    let size = frame_size(header, capacity)?;
    let body = buf.get_mut(HEADER_LEN..size).unwrap_or_default();
    read_by(stream, body, deadline, deadline_ms)?;
    Ok(buf.get(..size).unwrap_or_default())
}

/// Connects to the first address `addr` resolves to that answers within `timeout`; host
/// names are resolved (`localhost:2321`).
fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> Result<TcpStream, (String, Reason)> {
    let addrs: Vec<SocketAddr> = match addr.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => return Err((String::from("?"), Reason::Connect(e))),
    };
    let mut last = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some((a.to_string(), Reason::Connect(e))),
        }
    }
    Err(last.unwrap_or_else(|| {
        (
            String::from("?"),
            Reason::Connect(io::Error::new(
                io::ErrorKind::NotFound,
                "the address resolves to nothing",
            )),
        )
    }))
}

/// A [`DelayNs`] that sleeps the thread, for the client's retry pauses on a host.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdDelay;

impl DelayNs for StdDelay {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(ns.into()));
    }
}
