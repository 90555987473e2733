//! swtpm's socket interface: raw command frames on the server socket, and the control
//! channel for initialisation and locality.

use core::time::Duration;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use tpm2_wire::Transport;

use super::{HostError, read_frame};

/// swtpm control command CMD_INIT.
const CMD_INIT: u32 = 0x02;
/// swtpm control command CMD_SET_LOCALITY.
const CMD_SET_LOCALITY: u32 = 0x05;

/// A connection to `swtpm socket --server type=tcp,...`: commands are sent as raw frames.
#[derive(Debug)]
pub struct Swtpm {
    stream: TcpStream,
}

impl Swtpm {
    /// Connects to swtpm's server socket. Reads give up after `timeout`.
    pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> Result<Self, HostError> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Self { stream })
    }

    /// Sends CMD_INIT on swtpm's control socket (needed unless swtpm runs with
    /// `--flags not-need-init`).
    pub fn init(control: impl ToSocketAddrs) -> Result<(), HostError> {
        control_command(control, CMD_INIT, &0u32.to_be_bytes())
    }

    /// Sets the locality of the following commands through the control socket.
    pub fn set_locality(control: impl ToSocketAddrs, locality: u8) -> Result<(), HostError> {
        control_command(control, CMD_SET_LOCALITY, &[locality])
    }
}

fn control_command(
    addr: impl ToSocketAddrs,
    command: u32,
    payload: &[u8],
) -> Result<(), HostError> {
    let mut ctrl = TcpStream::connect(addr)?;
    ctrl.set_read_timeout(Some(Duration::from_secs(10)))?;
    ctrl.write_all(&command.to_be_bytes())?;
    ctrl.write_all(payload)?;
    let mut result = [0u8; 4];
    ctrl.read_exact(&mut result)?;
    match u32::from_be_bytes(result) {
        0 => Ok(()),
        other => Err(HostError::BadAck(other)),
    }
}

impl Transport for Swtpm {
    type Error = HostError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], HostError> {
        self.stream
            .write_all(buf.get(..command_len).unwrap_or_default())?;
        read_frame(&mut self.stream, buf)
    }
}
