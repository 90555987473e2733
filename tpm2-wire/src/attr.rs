//! TPMA_* attribute bit fields, as `bitflags`. Decoding keeps unknown bits, so a value
//! re-encodes to the same bytes.

use crate::bits::{low_u8, low_u16};
use crate::{Marshal, Reader, Unmarshal, Writer};

macro_rules! attributes {
    (
        $(#[$meta:meta])*
        $name:ident($ty:ident) { $( $(#[doc = $fdoc:literal])* $flag:ident = $bit:expr; )* }
    ) => {
        bitflags::bitflags! {
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct $name: $ty {
                $( $(#[doc = $fdoc])* const $flag = $bit; )*
                // Bits this version does not name are kept, not dropped.
                const _ = !0;
            }
        }

        impl Marshal for $name {
            fn marshal(&self, w: &mut Writer<'_>) {
                w.$ty(self.bits())
            }
        }

        impl Unmarshal<'_> for $name {
            fn decode(r: &mut Reader<'_>) -> Self {
                Self::from_bits_retain(r.$ty())
            }
        }

        #[cfg(feature = "defmt")]
        impl defmt::Format for $name {
            fn format(&self, f: defmt::Formatter<'_>) {
                defmt::write!(f, "{}({=u32:#x})", stringify!($name), u32::from(self.bits()));
            }
        }
    };
}

attributes! {
    /// Object attributes (TPMA_OBJECT).
    ObjectAttributes(u32) {
        /// The object's hierarchy cannot change (fixedTPM).
        FIXED_TPM = 1 << 1;
        /// Saved contexts are invalidated by TPM Reset / Restart (stClear).
        ST_CLEAR = 1 << 2;
        /// The parent cannot change (fixedParent).
        FIXED_PARENT = 1 << 4;
        /// The TPM generated the sensitive data (sensitiveDataOrigin).
        SENSITIVE_DATA_ORIGIN = 1 << 5;
        /// USER role actions may use the authValue (userWithAuth).
        USER_WITH_AUTH = 1 << 6;
        /// ADMIN role actions require a policy (adminWithPolicy).
        ADMIN_WITH_POLICY = 1 << 7;
        /// Derived from a firmware-limited primary seed (firmwareLimited).
        FIRMWARE_LIMITED = 1 << 8;
        /// Derived from an SVN-limited primary seed (svnLimited).
        SVN_LIMITED = 1 << 9;
        /// Not subject to dictionary-attack protection (noDA).
        NO_DA = 1 << 10;
        /// Duplication requires an inner wrapper (encryptedDuplication).
        ENCRYPTED_DUPLICATION = 1 << 11;
        /// Restricted key (restricted).
        RESTRICTED = 1 << 16;
        /// Decryption key (decrypt).
        DECRYPT = 1 << 17;
        /// Signing or encryption key (sign / encrypt).
        SIGN_ENCRYPT = 1 << 18;
        /// May sign X.509 certificates (x509sign).
        X509_SIGN = 1 << 19;
    }
}

attributes! {
    /// NV index attributes (TPMA_NV). The index type TPM_NT is in bits 7:4, see
    /// [`NvAttributes::index_type`].
    NvAttributes(u32) {
        /// Platform authorization may write (TPMA_NV_PPWRITE).
        PPWRITE = 1 << 0;
        /// Owner authorization may write (TPMA_NV_OWNERWRITE).
        OWNERWRITE = 1 << 1;
        /// The index authValue may write (TPMA_NV_AUTHWRITE).
        AUTHWRITE = 1 << 2;
        /// The index policy may write (TPMA_NV_POLICYWRITE).
        POLICYWRITE = 1 << 3;
        /// Deletion requires the policy (TPMA_NV_POLICY_DELETE).
        POLICY_DELETE = 1 << 10;
        /// Writes are locked (TPMA_NV_WRITELOCKED).
        WRITELOCKED = 1 << 11;
        /// Partial writes are not allowed (TPMA_NV_WRITEALL).
        WRITEALL = 1 << 12;
        /// May be write-locked permanently (TPMA_NV_WRITEDEFINE).
        WRITEDEFINE = 1 << 13;
        /// Write lock until the next TPM Reset (TPMA_NV_WRITE_STCLEAR).
        WRITE_STCLEAR = 1 << 14;
        /// Locked by TPM2_NV_GlobalWriteLock (TPMA_NV_GLOBALLOCK).
        GLOBALLOCK = 1 << 15;
        /// Platform authorization may read (TPMA_NV_PPREAD).
        PPREAD = 1 << 16;
        /// Owner authorization may read (TPMA_NV_OWNERREAD).
        OWNERREAD = 1 << 17;
        /// The index authValue may read (TPMA_NV_AUTHREAD).
        AUTHREAD = 1 << 18;
        /// The index policy may read (TPMA_NV_POLICYREAD).
        POLICYREAD = 1 << 19;
        /// Not subject to dictionary-attack protection (TPMA_NV_NO_DA).
        NO_DA = 1 << 25;
        /// Only required to be saved on orderly shutdown (TPMA_NV_ORDERLY).
        ORDERLY = 1 << 26;
        /// TPMA_NV_WRITTEN is cleared by TPM Reset or Restart (TPMA_NV_CLEAR_STCLEAR).
        CLEAR_STCLEAR = 1 << 27;
        /// Reads are locked (TPMA_NV_READLOCKED).
        READLOCKED = 1 << 28;
        /// The index has been written (TPMA_NV_WRITTEN).
        WRITTEN = 1 << 29;
        /// Defined with platform authorization (TPMA_NV_PLATFORMCREATE).
        PLATFORMCREATE = 1 << 30;
        /// Read lock until the next TPM Reset (TPMA_NV_READ_STCLEAR).
        READ_STCLEAR = 1 << 31;
    }
}

impl NvAttributes {
    /// The index type TPM_NT (bits 7:4): 0 ordinary, 1 counter, 2 bits, 4 extend, 8 pin fail,
    /// 9 pin pass.
    #[must_use]
    pub const fn index_type(self) -> u8 {
        low_u8((self.bits() >> 4) & 0xF)
    }
}

attributes! {
    /// Session attributes (TPMA_SESSION).
    SessionAttributes(u8) {
        /// Keep the session open after the command (continueSession).
        CONTINUE_SESSION = 1 << 0;
        /// Exclusive audit (auditExclusive).
        AUDIT_EXCLUSIVE = 1 << 1;
        /// Reset the audit digest (auditReset).
        AUDIT_RESET = 1 << 2;
        /// The first parameter is encrypted (decrypt).
        DECRYPT = 1 << 5;
        /// The first response parameter is encrypted (encrypt).
        ENCRYPT = 1 << 6;
        /// Audit session (audit).
        AUDIT = 1 << 7;
    }
}

attributes! {
    /// Algorithm attributes (TPMA_ALGORITHM).
    AlgorithmAttributes(u32) {
        /// An asymmetric algorithm.
        ASYMMETRIC = 1 << 0;
        /// A symmetric block cipher.
        SYMMETRIC = 1 << 1;
        /// A hash algorithm.
        HASH = 1 << 2;
        /// An object type.
        OBJECT = 1 << 3;
        /// A signing algorithm.
        SIGNING = 1 << 8;
        /// An encryption / decryption algorithm.
        ENCRYPTING = 1 << 9;
        /// A method such as a key derivation function.
        METHOD = 1 << 10;
    }
}

attributes! {
    /// Locality attributes (TPMA_LOCALITY).
    LocalityAttributes(u8) {
        /// Locality 0.
        ZERO = 1 << 0;
        /// Locality 1.
        ONE = 1 << 1;
        /// Locality 2.
        TWO = 1 << 2;
        /// Locality 3.
        THREE = 1 << 3;
        /// Locality 4.
        FOUR = 1 << 4;
    }
}

attributes! {
    /// Command attributes (TPMA_CC). The command index is bits 15:0, see
    /// [`CommandAttributes::command_index`].
    CommandAttributes(u32) {
        /// The command may write NV (nv).
        NV = 1 << 22;
        /// The command may flush many objects (extensive).
        EXTENSIVE = 1 << 23;
        /// The command flushes any transient object context (flushed).
        FLUSHED = 1 << 24;
        /// The response has a handle (rHandle).
        R_HANDLE = 1 << 28;
        /// A vendor-specific command (V).
        V = 1 << 29;
    }
}

impl CommandAttributes {
    /// The command index (bits 15:0), equal to the command code for TCG commands.
    #[must_use]
    pub const fn command_index(self) -> u16 {
        low_u16(self.bits())
    }

    /// The number of handles in the command's handle area (cHandles, bits 27:25).
    #[must_use]
    pub const fn handle_count(self) -> u8 {
        low_u8((self.bits() >> 25) & 0x7)
    }
}

attributes! {
    /// The TPM_PT_PERMANENT property (TPMA_PERMANENT).
    PermanentAttributes(u32) {
        /// An owner authValue is set (ownerAuthSet).
        OWNER_AUTH_SET = 1 << 0;
        /// An endorsement authValue is set (endorsementAuthSet).
        ENDORSEMENT_AUTH_SET = 1 << 1;
        /// A lockout authValue is set (lockoutAuthSet).
        LOCKOUT_AUTH_SET = 1 << 2;
        /// TPM2_Clear is disabled (disableClear).
        DISABLE_CLEAR = 1 << 8;
        /// The TPM is in dictionary-attack lockout (inLockout).
        IN_LOCKOUT = 1 << 9;
        /// The EPS was generated by the TPM (tpmGeneratedEPS).
        TPM_GENERATED_EPS = 1 << 10;
    }
}

attributes! {
    /// The TPM_PT_STARTUP_CLEAR property (TPMA_STARTUP_CLEAR).
    StartupClearAttributes(u32) {
        /// The platform hierarchy is enabled (phEnable).
        PH_ENABLE = 1 << 0;
        /// The storage hierarchy is enabled (shEnable).
        SH_ENABLE = 1 << 1;
        /// The endorsement hierarchy is enabled (ehEnable).
        EH_ENABLE = 1 << 2;
        /// Platform NV indices are enabled (phEnableNV).
        PH_ENABLE_NV = 1 << 3;
        /// The last shutdown was orderly (orderly).
        ORDERLY = 1 << 31;
    }
}
