//! The named response codes of TPM 2.0 Part 2 §6.6 (TPM_RC), with the descriptions tpm2-tss's
//! `Tss2_RC_Decode` prints for them.

macro_rules! rc_table {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $number:literal => $variant:ident, $spec:literal, $text:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $spec, "`")]
                $variant,
            )*
            /// A number this table does not name.
            Other(u8),
        }

        impl $name {
            /// The variant for an error number.
            #[must_use]
            pub const fn from_number(n: u8) -> Self {
                match n {
                    $( $number => Self::$variant, )*
                    other => Self::Other(other),
                }
            }

            /// The error number (the E field).
            #[must_use]
            pub const fn number(self) -> u8 {
                match self {
                    $( Self::$variant => $number, )*
                    Self::Other(n) => n,
                }
            }

            /// The specification's name, e.g. `TPM_RC_LOCKOUT`.
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($spec), )*
                    Self::Other(_) => None,
                }
            }

            /// The description tpm2-tss's `Tss2_RC_Decode` prints, if it has one.
            #[must_use]
            pub const fn description(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(_) => None,
                }
            }
        }
    };
}

rc_table! {
    /// A format-0 TPM 2.0 error (RC_VER1 + E, warning bit clear).
    Fmt0Error {
        0x00 => Initialize, "TPM_RC_INITIALIZE", Some("TPM not initialized by TPM2_Startup or already initialized");
        0x01 => Failure, "TPM_RC_FAILURE", Some("commands not being accepted because of a TPM failure");
        0x03 => Sequence, "TPM_RC_SEQUENCE", Some("improper use of a sequence handle");
        0x0B => Private, "TPM_RC_PRIVATE", Some("not currently used");
        0x19 => Hmac, "TPM_RC_HMAC", Some("not currently used");
        0x20 => Disabled, "TPM_RC_DISABLED", Some("the command is disabled");
        0x21 => Exclusive, "TPM_RC_EXCLUSIVE", Some("command failed because audit sequence required exclusivity");
        0x24 => AuthType, "TPM_RC_AUTH_TYPE", Some("authorization handle is not correct for command");
        0x25 => AuthMissing, "TPM_RC_AUTH_MISSING", Some("command requires an authorization session for handle and it is not present");
        0x26 => Policy, "TPM_RC_POLICY", Some("policy failure in math operation or an invalid authPolicy value");
        0x27 => Pcr, "TPM_RC_PCR", Some("PCR check fail");
        0x28 => PcrChanged, "TPM_RC_PCR_CHANGED", Some("PCR have changed since checked");
        0x2D => Upgrade, "TPM_RC_UPGRADE", Some("For all commands, other than TPM2_FieldUpgradeData, this code indicates that the TPM is in field upgrade mode. For TPM2_FieldUpgradeData, this code indicates that the TPM is not in field upgrade mode");
        0x2E => TooManyContexts, "TPM_RC_TOO_MANY_CONTEXTS", Some("context ID counter is at maximum");
        0x2F => AuthUnavailable, "TPM_RC_AUTH_UNAVAILABLE", Some("authValue or authPolicy is not available for selected entity");
        0x30 => Reboot, "TPM_RC_REBOOT", Some("a _TPM_Init and StartupCLEAR is required before the TPM can resume operation");
        0x31 => Unbalanced, "TPM_RC_UNBALANCED", Some("the protection algorithms hash and symmetric are not reasonably balanced. The digest size of the hash must be larger than the key size of the symmetric algorithm.");
        0x42 => CommandSize, "TPM_RC_COMMAND_SIZE", Some("command commandSize value is inconsistent with contents of the command buffer. Either the size is not the same as the octets loaded by the hardware interface layer or the value is not large enough to hold a command header");
        0x43 => CommandCode, "TPM_RC_COMMAND_CODE", Some("command code not supported");
        0x44 => AuthSize, "TPM_RC_AUTHSIZE", Some("the value of authorizationSize is out of range or the number of octets in the Authorization Area is greater than required");
        0x45 => AuthContext, "TPM_RC_AUTH_CONTEXT", Some("use of an authorization session with a context command or another command that cannot have an authorization session");
        0x46 => NvRange, "TPM_RC_NV_RANGE", Some("NV offset+size is out of range");
        0x47 => NvSize, "TPM_RC_NV_SIZE", Some("Requested allocation size is larger than allowed");
        0x48 => NvLocked, "TPM_RC_NV_LOCKED", Some("NV access locked");
        0x49 => NvAuthorization, "TPM_RC_NV_AUTHORIZATION", Some("NV access authorization fails in command actions");
        0x4A => NvUninitialized, "TPM_RC_NV_UNINITIALIZED", Some("an NV Index is used before being initialized or the state saved by TPM2_ShutdownSTATE could not be restored");
        0x4B => NvSpace, "TPM_RC_NV_SPACE", Some("insufficient space for NV allocation");
        0x4C => NvDefined, "TPM_RC_NV_DEFINED", Some("NV Index or persistent object already defined");
        0x50 => BadContext, "TPM_RC_BAD_CONTEXT", Some("context in TPM2_ContextLoad is not valid");
        0x51 => CpHash, "TPM_RC_CPHASH", Some("cpHash value already set or not correct for use");
        0x52 => Parent, "TPM_RC_PARENT", Some("handle for parent is not a valid parent");
        0x53 => NeedsTest, "TPM_RC_NEEDS_TEST", Some("some function needs testing");
        0x54 => NoResult, "TPM_RC_NO_RESULT", Some("returned when an internal function cannot process a request due to an unspecified problem. This code is usually related to invalid parameters that are not properly filtered by the input unmarshaling code");
        0x55 => Sensitive, "TPM_RC_SENSITIVE", Some("the sensitive area did not unmarshal correctly after decryption");
    }
}

rc_table! {
    /// A format-0 TPM 2.0 warning (RC_WARN + E).
    Warning {
        0x01 => ContextGap, "TPM_RC_CONTEXT_GAP", Some("gap for context ID is too large");
        0x02 => ObjectMemory, "TPM_RC_OBJECT_MEMORY", Some("out of memory for object contexts");
        0x03 => SessionMemory, "TPM_RC_SESSION_MEMORY", Some("out of memory for session contexts");
        0x04 => Memory, "TPM_RC_MEMORY", Some("out of shared objectsession memory or need space for internal operations");
        0x05 => SessionHandles, "TPM_RC_SESSION_HANDLES", Some("out of session handles");
        0x06 => ObjectHandles, "TPM_RC_OBJECT_HANDLES", Some("out of object handles");
        0x07 => Locality, "TPM_RC_LOCALITY", Some("bad locality");
        0x08 => Yielded, "TPM_RC_YIELDED", Some("the TPM has suspended operation on the command forward progress was made and the command may be retried");
        0x09 => Canceled, "TPM_RC_CANCELED", Some("the command was canceled");
        0x0A => Testing, "TPM_RC_TESTING", Some("TPM is performing selftests");
        0x10 => ReferenceH0, "TPM_RC_REFERENCE_H0", Some("the 1st handle in the handle area references a transient object or session that is not loaded");
        0x11 => ReferenceH1, "TPM_RC_REFERENCE_H1", Some("the 2nd handle in the handle area references a transient object or session that is not loaded");
        0x12 => ReferenceH2, "TPM_RC_REFERENCE_H2", Some("the 3rd handle in the handle area references a transient object or session that is not loaded");
        0x13 => ReferenceH3, "TPM_RC_REFERENCE_H3", Some("the 4th handle in the handle area references a transient object or session that is not loaded");
        0x14 => ReferenceH4, "TPM_RC_REFERENCE_H4", Some("the 5th handle in the handle area references a transient object or session that is not loaded");
        0x15 => ReferenceH5, "TPM_RC_REFERENCE_H5", Some("the 6th handle in the handle area references a transient object or session that is not loaded");
        0x16 => ReferenceH6, "TPM_RC_REFERENCE_H6", Some("the 7th handle in the handle area references a transient object or session that is not loaded");
        0x18 => ReferenceS0, "TPM_RC_REFERENCE_S0", Some("the 1st authorization session handle references a session that is not loaded");
        0x19 => ReferenceS1, "TPM_RC_REFERENCE_S1", Some("the 2nd authorization session handle references a session that is not loaded");
        0x1A => ReferenceS2, "TPM_RC_REFERENCE_S2", Some("the 3rd authorization session handle references a session that is not loaded");
        0x1B => ReferenceS3, "TPM_RC_REFERENCE_S3", Some("the 4th authorization session handle references a session that is not loaded");
        0x1C => ReferenceS4, "TPM_RC_REFERENCE_S4", Some("the 5th session handle references a session that is not loaded");
        0x1D => ReferenceS5, "TPM_RC_REFERENCE_S5", Some("the 6th session handle references a session that is not loaded");
        0x1E => ReferenceS6, "TPM_RC_REFERENCE_S6", Some("the 7th authorization session handle references a session that is not loaded");
        0x20 => NvRate, "TPM_RC_NV_RATE", Some("the TPM is rate limiting accesses to prevent wearout of NV");
        0x21 => Lockout, "TPM_RC_LOCKOUT", Some("authorizations for objects subject to DA protection are not allowed at this time because the TPM is in DA lockout mode");
        0x22 => Retry, "TPM_RC_RETRY", Some("the TPM was not able to start the command");
        0x23 => NvUnavailable, "TPM_RC_NV_UNAVAILABLE", Some("the command may require writing of NV and NV is not current accessible");
        0x7F => NotUsed, "TPM_RC_NOT_USED", None;
    }
}

rc_table! {
    /// A format-1 error: one that names the handle, session or parameter at fault.
    Fmt1Error {
        0x01 => Asymmetric, "TPM_RC_ASYMMETRIC", Some("asymmetric algorithm not supported or not correct");
        0x02 => Attributes, "TPM_RC_ATTRIBUTES", Some("inconsistent attributes");
        0x03 => Hash, "TPM_RC_HASH", Some("hash algorithm not supported or not appropriate");
        0x04 => Value, "TPM_RC_VALUE", Some("value is out of range or is not correct for the context");
        0x05 => Hierarchy, "TPM_RC_HIERARCHY", Some("hierarchy is not enabled or is not correct for the use");
        0x07 => KeySize, "TPM_RC_KEY_SIZE", Some("key size is not supported");
        0x08 => Mgf, "TPM_RC_MGF", Some("mask generation function not supported");
        0x09 => Mode, "TPM_RC_MODE", Some("mode of operation not supported");
        0x0A => Type, "TPM_RC_TYPE", Some("the type of the value is not appropriate for the use");
        0x0B => Handle, "TPM_RC_HANDLE", Some("the handle is not correct for the use");
        0x0C => Kdf, "TPM_RC_KDF", Some("unsupported key derivation function or function not appropriate for use");
        0x0D => Range, "TPM_RC_RANGE", Some("value was out of allowed range");
        0x0E => AuthFail, "TPM_RC_AUTH_FAIL", Some("the authorization HMAC check failed and DA counter incremented");
        0x0F => Nonce, "TPM_RC_NONCE", Some("invalid nonce size or nonce value mismatch");
        0x10 => Pp, "TPM_RC_PP", Some("authorization requires assertion of PP");
        0x12 => Scheme, "TPM_RC_SCHEME", Some("unsupported or incompatible scheme");
        0x15 => Size, "TPM_RC_SIZE", Some("structure is the wrong size");
        0x16 => Symmetric, "TPM_RC_SYMMETRIC", Some("unsupported symmetric algorithm or key size or not appropriate for instance");
        0x17 => Tag, "TPM_RC_TAG", Some("incorrect structure tag");
        0x18 => Selector, "TPM_RC_SELECTOR", Some("union selector is incorrect");
        0x1A => Insufficient, "TPM_RC_INSUFFICIENT", Some("the TPM was unable to unmarshal a value because there were not enough octets in the input buffer");
        0x1B => Signature, "TPM_RC_SIGNATURE", Some("the signature is not valid");
        0x1C => Key, "TPM_RC_KEY", Some("key fields are not compatible with the selected use");
        0x1D => PolicyFail, "TPM_RC_POLICY_FAIL", Some("a policy check failed");
        0x1F => Integrity, "TPM_RC_INTEGRITY", Some("integrity check failed");
        0x20 => Ticket, "TPM_RC_TICKET", Some("invalid ticket");
        0x21 => ReservedBits, "TPM_RC_RESERVED_BITS", Some("reserved bits not set to zero as required");
        0x22 => BadAuth, "TPM_RC_BAD_AUTH", Some("authorization failure without DA implications");
        0x23 => Expired, "TPM_RC_EXPIRED", Some("the policy has expired");
        0x24 => PolicyCc, "TPM_RC_POLICY_CC", Some("the commandCode in the policy is not the commandCode of the command or the command code in a policy command references a command that is not implemented");
        0x25 => Binding, "TPM_RC_BINDING", Some("public and sensitive portions of an object are not cryptographically bound");
        0x26 => Curve, "TPM_RC_CURVE", Some("curve not supported");
        0x27 => EccPoint, "TPM_RC_ECC_POINT", Some("point is not on the required curve");
        0x28 => FwLimited, "TPM_RC_FW_LIMITED", None;
        0x29 => SvnLimited, "TPM_RC_SVN_LIMITED", None;
    }
}

/// The descriptions of the TSS base error numbers (TSS2_BASE_RC_*), numbered from 1.
pub(super) const TSS_BASE: [&str; 53] = [
    "Catch all for all errors not otherwise specified",
    "If called functionality isn't implemented",
    "A context structure is bad",
    "Passed in ABI version doesn't match called module's ABI version",
    "A pointer is NULL that isn't allowed to be NULL.",
    "A buffer isn't large enough",
    "Function called in the wrong order",
    "Fails to connect to next lower layer",
    "Operation timed out; function must be called again to be completed",
    "IO failure",
    "A parameter has a bad value",
    "Operation not permitted.",
    "Session structures were sent, but command doesn't use them or doesn't use the specified number of them",
    "If function called that uses decrypt parameter, but command doesn't support decrypt parameter.",
    "If function called that uses encrypt parameter, but command doesn't support decrypt parameter.",
    "If size of a parameter is incorrect",
    "Response is malformed",
    "Context not large enough",
    "Response is not long enough",
    "Unknown or unusable TCTI version",
    "Functionality not supported",
    "TCTI context is bad",
    "Failed to allocate memory",
    "The ESYS_TR resource object is bad",
    "Multiple sessions were marked with attribute decrypt",
    "Multiple sessions were marked with attribute encrypt",
    "Authorizing the TPM response failed",
    "No config is available",
    "The provided path is bad",
    "The object is not deletable",
    "The provided path already exists",
    "The key was not found",
    "Signature verification failed",
    "Hashes mismatch",
    "Key is not duplicatable",
    "The path was not found",
    "No certificate",
    "No PCR",
    "PCR not resettable",
    "The template is bad",
    "Authorization failed",
    "Authorization is unknown",
    "NV is not readable",
    "NV is too small",
    "NV is not writable",
    "The policy is unknown",
    "The NV type is wrong",
    "The name already exists",
    "No TPM available",
    "The key is bad",
    "No handle provided",
    "Provisioning was not executed.",
    "Already provisioned",
];
