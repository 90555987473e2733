//! The one error type of the wire layer.

use core::fmt;

/// Why a buffer could not be encoded or decoded.
///
/// Every variant that concerns a position carries `offset`: the byte offset from the start of
/// the command or response frame (or of the buffer given to a [`Reader`](crate::Reader) /
/// [`Writer`](crate::Writer)) where the problem was found. No variant carries payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WireError {
    /// The output buffer is too small for what is being written.
    BufferFull {
        /// Where the write started.
        offset: usize,
        /// How many bytes the write needed.
        needed: usize,
        /// How many bytes were left.
        available: usize,
    },
    /// The input ended before a value was complete.
    Truncated {
        /// Where the value started.
        offset: usize,
        /// How many bytes the value needed.
        needed: usize,
        /// How many bytes were left.
        available: usize,
    },
    /// Bytes remain after a structure or frame that should have ended.
    TrailingBytes {
        /// Where the unexpected bytes start.
        offset: usize,
        /// How many bytes are left over.
        count: usize,
    },
    /// A size or count field exceeds what its type or container allows
    /// (a TPM2B longer than its maximum, a list with too many entries).
    TooLarge {
        /// Where the size or count field is.
        offset: usize,
        /// The value read.
        value: u32,
        /// The largest value allowed there.
        max: u32,
    },
    /// The frame's size field is below the 10-byte header.
    FrameTooShort {
        /// The size field's value (or the buffer length, if shorter than a header).
        size: u32,
    },
    /// The frame's size field does not match the bytes given.
    SizeMismatch {
        /// The size field's value.
        declared: u32,
        /// The number of bytes in the buffer.
        actual: usize,
    },
    /// A tag (TPM_ST) that is not valid at this place.
    BadTag {
        /// Where the tag is.
        offset: usize,
        /// The tag read.
        tag: u16,
    },
    /// The response carries the TPM 1.2 tag `TPM_ST_RSP_COMMAND` (0x00C4): the device speaks
    /// TPM 1.2, not TPM 2.0.
    Tpm12Response {
        /// The TPM 1.2 return code (0x1E = TPM_BADTAG when a 1.2 TPM rejects a 2.0 command).
        code: u32,
    },
    /// An error response carried more than the 10-byte header.
    ErrorWithBody {
        /// The size field's value.
        size: u32,
    },
    /// A union selector (algorithm, capability, scheme) this library cannot decode here.
    BadSelector {
        /// Where the selector is.
        offset: usize,
        /// The selector read.
        value: u32,
    },
    /// A field holds a value outside its defined set (e.g. a TPMI_YES_NO byte of 2).
    BadValue {
        /// Where the field is.
        offset: usize,
        /// The value read.
        value: u32,
    },
    /// A command was built in the wrong order: sessions after parameters, handles after
    /// sessions or parameters, or sessions twice.
    OutOfOrder {
        /// Where the misplaced part would have been written.
        offset: usize,
    },
    /// A check of the caller's own failed on bytes that are well-formed TPM structures
    /// (made with [`WireError::invalid`]).
    Invalid {
        /// What was wrong.
        what: &'static str,
    },
}

impl WireError {
    /// An error for a caller's own check of structures it decoded: "the quote's nonce is
    /// not ours", "the EK is not RSA".
    ///
    /// ```
    /// # use tpm2_wire::WireError;
    /// let e = WireError::invalid("the EK template is not RSA");
    /// assert_eq!(e.to_string(), "invalid: the EK template is not RSA");
    /// ```
    #[must_use]
    pub const fn invalid(what: &'static str) -> Self {
        Self::Invalid { what }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BufferFull {
                offset,
                needed,
                available,
            } => write!(
                f,
                "buffer full at offset {offset}: {needed} bytes needed, {available} available"
            ),
            Self::Truncated {
                offset,
                needed,
                available,
            } => write!(
                f,
                "input truncated at offset {offset}: {needed} bytes needed, {available} available"
            ),
            Self::TrailingBytes { offset, count } => {
                write!(f, "{count} unexpected trailing bytes at offset {offset}")
            }
            Self::TooLarge { offset, value, max } => {
                write!(
                    f,
                    "size or count {value} at offset {offset} exceeds the maximum {max}"
                )
            }
            Self::FrameTooShort { size } => {
                write!(f, "frame size {size} is smaller than the 10-byte header")
            }
            Self::SizeMismatch { declared, actual } => write!(
                f,
                "frame size field says {declared} bytes but {actual} bytes were received"
            ),
            Self::BadTag { offset, tag } => write!(f, "invalid tag {tag:#06x} at offset {offset}"),
            Self::Tpm12Response { code } => write!(
                f,
                "TPM 1.2 response (tag 0x00c4, return code {code:#x}): the device is not a TPM 2.0"
            ),
            Self::ErrorWithBody { size } => {
                write!(
                    f,
                    "error response of {size} bytes: an error response is header-only"
                )
            }
            Self::BadSelector { offset, value } => {
                write!(
                    f,
                    "unsupported union selector {value:#x} at offset {offset}"
                )
            }
            Self::BadValue { offset, value } => {
                write!(f, "invalid value {value:#x} at offset {offset}")
            }
            Self::OutOfOrder { offset } => write!(
                f,
                "command parts written out of order at offset {offset} (handles, sessions, parameters)"
            ),
            Self::Invalid { what } => write!(f, "invalid: {what}"),
        }
    }
}

impl core::error::Error for WireError {}
