//! Host transports (feature `std`): Linux `/dev/tpmrm0`, the TCG reference simulator's mssim
//! TCP protocol, and swtpm's raw socket. Each validates the response size against its header
//! and fails with a typed error on short reads or closed connections.

mod device;
mod mssim;
mod swtpm;

use core::fmt;
use std::io::Read;

use tpm2_wire::{HEADER_LEN, Header, TransportError, TransportErrorKind, WireError};

pub use device::Device;
pub use mssim::Mssim;
pub use swtpm::Swtpm;

/// Why a host transport failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum HostError {
    /// The device or socket reported an error.
    Io(std::io::Error),
    /// The peer closed the connection, or the response ended early.
    Closed,
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

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Closed => f.write_str("the connection closed before the response was complete"),
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

impl core::error::Error for HostError {}

impl From<std::io::Error> for HostError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Self::Closed
        } else {
            Self::Io(e)
        }
    }
}

impl TransportError for HostError {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
            Self::Io(_) => TransportErrorKind::Io,
            Self::Closed | Self::PoweredOff => TransportErrorKind::NoDevice,
            Self::ResponseTooLarge { .. } => TransportErrorKind::TooLarge,
            Self::Malformed(WireError::Tpm12Response { .. }) => TransportErrorKind::Tpm12,
            Self::Malformed(_) | Self::BadAck(_) => TransportErrorKind::Protocol,
        }
    }
}

/// Checks a response header against the room in `buf` and returns the frame size.
fn frame_size(header: &[u8], capacity: usize) -> Result<usize, HostError> {
    Header::response_size(header, capacity).map_err(|e| match e {
        WireError::SizeMismatch { declared, actual } => HostError::ResponseTooLarge {
            size: declared,
            capacity: actual,
        },
        other => HostError::Malformed(other),
    })
}

/// Reads one response frame from a stream: the header, then the rest it announces.
fn read_frame<'b>(stream: &mut impl Read, buf: &'b mut [u8]) -> Result<&'b [u8], HostError> {
    let capacity = buf.len();
    let header = buf
        .get_mut(..HEADER_LEN)
        .ok_or(HostError::ResponseTooLarge { size: 10, capacity })?;
    stream.read_exact(header)?;
    let size = frame_size(header, capacity)?;
    stream.read_exact(buf.get_mut(HEADER_LEN..size).unwrap_or_default())?;
    Ok(buf.get(..size).unwrap_or_default())
}
