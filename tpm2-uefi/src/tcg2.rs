//! `EFI_TCG2_PROTOCOL.SubmitCommand` as a transport.

use core::fmt;

use tpm2_wire::{Header, Transport, TransportError, TransportErrorKind, WireError};
use uefi::Status;
use uefi::boot::{self, ScopedProtocol};
use uefi::proto::tcg::v2::Tcg;

/// The PC Client's largest response; the firmware may accept less.
const MAX_RESPONSE: usize = 4096;

/// The firmware's TPM, reached through `EFI_TCG2_PROTOCOL.SubmitCommand`.
///
/// The firmware takes the locality and drives the registers; this transport only copies
/// the command in and the response out (SubmitCommand returns no length: it comes from the
/// response header).
pub struct Tcg2 {
    protocol: ScopedProtocol<Tcg>,
    /// The largest output buffer the firmware accepts.
    max_response: usize,
    response: [u8; MAX_RESPONSE],
}

impl fmt::Debug for Tcg2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tcg2").finish_non_exhaustive()
    }
}

/// Why a SubmitCommand failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tcg2Error {
    /// The firmware has no EFI_TCG2_PROTOCOL (no TPM 2.0, or TPM support disabled).
    NoProtocol(Status),
    /// SubmitCommand returned an error status (EFI_DEVICE_ERROR: the TPM failed;
    /// EFI_INVALID_PARAMETER: a size the firmware refuses).
    Submit(Status),
    /// The command is shorter than a header or longer than the buffer.
    BadCommand {
        /// Its length.
        len: usize,
    },
    /// The response header is invalid or announces more bytes than fit.
    BadResponse(WireError),
}

impl Tcg2 {
    /// Opens the firmware's EFI_TCG2_PROTOCOL and reads the largest response it accepts a
    /// buffer for: EDK2's Tcg2Dxe refuses an output buffer larger than its MaxResponseSize
    /// (TPM_PT_MAX_RESPONSE_SIZE, 3968 bytes behind QEMU's CRB) with INVALID_PARAMETER.
    pub fn open() -> Result<Self, Tcg2Error> {
        let handle = boot::get_handle_for_protocol::<Tcg>()
            .map_err(|e| Tcg2Error::NoProtocol(e.status()))?;
        let mut protocol = boot::open_protocol_exclusive::<Tcg>(handle)
            .map_err(|e| Tcg2Error::NoProtocol(e.status()))?;
        let capability = protocol
            .get_capability()
            .map_err(|e| Tcg2Error::NoProtocol(e.status()))?;
        if !capability.tpm_present() {
            return Err(Tcg2Error::NoProtocol(Status::NOT_FOUND));
        }
        let max_response = match usize::from(capability.max_response_size) {
            0 => MAX_RESPONSE,
            n => n.min(MAX_RESPONSE),
        };
        Ok(Self {
            protocol,
            max_response,
            response: [0; MAX_RESPONSE],
        })
    }

    /// The largest response the firmware accepts a buffer for.
    #[must_use]
    pub const fn max_response(&self) -> usize {
        self.max_response
    }

    /// The protocol, for what this transport does not wrap (GetCapability, the event log).
    pub fn protocol(&mut self) -> &mut Tcg {
        &mut self.protocol
    }
}

impl Transport for Tcg2 {
    type Error = Tcg2Error;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], Tcg2Error> {
        let command = buf
            .get(..command_len)
            .filter(|c| c.len() >= tpm2_wire::HEADER_LEN)
            .ok_or(Tcg2Error::BadCommand { len: command_len })?;
        let out_len = self.max_response.min(buf.len());
        let out = self.response.get_mut(..out_len).unwrap_or_default();
        out.fill(0);
        self.protocol
            .submit_command(command, out)
            .map_err(|e| Tcg2Error::Submit(e.status()))?;
        let size = Header::response_size(out, out_len);
        let copied = size.inspect(|&size| {
            for (d, s) in buf.iter_mut().zip(out.iter()).take(size) {
                *d = *s;
            }
        });
        // The response may carry secrets (random bytes, unsealed data): none stay here.
        out.fill(0);
        let size = copied.map_err(Tcg2Error::BadResponse)?;
        buf.get(..size).ok_or(Tcg2Error::BadCommand { len: size })
    }
}

impl fmt::Display for Tcg2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoProtocol(s) => write!(f, "no EFI_TCG2_PROTOCOL: {s:?}"),
            Self::Submit(s) => write!(f, "EFI_TCG2_PROTOCOL.SubmitCommand failed: {s:?}"),
            Self::BadCommand { len } => write!(f, "invalid command of {len} bytes"),
            Self::BadResponse(e) => write!(f, "invalid response from the firmware: {e}"),
        }
    }
}

impl core::error::Error for Tcg2Error {}

impl TransportError for Tcg2Error {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::NoProtocol(_) => TransportErrorKind::NoDevice,
            Self::Submit(_) => TransportErrorKind::Io,
            Self::BadCommand { .. } => TransportErrorKind::TooLarge,
            Self::BadResponse(WireError::Tpm12Response { .. }) => TransportErrorKind::Tpm12,
            Self::BadResponse(_) => TransportErrorKind::Protocol,
        }
    }
}
