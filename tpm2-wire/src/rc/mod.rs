//! Response codes (TPM_RC and the TSS layers above it), decoded completely.
//!
//! A [`ResponseCode`] wraps any `u32` and never fails to decode. [`ResponseCode::kind`] splits it
//! the way TPM 2.0 Part 2 §6.6 does, testing the format bit (bit 7) first: `0x9A2` has the
//! warning bits of `0x900` set, but it is the format-1 code `TPM_RC_BAD_AUTH` on session 1.
//!
//! `Display` prints the text tpm2-tss's `Tss2_RC_Decode` prints, so operators recognise it,
//! with three documented corrections where tss2-rc is wrong:
//! - a parameter number 8..15 is printed as such (tss2-rc prints `N & 7`, so `0x9C4`, which is
//!   `TPM_RC_VALUE` on parameter 9, would read "parameter(1)");
//! - a format-1 error number tss2-rc has no text for prints `unknown error num: 0xNN`, as
//!   tpm2-tss 4.x does (tpm2-tss 3.x prints `(null)`);
//! - a layer without a decoder prints the whole code in hex (tpm2-tss 3.x drops the low byte).

mod tables;

use core::fmt;

use crate::bits::{low_u8, low_u16};

pub use tables::{Fmt0Error, Fmt1Error, Warning};

/// A TPM or TSS response code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResponseCode(pub u32);

/// The software layer that produced a code (bits 23:16), as tpm2-tss numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Layer {
    /// 0: the TPM itself.
    Tpm,
    /// 6: the feature API (FAPI).
    Fapi,
    /// 7: the enhanced system API (ESAPI).
    Esapi,
    /// 8: the system API (SAPI).
    Sys,
    /// 9: the marshalling library (MU).
    Mu,
    /// 10: the TPM command transmission interface (TCTI).
    Tcti,
    /// 11: a resource manager returning a TPM-format code ("rmt").
    ResMgrTpm,
    /// 12: the resource manager ("rm").
    ResMgr,
    /// 13: a driver ("drvr").
    Driver,
    /// Any other layer number.
    Other(u8),
}

impl Layer {
    /// The layer for a layer number.
    #[must_use]
    pub const fn from_number(n: u8) -> Self {
        match n {
            0 => Self::Tpm,
            6 => Self::Fapi,
            7 => Self::Esapi,
            8 => Self::Sys,
            9 => Self::Mu,
            10 => Self::Tcti,
            11 => Self::ResMgrTpm,
            12 => Self::ResMgr,
            13 => Self::Driver,
            n => Self::Other(n),
        }
    }

    /// The layer number (bits 23:16 of a code).
    #[must_use]
    pub const fn number(self) -> u8 {
        match self {
            Self::Tpm => 0,
            Self::Fapi => 6,
            Self::Esapi => 7,
            Self::Sys => 8,
            Self::Mu => 9,
            Self::Tcti => 10,
            Self::ResMgrTpm => 11,
            Self::ResMgr => 12,
            Self::Driver => 13,
            Self::Other(n) => n,
        }
    }

    /// The prefix tss2-rc prints for this layer, if it has a name.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Self::Tpm => Some("tpm"),
            Self::Fapi => Some("fapi"),
            Self::Esapi => Some("esapi"),
            Self::Sys => Some("sys"),
            Self::Mu => Some("mu"),
            Self::Tcti => Some("tcti"),
            Self::ResMgrTpm => Some("rmt"),
            Self::ResMgr => Some("rm"),
            Self::Driver => Some("drvr"),
            Self::Other(_) => None,
        }
    }

    /// Whether codes of this layer carry a TPM response code in their low 16 bits.
    #[must_use]
    pub const fn carries_tpm_code(self) -> bool {
        matches!(self, Self::Tpm | Self::ResMgrTpm)
    }
}

/// What a format-1 code names as the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Subject {
    /// The TPM did not say which handle, session or parameter.
    Unspecified,
    /// Handle 1..=7 of the handle area.
    Handle(u8),
    /// Session 1..=7 of the authorization area.
    Session(u8),
    /// Parameter 1..=15.
    Parameter(u8),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unspecified => f.write_str("unspecified"),
            Self::Handle(n) => write!(f, "handle {n}"),
            Self::Session(n) => write!(f, "session {n}"),
            Self::Parameter(n) => write!(f, "parameter {n}"),
        }
    }
}

/// A response code split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RcKind {
    /// `TPM_RC_SUCCESS` (or success of a TSS layer).
    Success,
    /// A format-0 TPM 2.0 error.
    Error(Fmt0Error),
    /// A format-0 TPM 2.0 warning.
    Warning(Warning),
    /// A format-1 error with the handle, session or parameter it concerns.
    Format1 {
        /// The error.
        error: Fmt1Error,
        /// What it concerns.
        subject: Subject,
    },
    /// A vendor-defined format-0 code (bit 10 set).
    Vendor {
        /// Whether the warning bit is set.
        warning: bool,
        /// The error number (bits 6:0).
        number: u8,
    },
    /// A code defined by TPM 1.2 (format 0 with bit 8 clear), e.g. `TPM_RC_BAD_TAG` (0x01E).
    Tpm12 {
        /// Whether the warning bit is set.
        warning: bool,
        /// The error number (bits 6:0).
        number: u8,
    },
    /// A code of a TSS software layer, not of the TPM.
    Tss {
        /// The layer.
        layer: Layer,
        /// The layer's error number (bits 15:0).
        number: u16,
    },
}

const FMT1: u32 = 0x080;
const VER1: u32 = 0x100;
const VENDOR: u32 = 0x400;
const WARN: u32 = 0x800;
const PARAM: u32 = 0x040;

impl ResponseCode {
    /// `TPM_RC_SUCCESS`.
    pub const SUCCESS: Self = Self(0);
    /// `TPM_RC_BAD_TAG`: the TPM 1.2 code a TPM returns for a command with an unknown tag.
    pub const BAD_TAG: Self = Self(0x01E);
    /// `TPM_RC_INITIALIZE`: TPM2_Startup not done yet, or done already.
    pub const INITIALIZE: Self = Self(0x100);
    /// `TPM_RC_FAILURE`: the TPM is in failure mode.
    pub const FAILURE: Self = Self(0x101);
    /// `TPM_RC_YIELDED`.
    pub const YIELDED: Self = Self(0x908);
    /// `TPM_RC_CANCELED`.
    pub const CANCELED: Self = Self(0x909);
    /// `TPM_RC_TESTING`.
    pub const TESTING: Self = Self(0x90A);
    /// `TPM_RC_NV_RATE`.
    pub const NV_RATE: Self = Self(0x920);
    /// `TPM_RC_LOCKOUT`.
    pub const LOCKOUT: Self = Self(0x921);
    /// `TPM_RC_RETRY`.
    pub const RETRY: Self = Self(0x922);
    /// `TPM_RC_NV_UNAVAILABLE`.
    pub const NV_UNAVAILABLE: Self = Self(0x923);

    /// The raw value.
    #[must_use]
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The layer (bits 23:16).
    #[must_use]
    pub const fn layer(self) -> Layer {
        Layer::from_number(low_u8(self.0 >> 16))
    }

    /// Whether this is success.
    #[must_use]
    pub const fn is_success(self) -> bool {
        low_u16(self.0) == 0
    }

    /// The parts of the code. TPM codes are decoded from bits 11:0, format bit first.
    #[must_use]
    pub const fn kind(self) -> RcKind {
        let layer = self.layer();
        let number = low_u16(self.0);
        if number == 0 {
            return RcKind::Success;
        }
        if !layer.carries_tpm_code() {
            return RcKind::Tss { layer, number };
        }
        let rc = self.0;
        if rc & FMT1 != 0 {
            let n = low_u8((rc >> 8) & 0xF);
            let subject = if rc & PARAM != 0 {
                if n == 0 {
                    Subject::Unspecified
                } else {
                    Subject::Parameter(n)
                }
            } else if n == 0 || n == 8 {
                Subject::Unspecified
            } else if n < 8 {
                Subject::Handle(n)
            } else {
                Subject::Session(n.wrapping_sub(8))
            };
            return RcKind::Format1 {
                error: Fmt1Error::from_number(low_u8(rc & 0x3F)),
                subject,
            };
        }
        let warning = rc & WARN != 0;
        let number = low_u8(rc & 0x7F);
        if rc & VER1 == 0 {
            RcKind::Tpm12 { warning, number }
        } else if rc & VENDOR != 0 {
            RcKind::Vendor { warning, number }
        } else if warning {
            RcKind::Warning(Warning::from_number(number))
        } else {
            RcKind::Error(Fmt0Error::from_number(number))
        }
    }

    /// The handle, session or parameter a format-1 code names.
    #[must_use]
    pub const fn subject(self) -> Option<Subject> {
        match self.kind() {
            RcKind::Format1 { subject, .. } => Some(subject),
            _ => None,
        }
    }

    /// The code without its handle / session / parameter number, for comparing with the
    /// base constants: `0x9A2` becomes `0x0A2` (`TPM_RC_BAD_AUTH`).
    #[must_use]
    pub const fn base(self) -> Self {
        if self.layer().carries_tpm_code() && self.0 & FMT1 != 0 {
            Self(self.0 & !(0xF00 | PARAM))
        } else {
            self
        }
    }

    /// Whether this is a TPM 2.0 warning: the command was not executed, and may succeed later.
    #[must_use]
    pub const fn is_warning(self) -> bool {
        matches!(
            self.kind(),
            RcKind::Warning(_) | RcKind::Vendor { warning: true, .. }
        )
    }

    /// Whether sending the same command again, unchanged, may succeed without the caller doing
    /// anything else: `TPM_RC_YIELDED`, `CANCELED`, `TESTING`, `NV_RATE`, `RETRY` and
    /// `NV_UNAVAILABLE`.
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        matches!(
            self.kind(),
            RcKind::Warning(
                Warning::Yielded
                    | Warning::Canceled
                    | Warning::Testing
                    | Warning::NvRate
                    | Warning::Retry
                    | Warning::NvUnavailable
            )
        )
    }

    /// Whether the TPM refused because it is in dictionary-attack lockout (`TPM_RC_LOCKOUT`).
    #[must_use]
    pub const fn is_lockout(self) -> bool {
        matches!(self.kind(), RcKind::Warning(Warning::Lockout))
    }

    /// The specification's name: `TPM_RC_LOCKOUT`, `TPM_RC_HANDLE`, ...
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self.kind() {
            RcKind::Success => Some("TPM_RC_SUCCESS"),
            RcKind::Error(e) => e.name(),
            RcKind::Warning(w) => w.name(),
            RcKind::Format1 { error, .. } => error.name(),
            RcKind::Tpm12 {
                warning: false,
                number: 0x1E,
            } => Some("TPM_RC_BAD_TAG"),
            RcKind::Vendor { .. } | RcKind::Tpm12 { .. } | RcKind::Tss { .. } => None,
        }
    }
}

impl From<u32> for ResponseCode {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({:#x}", self.0)?;
        if let Some(name) = self.name() {
            write!(f, " {name}")?;
        }
        if let Some(subject) = self.subject() {
            write!(f, " on {subject}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layer = self.layer();
        match layer.name() {
            Some(name) => write!(f, "{name}:")?,
            None => write!(f, "{}:", layer.number())?,
        }
        let err = self.0 & 0xFFFF;
        match layer {
            Layer::Tpm | Layer::ResMgrTpm if err == 0 => f.write_str("success"),
            Layer::Tpm | Layer::ResMgrTpm => tpm_text(f, err),
            Layer::Fapi | Layer::Esapi | Layer::Sys | Layer::Mu | Layer::Tcti => {
                let text = usize::from(low_u16(err))
                    .checked_sub(1)
                    .and_then(|i| tables::TSS_BASE.get(i));
                match (err, text) {
                    (0, _) => f.write_str("success"),
                    (_, Some(text)) => f.write_str(text),
                    (_, None) => write!(f, "0x{err:X}"),
                }
            }
            _ => write!(f, "0x{:X}", self.0),
        }
    }
}

fn tpm_text(f: &mut fmt::Formatter<'_>, err: u32) -> fmt::Result {
    if err & FMT1 != 0 {
        let n = (err >> 8) & 0xF;
        let (what, index) = if err & PARAM != 0 {
            ("parameter", n)
        } else if n & 8 == 0 {
            ("handle", n)
        } else {
            ("session", n & 7)
        };
        f.write_str(what)?;
        if index == 0 {
            f.write_str("(unk):")?;
        } else {
            write!(f, "({index}):")?;
        }
        let number = low_u8(err & 0x3F);
        return match Fmt1Error::from_number(number).description() {
            Some(text) => f.write_str(text),
            None => write!(f, "unknown error num: 0x{number:X}"),
        };
    }
    let (class, tpm20) = (
        if err & WARN != 0 { "warn" } else { "error" },
        err & VER1 != 0,
    );
    let number = low_u8(err & 0x7F);
    if !tpm20 {
        return write!(f, "{class}(1.2): unknown version 1.2 error code");
    }
    if err & VENDOR != 0 {
        return write!(f, "{class}(2.0): Vendor specific error: 0x{number:X}");
    }
    let text = if err & WARN != 0 {
        Warning::from_number(number).description()
    } else {
        Fmt0Error::from_number(number).description()
    };
    match text {
        Some(text) => write!(f, "{class}(2.0): {text}"),
        None => write!(f, "0x{err:X}"),
    }
}

#[cfg(test)]
mod tests;
