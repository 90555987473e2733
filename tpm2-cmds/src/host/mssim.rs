//! The TCG reference simulator's TCP protocol ("mssim"): a TPM port and, at port + 1, a
//! platform port for power and NV signals.

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{Read, Write};
use std::net::TcpStream;

use tpm2_wire::{HEADER_LEN, Transport};

use super::{HostError, frame_size};

const POWER_ON: u32 = 1;
const NV_ON: u32 = 11;
const SEND_COMMAND: u32 = 8;
const SESSION_END: u32 = 20;

/// A connection to a TCG reference simulator (or anything speaking its protocol), over TCP
/// by default or any pair of byte streams.
#[derive(Debug)]
pub struct Mssim<S: Read + Write = TcpStream> {
    tpm: S,
    platform: S,
    locality: u8,
}

fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, HostError> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

impl Mssim {
    /// Connects to the TPM port `addr` and the platform port after it.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self, HostError> {
        let mut platform_addr = addr;
        platform_addr.set_port(addr.port().wrapping_add(1));
        Ok(Self::from_streams(
            connect(addr, timeout)?,
            connect(platform_addr, timeout)?,
        ))
    }
}

impl<S: Read + Write> Mssim<S> {
    /// Speaks the protocol over already-open streams: the TPM port and the platform port.
    pub fn from_streams(tpm: S, platform: S) -> Self {
        Self {
            tpm,
            platform,
            locality: 0,
        }
    }

    /// Sends a platform signal and checks its acknowledgement.
    pub fn platform(&mut self, signal: u32) -> Result<(), HostError> {
        self.platform.write_all(&signal.to_be_bytes())?;
        let mut ack = [0u8; 4];
        self.platform.read_exact(&mut ack)?;
        match u32::from_be_bytes(ack) {
            0 => Ok(()),
            other => Err(HostError::BadAck(other)),
        }
    }

    /// Powers the simulator on and turns its NV on, as tpm2-tss does at start; TPM2_Startup
    /// is still the caller's.
    pub fn power_on(&mut self) -> Result<(), HostError> {
        self.platform(POWER_ON)?;
        self.platform(NV_ON)
    }

    /// The locality sent with each command.
    pub fn set_locality(&mut self, locality: u8) {
        self.locality = locality;
    }
}

impl<S: Read + Write> Transport for Mssim<S> {
    type Error = HostError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], HostError> {
        let command = buf.get(..command_len).unwrap_or_default();
        let len = u32::try_from(command.len()).unwrap_or(u32::MAX);
        let mut prefix = [0u8; 9];
        prefix[..4].copy_from_slice(&SEND_COMMAND.to_be_bytes());
        prefix[4] = self.locality;
        prefix[5..].copy_from_slice(&len.to_be_bytes());
        self.tpm.write_all(&prefix)?;
        self.tpm.write_all(command)?;
        let mut word = [0u8; 4];
        self.tpm.read_exact(&mut word)?;
        let size = u32::from_be_bytes(word);
        if size == 0 {
            self.tpm.read_exact(&mut word)?;
            return Err(HostError::PoweredOff);
        }
        let capacity = buf.len();
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if len > capacity {
            return Err(HostError::ResponseTooLarge { size, capacity });
        }
        let frame = buf.get_mut(..len).unwrap_or_default();
        self.tpm.read_exact(frame)?;
        if len < HEADER_LEN || frame_size(frame, capacity)? != len {
            return Err(HostError::Malformed(tpm2_wire::WireError::SizeMismatch {
                declared: size,
                actual: len,
            }));
        }
        self.tpm.read_exact(&mut word)?;
        match u32::from_be_bytes(word) {
            0 => Ok(buf.get(..len).unwrap_or_default()),
            other => Err(HostError::BadAck(other)),
        }
    }
}

impl<S: Read + Write> Drop for Mssim<S> {
    fn drop(&mut self) {
        // TPM_SESSION_END on both sockets; the simulator does not answer it.
        let _ = self.tpm.write_all(&SESSION_END.to_be_bytes());
        let _ = self.platform.write_all(&SESSION_END.to_be_bytes());
    }
}
