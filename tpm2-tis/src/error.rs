//! The FIFO driver's error, and which wait expired.

use core::fmt;

use tpm2_wire::{TransportError, TransportErrorKind, WireError};

/// Which bounded wait expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Wait {
    /// ACCESS.tpmRegValidSts (TIMEOUT_A).
    AccessValid,
    /// The locality to be granted (TIMEOUT_A).
    Locality,
    /// STS.commandReady after writing commandReady (TIMEOUT_B).
    CommandReady,
    /// A non-zero burstCount (TIMEOUT_A).
    BurstCount,
    /// STS.stsValid after a transfer (TIMEOUT_C).
    StsValid,
    /// The command to complete (its duration), then the cancel to take effect (TIMEOUT_B).
    CommandCompletion,
    /// STS.dataAvail while reading the response (TIMEOUT_C).
    DataAvail,
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AccessValid => "ACCESS.tpmRegValidSts (TIMEOUT_A)",
            Self::Locality => "locality grant (TIMEOUT_A)",
            Self::CommandReady => "STS.commandReady (TIMEOUT_B)",
            Self::BurstCount => "non-zero burstCount (TIMEOUT_A)",
            Self::StsValid => "STS.stsValid (TIMEOUT_C)",
            Self::CommandCompletion => "command completion (command duration)",
            Self::DataAvail => "STS.dataAvail (TIMEOUT_C)",
        })
    }
}

/// Why the FIFO driver failed. After any of these the driver has written commandReady (if it
/// held the TPM) and released its locality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TisError<E> {
    /// The register bus failed.
    Bus(E),
    /// No TPM answers at this address (ACCESS reads 0xFF, or every ID register all-ones).
    NoTpm,
    /// INTERFACE_ID names a reserved interface type.
    UnknownInterface(u8),
    /// The TPM uses the CRB interface: drive it with `tpm2-crb`.
    NotFifo,
    /// The TPM is a TPM 1.2 (STS.tpmFamily 00, or a TPM 1.2 response tag).
    Tpm12,
    /// A locality above 4 was asked for.
    InvalidLocality(u8),
    /// A bounded wait expired.
    Timeout(Wait),
    /// The locality was requested but another locality kept the TPM.
    LocalityNotGranted {
        /// The locality requested.
        locality: u8,
    },
    /// A higher locality seized the TPM during the command.
    LocalitySeized {
        /// The locality that lost the TPM.
        locality: u8,
    },
    /// STS read all-ones or with must-be-zero bits set: the locality is not active or the
    /// bus floats.
    InvalidStatus(u32),
    /// STS.Expect had the wrong value after sending (`expected` is what it should have been),
    /// on every attempt.
    ExpectMismatch {
        /// The Expect value the protocol requires at that point.
        expected: bool,
        /// How many command bytes had been written.
        sent: usize,
    },
    /// The command is shorter than a header, longer than the buffer, or its header's
    /// commandSize is not its length; nothing was written to the FIFO.
    BadCommand {
        /// Its length.
        len: usize,
    },
    /// The response header announces more bytes than the caller's buffer holds.
    ResponseTooLarge {
        /// The announced size.
        size: u32,
        /// The buffer's size.
        capacity: usize,
    },
    /// The response was inconsistent (dataAvail dropped early or stayed set after the last
    /// byte) on every attempt, including the responseRetry ones.
    ResponseTransfer,
    /// The response header is invalid.
    BadResponse(WireError),
}

impl<E: fmt::Debug> fmt::Display for TisError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bus(e) => write!(f, "register bus error: {e:?}"),
            Self::NoTpm => f.write_str("no TPM at this address (registers read all-ones)"),
            Self::UnknownInterface(t) => write!(f, "reserved interface type {t:#x}"),
            Self::NotFifo => f.write_str("the TPM uses the CRB interface, not the FIFO"),
            Self::Tpm12 => f.write_str("the TPM is a TPM 1.2; TPM 2.0 is required"),
            Self::InvalidLocality(l) => write!(f, "locality {l} does not exist (0..=4)"),
            Self::Timeout(w) => write!(f, "timed out waiting for {w}"),
            Self::LocalityNotGranted { locality } => {
                write!(
                    f,
                    "locality {locality} not granted: another locality holds the TPM"
                )
            }
            Self::LocalitySeized { locality } => {
                write!(f, "locality {locality} was seized by a higher locality")
            }
            Self::InvalidStatus(s) => write!(f, "invalid STS value {s:#010x}"),
            Self::ExpectMismatch { expected, sent } => write!(
                f,
                "STS.Expect was {} after {sent} command bytes",
                if *expected {
                    "0, expected 1"
                } else {
                    "1, expected 0"
                }
            ),
            Self::BadCommand { len } => write!(f, "invalid command of {len} bytes"),
            Self::ResponseTooLarge { size, capacity } => {
                write!(
                    f,
                    "response of {size} bytes exceeds the {capacity}-byte buffer"
                )
            }
            Self::ResponseTransfer => {
                f.write_str("response transfer failed after every responseRetry")
            }
            Self::BadResponse(e) => write!(f, "invalid response header: {e}"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for TisError<E> {}

impl<E: fmt::Debug> TransportError for TisError<E> {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::NoTpm => TransportErrorKind::NoDevice,
            Self::Timeout(_) | Self::LocalityNotGranted { .. } => TransportErrorKind::Timeout,
            Self::Tpm12 => TransportErrorKind::Tpm12,
            Self::Bus(_) => TransportErrorKind::Io,
            Self::BadCommand { .. } | Self::ResponseTooLarge { .. } => TransportErrorKind::TooLarge,
            Self::InvalidLocality(_) => TransportErrorKind::Other,
            _ => TransportErrorKind::Protocol,
        }
    }
}
