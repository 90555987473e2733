//! The CRB driver's error, and which wait expired.

use core::fmt;

use tpm2_wire::{TransportError, TransportErrorKind, WireError};

/// Which bounded wait expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Wait {
    /// LOC_STS.Granted after requestAccess (TIMEOUT_A).
    Locality,
    /// CTRL_REQ.cmdReady to clear and CTRL_STS.tpmIdle to drop, on all three attempts
    /// (TIMEOUT_C each).
    CmdReady,
    /// CTRL_START to clear (the command's duration).
    CommandCompletion,
    /// CTRL_START to clear after a cancel (TIMEOUT_B).
    Cancel,
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Locality => "LOC_STS.Granted (TIMEOUT_A)",
            Self::CmdReady => "cmdReady acknowledged (TIMEOUT_C, 3 attempts)",
            Self::CommandCompletion => "CTRL_START cleared (command duration)",
            Self::Cancel => "CTRL_START cleared after cancel (TIMEOUT_B)",
        })
    }
}

/// Why the CRB driver failed. After any of these the driver has asked the TPM to go idle and
/// relinquished the locality, where it held them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CrbError<E> {
    /// The register bus failed.
    Bus(E),
    /// No TPM answers at this address.
    NoTpm,
    /// The TPM does not use the CRB interface: drive it with `tpm2-tis`.
    NotCrb,
    /// A bounded wait expired.
    Timeout(Wait),
    /// The locality was not granted.
    LocalityNotGranted,
    /// CTRL_STS.tpmSts is set: the TPM is in a fatal error state and needs a reset.
    TpmFatal,
    /// An advertised buffer lies neither inside locality 0's data buffer in the register
    /// window nor inside the configured buffer window. Normal on AMD fTPM (buffers in
    /// reserved RAM): map the buffers as a second window (`Config::buffer_window`).
    BufferOutsideWindow {
        /// The buffer's physical address.
        address: u64,
        /// Its size.
        size: u32,
    },
    /// The command and response buffers overlap without being the same buffer.
    OverlappingBuffers,
    /// The command is shorter than a header or larger than the command buffer; nothing was
    /// written to the TPM.
    CommandTooLarge {
        /// The command's length.
        len: usize,
        /// The command buffer's size.
        max: u32,
    },
    /// The response header announces more bytes than fit.
    ResponseTooLarge {
        /// The announced size.
        size: u32,
        /// The room available (the caller's buffer or the response buffer).
        capacity: usize,
    },
    /// The TPM is a TPM 1.2.
    Tpm12,
    /// The ACPI start function reported failure (StartMethod ACPI Start).
    AcpiStartFailed,
    /// The response header is invalid.
    BadResponse(WireError),
}

impl<E: fmt::Debug> fmt::Display for CrbError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bus(e) => write!(f, "register bus error: {e:?}"),
            Self::NoTpm => f.write_str("no TPM at this address (registers read all-ones)"),
            Self::NotCrb => f.write_str("the TPM uses the FIFO interface, not CRB"),
            Self::Timeout(w) => write!(f, "timed out waiting for {w}"),
            Self::LocalityNotGranted => f.write_str("locality 0 not granted"),
            Self::TpmFatal => f.write_str("CTRL_STS.tpmSts: the TPM reports a fatal error"),
            Self::BufferOutsideWindow { address, size } => write!(
                f,
                "buffer at {address:#x} of {size} bytes lies outside the register window \
                 and any configured buffer window"
            ),
            Self::OverlappingBuffers => f.write_str(
                "command and response buffers overlap with different sizes (firmware bug)",
            ),
            Self::CommandTooLarge { len, max } => {
                write!(
                    f,
                    "command of {len} bytes does not fit the {max}-byte command buffer"
                )
            }
            Self::ResponseTooLarge { size, capacity } => {
                write!(
                    f,
                    "response of {size} bytes exceeds the {capacity} bytes available"
                )
            }
            Self::Tpm12 => f.write_str("the TPM answered with a TPM 1.2 response"),
            Self::AcpiStartFailed => f.write_str("the ACPI start method (_DSM) failed"),
            Self::BadResponse(e) => write!(f, "invalid response header: {e}"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for CrbError<E> {}

impl<E: fmt::Debug> TransportError for CrbError<E> {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::NoTpm => TransportErrorKind::NoDevice,
            Self::Timeout(_) | Self::LocalityNotGranted => TransportErrorKind::Timeout,
            Self::Tpm12 => TransportErrorKind::Tpm12,
            Self::Bus(_) => TransportErrorKind::Io,
            Self::CommandTooLarge { .. } | Self::ResponseTooLarge { .. } => {
                TransportErrorKind::TooLarge
            }
            _ => TransportErrorKind::Protocol,
        }
    }
}
