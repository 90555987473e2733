//! swtpm's socket interface: raw command frames on the server socket, and the control
//! channel for initialisation and locality.

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Instant;

use tpm2_wire::Transport;

use super::{
    HostError, Reason, Stream, connect, deadline_ms, exchange_once, io_reason, read_frame,
};

/// swtpm control command CMD_INIT.
const CMD_INIT: u32 = 0x02;
/// swtpm control command CMD_SET_LOCALITY.
const CMD_SET_LOCALITY: u32 = 0x05;

/// A connection to `swtpm socket --server type=tcp,...` (or any stream speaking its
/// protocol): commands are sent as raw frames.
#[derive(Debug)]
pub struct Swtpm<S: Stream = TcpStream> {
    stream: Option<S>,
    /// Where to connect again, for TCP.
    addr: Option<(SocketAddr, Duration)>,
    /// `swtpm ADDR`, for errors.
    peer: String,
    /// Added to each command's duration class to make its deadline.
    pub margin: Duration,
}

impl<S: Stream> Swtpm<S> {
    /// Speaks the protocol over an already-open stream.
    pub fn from_stream(stream: S) -> Self {
        Self {
            stream: Some(stream),
            addr: None,
            peer: String::from("swtpm"),
            margin: Duration::from_secs(1),
        }
    }

    fn error(&self, reason: Reason) -> HostError {
        HostError::new(self.peer.clone(), reason)
    }
}

impl Swtpm {
    /// Connects to swtpm's server socket (a host name is resolved), giving up after
    /// `connect_timeout`. Each response must then arrive within its command's duration
    /// class plus [`Swtpm::margin`] (one second).
    pub fn connect(addr: impl ToSocketAddrs, connect_timeout: Duration) -> Result<Self, HostError> {
        let stream = connect(addr, connect_timeout)
            .map_err(|(peer, r)| HostError::new(format!("swtpm {peer}"), r))?;
        let addr = stream
            .peer_addr()
            .map_err(|e| HostError::new("swtpm", Reason::Connect(e)))?;
        let mut link = Self::from_stream(stream);
        link.peer = format!("swtpm {addr}");
        link.addr = Some((addr, connect_timeout));
        Ok(link)
    }

    /// Connects again after a failure made the stream unusable.
    pub fn reconnect(&mut self) -> Result<(), HostError> {
        let Some((addr, timeout)) = self.addr else {
            return Err(self.error(Reason::Broken));
        };
        self.stream = None;
        let stream = connect(addr, timeout).map_err(|(_, r)| self.error(r))?;
        self.stream = Some(stream);
        Ok(())
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
    let timeout = Duration::from_secs(10);
    let mut ctrl = connect(addr, timeout)
        .map_err(|(peer, r)| HostError::new(format!("swtpm control {peer}"), r))?;
    let peer = format!(
        "swtpm control {}",
        ctrl.peer_addr().map(|a| a.to_string()).unwrap_or_default()
    );
    let io = |e| HostError::new(peer.clone(), io_reason(e, 10_000));
    ctrl.set_read_timeout(Some(timeout)).map_err(io)?;
    ctrl.write_all(&command.to_be_bytes()).map_err(io)?;
    ctrl.write_all(payload).map_err(io)?;
    let mut result = [0u8; 4];
    ctrl.read_exact(&mut result).map_err(io)?;
    match u32::from_be_bytes(result) {
        0 => Ok(()),
        other => Err(HostError::new(peer, Reason::BadAck(other))),
    }
}

impl<S: Stream> Transport for Swtpm<S> {
    type Error = HostError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], HostError> {
        let margin = self.margin;
        exchange_once(&mut self.stream, &self.peer, |stream| {
            let command = buf.get(..command_len).unwrap_or_default();
            let ms = deadline_ms(command, margin);
            let deadline = Instant::now() + Duration::from_millis(ms);
            stream.write_all(command).map_err(|e| io_reason(e, ms))?;
            read_frame(stream, buf, deadline, ms)
        })
    }
}
