//! The Linux TPM character devices: `/dev/tpmrm0` (through the kernel's resource manager) and
//! `/dev/tpm0`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use tpm2_wire::Transport;

use super::{HostError, Reason, exchange_once, frame_size};

/// A TPM character device. One write sends a command; one read returns the whole response
/// (the kernel driver enforces the command's deadline).
#[derive(Debug)]
pub struct Device {
    /// `None` once a short or malformed response left the device in an unknown state.
    file: Option<File>,
    path: String,
}

impl Device {
    /// Opens `path` (usually `/dev/tpmrm0`) for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, HostError> {
        let name = path.as_ref().display().to_string();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| HostError::new(name.clone(), Reason::Connect(e)))?;
        Ok(Self {
            file: Some(file),
            path: name,
        })
    }

    fn exchange<'b>(file: &mut File, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], Reason> {
        file.write_all(buf.get(..len).unwrap_or_default())
            .map_err(Reason::Io)?;
        let n = file.read(buf).map_err(Reason::Io)?;
        let size = frame_size(buf.get(..n).unwrap_or_default(), buf.len())?;
        if size != n {
            return Err(Reason::Closed);
        }
        Ok(buf.get(..n).unwrap_or_default())
    }
}

impl Transport for Device {
    type Error = HostError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], HostError> {
        exchange_once(&mut self.file, &self.path, |file| {
            Self::exchange(file, buf, command_len)
        })
    }
}
