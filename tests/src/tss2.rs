//! tpm2-tss as an oracle: `Tss2_RC_Decode` (libtss2-rc) and the `Tss2_MU_*` marshalling
//! functions (libtss2-mu).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char};

#[link(name = "tss2-rc")]
unsafe extern "C" {
    fn Tss2_RC_Decode(rc: u32) -> *const c_char;
}

/// The text tpm2-tss prints for `rc`.
#[must_use]
pub fn rc_decode(rc: u32) -> String {
    // SAFETY: Tss2_RC_Decode accepts any value and returns a pointer to a NUL-terminated
    // thread-local buffer that stays valid until the next call on this thread; it is copied
    // before this function returns.
    unsafe { CStr::from_ptr(Tss2_RC_Decode(rc)) }
        .to_string_lossy()
        .into_owned()
}

type UnmarshalFn = unsafe extern "C" fn(*const u8, usize, *mut usize, *mut u8) -> u32;
type MarshalFn = unsafe extern "C" fn(*const u8, *mut u8, usize, *mut usize) -> u32;

macro_rules! mu_types {
    ($($variant:ident => $unmarshal:ident, $marshal:ident;)*) => {
        #[link(name = "tss2-mu")]
        unsafe extern "C" {
            $(
                fn $unmarshal(buf: *const u8, size: usize, offset: *mut usize, dest: *mut u8) -> u32;
                fn $marshal(src: *const u8, buf: *mut u8, size: usize, offset: *mut usize) -> u32;
            )*
        }

        /// The tpm2-tss types the differential tests compare against.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum MuType { $( #[allow(missing_docs)] $variant, )* }

        impl MuType {
            fn functions(self) -> (UnmarshalFn, MarshalFn) {
                match self { $( Self::$variant => ($unmarshal, $marshal), )* }
            }
        }
    };
}

mu_types! {
    TpmtPublic => Tss2_MU_TPMT_PUBLIC_Unmarshal, Tss2_MU_TPMT_PUBLIC_Marshal;
    Tpm2bPublic => Tss2_MU_TPM2B_PUBLIC_Unmarshal, Tss2_MU_TPM2B_PUBLIC_Marshal;
    TpmsNvPublic => Tss2_MU_TPMS_NV_PUBLIC_Unmarshal, Tss2_MU_TPMS_NV_PUBLIC_Marshal;
    Tpm2bNvPublic => Tss2_MU_TPM2B_NV_PUBLIC_Unmarshal, Tss2_MU_TPM2B_NV_PUBLIC_Marshal;
    TpmsCreationData => Tss2_MU_TPMS_CREATION_DATA_Unmarshal, Tss2_MU_TPMS_CREATION_DATA_Marshal;
    TpmtTkCreation => Tss2_MU_TPMT_TK_CREATION_Unmarshal, Tss2_MU_TPMT_TK_CREATION_Marshal;
    TpmlPcrSelection => Tss2_MU_TPML_PCR_SELECTION_Unmarshal, Tss2_MU_TPML_PCR_SELECTION_Marshal;
    TpmlDigestValues => Tss2_MU_TPML_DIGEST_VALUES_Unmarshal, Tss2_MU_TPML_DIGEST_VALUES_Marshal;
    TpmsCapabilityData => Tss2_MU_TPMS_CAPABILITY_DATA_Unmarshal, Tss2_MU_TPMS_CAPABILITY_DATA_Marshal;
    TpmsAuthCommand => Tss2_MU_TPMS_AUTH_COMMAND_Unmarshal, Tss2_MU_TPMS_AUTH_COMMAND_Marshal;
    TpmsAuthResponse => Tss2_MU_TPMS_AUTH_RESPONSE_Unmarshal, Tss2_MU_TPMS_AUTH_RESPONSE_Marshal;
    Tpm2bSensitiveCreate => Tss2_MU_TPM2B_SENSITIVE_CREATE_Unmarshal, Tss2_MU_TPM2B_SENSITIVE_CREATE_Marshal;
}

/// Bytes of the C structure tpm2-tss decodes into: larger than any of the types above
/// (the largest, TPMS_CAPABILITY_DATA, is about 1 KiB on x86_64).
const STRUCT_BYTES: usize = 64 * 1024;

/// What tpm2-tss made of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuRoundTrip {
    /// How many input bytes `Tss2_MU_<T>_Unmarshal` consumed.
    pub consumed: usize,
    /// What `Tss2_MU_<T>_Marshal` wrote for the decoded structure.
    pub remarshalled: Vec<u8>,
}

/// Decodes `bytes` as `ty` with tpm2-tss, then encodes the result again with tpm2-tss.
/// `Err` carries the TSS2_RC of the failing call.
pub fn mu_round_trip(ty: MuType, bytes: &[u8]) -> Result<MuRoundTrip, u32> {
    let (unmarshal, marshal) = ty.functions();
    // u64 elements give the C structure 8-byte alignment.
    let mut dest = vec![0u64; STRUCT_BYTES / 8];
    let dest = dest.as_mut_ptr().cast::<u8>();
    let mut consumed = 0usize;
    // SAFETY: `bytes` is valid for `bytes.len()` reads; `consumed` is a valid out-pointer;
    // `dest` points to STRUCT_BYTES writable, 8-aligned bytes, more than the C structure.
    let rc = unsafe { unmarshal(bytes.as_ptr(), bytes.len(), &raw mut consumed, dest) };
    if rc != 0 {
        return Err(rc);
    }
    let mut out = vec![0u8; 8192];
    let mut written = 0usize;
    // SAFETY: `dest` holds the structure tpm2-tss just decoded; `out` is valid for
    // `out.len()` writes and `written` is a valid out-pointer.
    let rc = unsafe { marshal(dest, out.as_mut_ptr(), out.len(), &raw mut written) };
    if rc != 0 {
        return Err(rc);
    }
    out.truncate(written);
    Ok(MuRoundTrip {
        consumed,
        remarshalled: out,
    })
}
