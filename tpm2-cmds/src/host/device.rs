//! The Linux TPM character devices: `/dev/tpmrm0` (through the kernel's resource manager) and
//! `/dev/tpm0`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use tpm2_wire::Transport;

use super::{HostError, frame_size};

/// A TPM character device. One write sends a command; one read returns the whole response.
#[derive(Debug)]
pub struct Device {
    file: File,
}

impl Device {
    /// Opens `path` (usually `/dev/tpmrm0`) for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, HostError> {
        Ok(Self {
            file: OpenOptions::new().read(true).write(true).open(path)?,
        })
    }
}

impl Transport for Device {
    type Error = HostError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], HostError> {
        self.file
            .write_all(buf.get(..command_len).unwrap_or_default())?;
        let n = self.file.read(buf)?;
        let size = frame_size(buf.get(..n).unwrap_or_default(), buf.len())?;
        if size != n {
            return Err(HostError::Closed);
        }
        Ok(buf.get(..n).unwrap_or_default())
    }
}
