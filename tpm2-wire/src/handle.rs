//! TPM_HANDLE, the permanent handles (TPM_RH) and handle types (TPM_HT).

use crate::marshal::open_enum;

open_enum! {
    /// A TPM handle (TPM_HANDLE). The named constants are the permanent handles (TPM_RH / TPM_RS)
    /// and the TCG-reserved handles a provisioning flow uses.
    Handle(u32) {
        OWNER = 0x4000_0001, "TPM_RH_OWNER";
        NULL = 0x4000_0007, "TPM_RH_NULL";
        UNASSIGNED = 0x4000_0008, "TPM_RH_UNASSIGNED";
        PASSWORD = 0x4000_0009, "TPM_RS_PW";
        LOCKOUT = 0x4000_000A, "TPM_RH_LOCKOUT";
        ENDORSEMENT = 0x4000_000B, "TPM_RH_ENDORSEMENT";
        PLATFORM = 0x4000_000C, "TPM_RH_PLATFORM";
        PLATFORM_NV = 0x4000_000D, "TPM_RH_PLATFORM_NV";
    }
}

impl Handle {
    /// The handle type: the most significant byte.
    #[must_use]
    pub const fn handle_type(self) -> HandleType {
        HandleType(self.0.to_be_bytes()[0])
    }
}

open_enum! {
    /// The handle type in a handle's top byte (TPM_HT).
    HandleType(u8) {
        PCR = 0x00, "TPM_HT_PCR";
        NV_INDEX = 0x01, "TPM_HT_NV_INDEX";
        HMAC_SESSION = 0x02, "TPM_HT_HMAC_SESSION";
        POLICY_SESSION = 0x03, "TPM_HT_POLICY_SESSION";
        PERMANENT = 0x40, "TPM_HT_PERMANENT";
        TRANSIENT = 0x80, "TPM_HT_TRANSIENT";
        PERSISTENT = 0x81, "TPM_HT_PERSISTENT";
        AC = 0x90, "TPM_HT_AC";
    }
}

impl HandleType {
    /// The first handle of this type, as GetCapability(TPM_CAP_HANDLES) expects it.
    #[must_use]
    pub const fn first(self) -> Handle {
        Handle(u32::from_be_bytes([self.0, 0, 0, 0]))
    }
}

open_enum! {
    /// A structure tag (TPM_ST).
    Tag(u16) {
        RSP_COMMAND = 0x00C4, "TPM_ST_RSP_COMMAND";
        NULL = 0x8000, "TPM_ST_NULL";
        NO_SESSIONS = 0x8001, "TPM_ST_NO_SESSIONS";
        SESSIONS = 0x8002, "TPM_ST_SESSIONS";
        ATTEST_NV = 0x8014, "TPM_ST_ATTEST_NV";
        ATTEST_COMMAND_AUDIT = 0x8015, "TPM_ST_ATTEST_COMMAND_AUDIT";
        ATTEST_SESSION_AUDIT = 0x8016, "TPM_ST_ATTEST_SESSION_AUDIT";
        ATTEST_CERTIFY = 0x8017, "TPM_ST_ATTEST_CERTIFY";
        ATTEST_QUOTE = 0x8018, "TPM_ST_ATTEST_QUOTE";
        ATTEST_TIME = 0x8019, "TPM_ST_ATTEST_TIME";
        ATTEST_CREATION = 0x801A, "TPM_ST_ATTEST_CREATION";
        ATTEST_NV_DIGEST = 0x801C, "TPM_ST_ATTEST_NV_DIGEST";
        CREATION = 0x8021, "TPM_ST_CREATION";
        VERIFIED = 0x8022, "TPM_ST_VERIFIED";
        AUTH_SECRET = 0x8023, "TPM_ST_AUTH_SECRET";
        HASHCHECK = 0x8024, "TPM_ST_HASHCHECK";
        AUTH_SIGNED = 0x8025, "TPM_ST_AUTH_SIGNED";
        FU_MANIFEST = 0x8029, "TPM_ST_FU_MANIFEST";
    }
}

open_enum! {
    /// The Startup / Shutdown type (TPM_SU).
    StartupType(u16) {
        CLEAR = 0x0000, "TPM_SU_CLEAR";
        STATE = 0x0001, "TPM_SU_STATE";
    }
}

/// TCG-reserved handles and NV indices used by EK provisioning (TCG EK Credential Profile,
/// TCG TPM v2.0 Provisioning Guidance).
pub mod reserved {
    use super::Handle;

    /// The persistent RSA endorsement key.
    pub const RSA_EK: Handle = Handle(0x8101_0001);
    /// The persistent ECC endorsement key.
    pub const ECC_EK: Handle = Handle(0x8101_0002);
    /// The persistent RSA storage root key.
    pub const SRK: Handle = Handle(0x8100_0001);
    /// NV index of the RSA 2048 EK certificate.
    pub const RSA_EK_CERT_NV: Handle = Handle(0x01C0_0002);
    /// NV index of the RSA EK nonce.
    pub const RSA_EK_NONCE_NV: Handle = Handle(0x01C0_0003);
    /// NV index of the RSA EK template.
    pub const RSA_EK_TEMPLATE_NV: Handle = Handle(0x01C0_0004);
    /// NV index of the ECC P-256 EK certificate.
    pub const ECC_EK_CERT_NV: Handle = Handle(0x01C0_000A);
    /// NV index of the ECC EK nonce.
    pub const ECC_EK_NONCE_NV: Handle = Handle(0x01C0_000B);
    /// NV index of the ECC EK template.
    pub const ECC_EK_TEMPLATE_NV: Handle = Handle(0x01C0_000C);
}
