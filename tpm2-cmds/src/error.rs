//! What a command can fail with: the transport, the bytes, or the TPM, and for the TPM a
//! typed reason built from the (command, response code) pair.

use core::fmt;

use tpm2_wire::rc::{Fmt0Error, Fmt1Error, Warning};
use tpm2_wire::{CommandCode, RcKind, ResponseCode, Subject, TransportError, WireError};

/// The field of a public template a CreatePrimary parameter error points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TemplateField {
    /// `type` (TPM_RC_TYPE).
    Type,
    /// `nameAlg` (TPM_RC_HASH).
    NameAlg,
    /// `objectAttributes` (TPM_RC_ATTRIBUTES).
    Attributes,
    /// The symmetric algorithm (TPM_RC_SYMMETRIC, TPM_RC_MODE).
    Symmetric,
    /// The signing / decryption scheme (TPM_RC_SCHEME).
    Scheme,
    /// The key size (TPM_RC_KEY_SIZE).
    KeyBits,
    /// The ECC curve (TPM_RC_CURVE).
    Curve,
    /// The key derivation function (TPM_RC_KDF).
    Kdf,
    /// The `unique` field or a size inside the template (TPM_RC_SIZE, TPM_RC_KEY).
    Unique,
    /// A value the TPM did not accept (TPM_RC_VALUE and others).
    Other,
}

impl TemplateField {
    fn from_error(error: Fmt1Error) -> Self {
        match error {
            Fmt1Error::Type => Self::Type,
            Fmt1Error::Hash => Self::NameAlg,
            Fmt1Error::Attributes => Self::Attributes,
            Fmt1Error::Symmetric | Fmt1Error::Mode => Self::Symmetric,
            Fmt1Error::Scheme => Self::Scheme,
            Fmt1Error::KeySize => Self::KeyBits,
            Fmt1Error::Curve => Self::Curve,
            Fmt1Error::Kdf => Self::Kdf,
            Fmt1Error::Size | Fmt1Error::Key => Self::Unique,
            _ => Self::Other,
        }
    }
}

/// Why the TPM refused, in terms of what the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Failure {
    /// DictionaryAttackLockReset got TPM_RC_LOCKOUT: the lockout hierarchy itself is locked
    /// after a wrong lockoutAuth; wait lockoutRecovery seconds (or reboot if it is 0).
    LockoutHierarchyLocked,
    /// DictionaryAttackLockReset (or another lockout-authorized command) got AUTH_FAIL on
    /// session 1: the lockoutAuth is wrong.
    BadLockoutAuth,
    /// TPM_RC_LOCKOUT on any other command: the TPM is in dictionary-attack lockout and
    /// refuses DA-protected authorizations.
    DaLockout,
    /// NV_ReadPublic / NV_Read got TPM_RC_HANDLE on handle 1: the NV index is not defined.
    NvIndexNotDefined,
    /// ReadPublic / EvictControl / FlushContext got TPM_RC_HANDLE: no object at that handle.
    ObjectNotFound,
    /// CreatePrimary got BAD_AUTH or AUTH_FAIL on session 1: the hierarchy's authValue is
    /// not the one given (another owner set it).
    BadHierarchyAuth,
    /// A parameter error on CreatePrimary's template (parameter 2).
    TemplateRejected(TemplateField),
    /// TPM_RC_HIERARCHY: the hierarchy is disabled.
    HierarchyDisabled,
    /// Authorization failed (AUTH_FAIL or BAD_AUTH) on a command without a dedicated variant.
    AuthorizationFailed,
    /// TPM_RC_INITIALIZE on any command but Startup: TPM2_Startup has not been run.
    NotStarted,
    /// TPM_RC_INITIALIZE on TPM2_Startup: the TPM was started already (by firmware, as a
    /// rule). [`Tpm::startup`](crate::Tpm::startup) reports it as a success.
    AlreadyStarted,
    /// TPM_RC_FAILURE: the TPM is in failure mode.
    TpmFailureMode,
    /// TPM_RC_COMMAND_CODE: the TPM does not implement the command.
    CommandNotSupported,
    /// TPM_RC_NV_DEFINED: the NV index or persistent handle is already in use.
    AlreadyDefined,
    /// ActivateCredential got TPM_RC_INTEGRITY: the credential was not made for this
    /// object's Name and this EK, or it was altered on the way.
    CredentialRejected,
    /// TPM_RC_POLICY_FAIL: the policy session's digest is not the object's authPolicy (for
    /// the EK: PolicySecret of the endorsement hierarchy did not run, or ran with another
    /// hierarchy).
    PolicyFailed,
    /// A retryable warning that persisted past the retry policy.
    RetriesExhausted,
    /// No finer classification.
    Other,
}

/// A TPM refusal: the command and the response code; [`TpmError::failure`] says what it
/// means for that command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TpmError {
    /// The command refused.
    pub command: CommandCode,
    /// The response code.
    pub code: ResponseCode,
}

impl TpmError {
    /// `code` returned for `command`.
    #[must_use]
    pub const fn new(command: CommandCode, code: ResponseCode) -> Self {
        Self { command, code }
    }

    /// What the code means for that command. Classified when asked, so that an image that
    /// only passes the code on links no classification tables.
    #[must_use]
    pub fn failure(&self) -> Failure {
        classify(self.command, self.code)
    }
}

fn classify(command: CommandCode, code: ResponseCode) -> Failure {
    use CommandCode as Cc;
    match (command, code.kind()) {
        (
            Cc::DICTIONARY_ATTACK_LOCK_RESET | Cc::DICTIONARY_ATTACK_PARAMETERS,
            RcKind::Warning(Warning::Lockout),
        ) => Failure::LockoutHierarchyLocked,
        (_, RcKind::Warning(Warning::Lockout)) => Failure::DaLockout,
        (
            Cc::DICTIONARY_ATTACK_LOCK_RESET | Cc::DICTIONARY_ATTACK_PARAMETERS,
            RcKind::Format1 {
                error: Fmt1Error::AuthFail | Fmt1Error::BadAuth,
                subject: Subject::Session(1),
            },
        ) => Failure::BadLockoutAuth,
        (
            Cc::NV_READ_PUBLIC,
            RcKind::Format1 {
                error: Fmt1Error::Handle,
                subject: Subject::Handle(1),
            },
        )
        | (
            Cc::NV_READ,
            RcKind::Format1 {
                error: Fmt1Error::Handle,
                subject: Subject::Handle(2),
            },
        ) => Failure::NvIndexNotDefined,
        // A persistent handle not in use gives TPM_RC_HANDLE; a transient one not loaded
        // gives TPM_RC_VALUE (or a REFERENCE warning) on the object's handle or parameter.
        (
            Cc::READ_PUBLIC,
            RcKind::Format1 {
                error: Fmt1Error::Handle | Fmt1Error::Value,
                subject: Subject::Handle(1),
            },
        )
        | (
            Cc::EVICT_CONTROL,
            RcKind::Format1 {
                error: Fmt1Error::Handle | Fmt1Error::Value,
                subject: Subject::Handle(2),
            },
        )
        | (
            Cc::FLUSH_CONTEXT,
            RcKind::Format1 {
                error: Fmt1Error::Handle | Fmt1Error::Value,
                subject: Subject::Parameter(1),
            },
        )
        | (
            Cc::READ_PUBLIC | Cc::EVICT_CONTROL,
            RcKind::Warning(Warning::ReferenceH0 | Warning::ReferenceH1),
        ) => Failure::ObjectNotFound,
        (
            Cc::CREATE_PRIMARY,
            RcKind::Format1 {
                error: Fmt1Error::AuthFail | Fmt1Error::BadAuth,
                subject: Subject::Session(1),
            },
        ) => Failure::BadHierarchyAuth,
        (
            Cc::CREATE_PRIMARY,
            RcKind::Format1 {
                error,
                subject: Subject::Parameter(2),
            },
        ) => Failure::TemplateRejected(TemplateField::from_error(error)),
        (
            _,
            RcKind::Format1 {
                error: Fmt1Error::Hierarchy,
                ..
            },
        ) => Failure::HierarchyDisabled,
        (
            _,
            RcKind::Format1 {
                error: Fmt1Error::AuthFail | Fmt1Error::BadAuth,
                ..
            },
        ) => Failure::AuthorizationFailed,
        (
            Cc::ACTIVATE_CREDENTIAL,
            RcKind::Format1 {
                error: Fmt1Error::Integrity,
                ..
            },
        ) => Failure::CredentialRejected,
        (
            _,
            RcKind::Format1 {
                error: Fmt1Error::PolicyFail,
                ..
            },
        ) => Failure::PolicyFailed,
        (_, RcKind::Error(error)) => format0(command, error).unwrap_or(Failure::Other),
        _ if code.is_retryable() => Failure::RetriesExhausted,
        _ => Failure::Other,
    }
}

/// The format-0 errors with a meaning of their own.
fn format0(command: CommandCode, error: Fmt0Error) -> Option<Failure> {
    Some(match (command, error) {
        (CommandCode::STARTUP, Fmt0Error::Initialize) => Failure::AlreadyStarted,
        (_, Fmt0Error::Initialize) => Failure::NotStarted,
        (_, Fmt0Error::Failure) => Failure::TpmFailureMode,
        (_, Fmt0Error::CommandCode) => Failure::CommandNotSupported,
        (_, Fmt0Error::NvDefined) => Failure::AlreadyDefined,
        _ => return None,
    })
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LockoutHierarchyLocked => f.write_str(
                "the lockout hierarchy is locked after a failed lockoutAuth: wait lockoutRecovery \
                 seconds (or power-cycle if it is 0), then retry with the right lockoutAuth",
            ),
            Self::BadLockoutAuth => f.write_str("wrong lockoutAuth"),
            Self::DaLockout => f.write_str(
                "the TPM is in dictionary-attack lockout: reset it with \
                 DictionaryAttackLockReset, or wait for recovery",
            ),
            Self::NvIndexNotDefined => f.write_str("the NV index is not defined"),
            Self::ObjectNotFound => f.write_str("no object at that handle"),
            Self::BadHierarchyAuth => f.write_str(
                "wrong hierarchy authorization: the hierarchy has an authValue that was not \
                 supplied (set by another owner)",
            ),
            Self::TemplateRejected(field) => write!(f, "the template's {field:?} was rejected"),
            Self::HierarchyDisabled => f.write_str("the hierarchy is disabled"),
            Self::AuthorizationFailed => f.write_str("authorization failed"),
            Self::NotStarted => f.write_str("TPM2_Startup has not been run"),
            Self::AlreadyStarted => f.write_str("the TPM was started already"),
            Self::TpmFailureMode => f.write_str("the TPM is in failure mode"),
            Self::CommandNotSupported => f.write_str("the TPM does not implement the command"),
            Self::AlreadyDefined => f.write_str("the NV index or persistent handle is in use"),
            Self::CredentialRejected => f.write_str(
                "the credential was not made for this object's Name and this EK, or was altered",
            ),
            Self::PolicyFailed => {
                f.write_str("the policy session does not satisfy the object's authPolicy")
            }
            Self::RetriesExhausted => f.write_str("the TPM stayed busy past the retry policy"),
            Self::Other => f.write_str("see the response code"),
        }
    }
}

impl fmt::Display for TpmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.command.short_name().unwrap_or("command");
        write!(
            f,
            "{name}: ({:#x}) {}: {}",
            self.code.raw(),
            self.code,
            self.failure()
        )
    }
}

/// A command's error: the transport failed, the bytes were invalid, or the TPM refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error<E> {
    /// No valid response came back.
    Transport(E),
    /// A command could not be encoded, or the response could not be decoded.
    Wire(WireError),
    /// The TPM answered with an error code.
    Tpm(TpmError),
    /// A session could not authorize the command or vouch for its response.
    #[cfg(feature = "sessions")]
    Session(crate::session::SessionError),
}

impl<E> Error<E> {
    /// The TPM refusal, if that is what this is.
    pub const fn tpm(&self) -> Option<&TpmError> {
        match self {
            Self::Tpm(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the TPM refused with `failure`.
    pub fn is(&self, failure: Failure) -> bool {
        self.tpm().is_some_and(|e| e.failure() == failure)
    }
}

impl<E> From<WireError> for Error<E> {
    fn from(e: WireError) -> Self {
        Self::Wire(e)
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "transport: {e}"),
            Self::Wire(e) => write!(f, "malformed frame: {e}"),
            Self::Tpm(e) => fmt::Display::fmt(e, f),
            #[cfg(feature = "sessions")]
            Self::Session(e) => write!(f, "session: {e}"),
        }
    }
}

impl<E: TransportError> core::error::Error for Error<E> {}
