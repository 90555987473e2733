//! libtss2-mu (tpm2-tss), through its C API: the same parameters marshaled one structure at a
//! time, as ESAPI does, from C structures it unmarshaled once from the same bytes. The C
//! structures are kept as opaque, suitably aligned byte blocks: only libtss2-mu reads them.

use core::ffi::c_void;

/// A C structure libtss2-mu fills: larger and more aligned than any TPM2B or TPMS it has.
#[repr(C, align(16))]
pub struct Opaque([u8; 8192]);

impl Opaque {
    fn new() -> Box<Self> {
        Box::new(Self([0; 8192]))
    }
    fn ptr(&self) -> *const c_void {
        self.0.as_ptr().cast()
    }
    fn ptr_mut(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }
}

type Marshal = unsafe extern "C" fn(*const c_void, *mut u8, usize, *mut usize) -> u32;
type Unmarshal = unsafe extern "C" fn(*const u8, usize, *mut usize, *mut c_void) -> u32;

unsafe extern "C" {
    fn Tss2_MU_UINT16_Marshal(src: u16, buf: *mut u8, size: usize, offset: *mut usize) -> u32;
    fn Tss2_MU_UINT32_Marshal(src: u32, buf: *mut u8, size: usize, offset: *mut usize) -> u32;
    fn Tss2_MU_UINT16_Unmarshal(
        buf: *const u8,
        size: usize,
        offset: *mut usize,
        dest: *mut u16,
    ) -> u32;
    fn Tss2_MU_UINT32_Unmarshal(
        buf: *const u8,
        size: usize,
        offset: *mut usize,
        dest: *mut u32,
    ) -> u32;
    fn Tss2_MU_TPMS_AUTH_COMMAND_Marshal(
        s: *const c_void,
        b: *mut u8,
        n: usize,
        o: *mut usize,
    ) -> u32;
    fn Tss2_MU_TPMS_AUTH_COMMAND_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
    fn Tss2_MU_TPMS_AUTH_RESPONSE_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
    fn Tss2_MU_TPM2B_SENSITIVE_CREATE_Marshal(
        s: *const c_void,
        b: *mut u8,
        n: usize,
        o: *mut usize,
    ) -> u32;
    fn Tss2_MU_TPM2B_SENSITIVE_CREATE_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
    fn Tss2_MU_TPM2B_PUBLIC_Marshal(s: *const c_void, b: *mut u8, n: usize, o: *mut usize) -> u32;
    fn Tss2_MU_TPM2B_PUBLIC_Unmarshal(b: *const u8, n: usize, o: *mut usize, d: *mut c_void)
    -> u32;
    fn Tss2_MU_TPM2B_DATA_Marshal(s: *const c_void, b: *mut u8, n: usize, o: *mut usize) -> u32;
    fn Tss2_MU_TPM2B_DATA_Unmarshal(b: *const u8, n: usize, o: *mut usize, d: *mut c_void) -> u32;
    fn Tss2_MU_TPML_PCR_SELECTION_Marshal(
        s: *const c_void,
        b: *mut u8,
        n: usize,
        o: *mut usize,
    ) -> u32;
    fn Tss2_MU_TPML_PCR_SELECTION_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
    fn Tss2_MU_TPM2B_CREATION_DATA_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
    fn Tss2_MU_TPM2B_DIGEST_Unmarshal(b: *const u8, n: usize, o: *mut usize, d: *mut c_void)
    -> u32;
    fn Tss2_MU_TPMT_TK_CREATION_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
    fn Tss2_MU_TPM2B_NAME_Unmarshal(b: *const u8, n: usize, o: *mut usize, d: *mut c_void) -> u32;
    fn Tss2_MU_TPM2B_NV_PUBLIC_Unmarshal(
        b: *const u8,
        n: usize,
        o: *mut usize,
        d: *mut c_void,
    ) -> u32;
}

/// The bytes of a destination cleared before each unmarshal: libtss2-mu refuses to fill a
/// TPM2B whose size is not zero, and ESAPI hands it freshly zeroed structures (`calloc`).
/// Larger than any structure decoded here (TPM2B_PUBLIC, TPM2B_CREATION_DATA, TPM2B_NV_PUBLIC).
const CLEARED: usize = 1024;

/// Unmarshals with `f` from `bytes` at `*offset` into `dest`, cleared first; false on a
/// libtss2-mu error.
fn unmarshal(f: Unmarshal, bytes: &[u8], offset: &mut usize, dest: &mut Opaque) -> bool {
    dest.0[..CLEARED].fill(0);
    // SAFETY: `bytes` is valid for its length, `offset` and `dest` are exclusive borrows and
    // `dest` is larger than any structure libtss2-mu writes.
    unsafe { f(bytes.as_ptr(), bytes.len(), offset, dest.ptr_mut()) == 0 }
}

/// Marshals `src` with `f` into `buf` at `*offset`.
fn marshal(f: Marshal, src: &Opaque, buf: &mut [u8], offset: &mut usize) -> bool {
    // SAFETY: `src` holds a structure libtss2-mu unmarshaled; `buf` is valid for its length.
    unsafe { f(src.ptr(), buf.as_mut_ptr(), buf.len(), offset) == 0 }
}

fn u16_at(bytes: &[u8], offset: &mut usize) -> Option<u16> {
    let mut v = 0u16;
    // SAFETY: `bytes` is valid for its length; `v` and `offset` are exclusive borrows.
    let rc = unsafe { Tss2_MU_UINT16_Unmarshal(bytes.as_ptr(), bytes.len(), offset, &mut v) };
    (rc == 0).then_some(v)
}

fn u32_at(bytes: &[u8], offset: &mut usize) -> Option<u32> {
    let mut v = 0u32;
    // SAFETY: as for `u16_at`.
    let rc = unsafe { Tss2_MU_UINT32_Unmarshal(bytes.as_ptr(), bytes.len(), offset, &mut v) };
    (rc == 0).then_some(v)
}

fn put_u16(v: u16, buf: &mut [u8], offset: &mut usize) -> bool {
    // SAFETY: `buf` is valid for its length; `offset` is an exclusive borrow.
    unsafe { Tss2_MU_UINT16_Marshal(v, buf.as_mut_ptr(), buf.len(), offset) == 0 }
}

fn put_u32(v: u32, buf: &mut [u8], offset: &mut usize) -> bool {
    // SAFETY: as for `put_u16`.
    unsafe { Tss2_MU_UINT32_Marshal(v, buf.as_mut_ptr(), buf.len(), offset) == 0 }
}

/// The EK CreatePrimary's structures as C structures.
pub struct Prepared {
    auth: Box<Opaque>,
    sensitive: Box<Opaque>,
    public: Box<Opaque>,
    outside: Box<Opaque>,
    pcrs: Box<Opaque>,
    scratch: Vec<Box<Opaque>>,
}

/// The structures, unmarshaled once from this project's EK command.
///
/// # Panics
///
/// If libtss2-mu refuses them.
#[must_use]
pub fn prepare() -> Prepared {
    let frame = crate::frames::ek_command();
    let mut p = Prepared {
        auth: Opaque::new(),
        sensitive: Opaque::new(),
        public: Opaque::new(),
        outside: Opaque::new(),
        pcrs: Opaque::new(),
        scratch: (0..6).map(|_| Opaque::new()).collect(),
    };
    // Header (10), handle (4), authorization size (4), then the session and parameters.
    let mut at = 18;
    let ok = unmarshal(
        Tss2_MU_TPMS_AUTH_COMMAND_Unmarshal,
        &frame,
        &mut at,
        &mut p.auth,
    ) && unmarshal(
        Tss2_MU_TPM2B_SENSITIVE_CREATE_Unmarshal,
        &frame,
        &mut at,
        &mut p.sensitive,
    ) && unmarshal(
        Tss2_MU_TPM2B_PUBLIC_Unmarshal,
        &frame,
        &mut at,
        &mut p.public,
    ) && unmarshal(
        Tss2_MU_TPM2B_DATA_Unmarshal,
        &frame,
        &mut at,
        &mut p.outside,
    ) && unmarshal(
        Tss2_MU_TPML_PCR_SELECTION_Unmarshal,
        &frame,
        &mut at,
        &mut p.pcrs,
    );
    assert!(
        ok && at == frame.len(),
        "libtss2-mu refused the EK command at {at}"
    );
    p
}

/// The EK CreatePrimary into `buf`, a structure at a time; its length.
pub fn encode_ek(p: &Prepared, buf: &mut [u8]) -> usize {
    let mut at = 0;
    let ok = put_u16(0x8002, buf, &mut at)
        && put_u32(0, buf, &mut at)
        && put_u32(0x131, buf, &mut at)
        && put_u32(0x4000_000B, buf, &mut at)
        && put_u32(9, buf, &mut at)
        && marshal(Tss2_MU_TPMS_AUTH_COMMAND_Marshal, &p.auth, buf, &mut at)
        && marshal(
            Tss2_MU_TPM2B_SENSITIVE_CREATE_Marshal,
            &p.sensitive,
            buf,
            &mut at,
        )
        && marshal(Tss2_MU_TPM2B_PUBLIC_Marshal, &p.public, buf, &mut at)
        && marshal(Tss2_MU_TPM2B_DATA_Marshal, &p.outside, buf, &mut at)
        && marshal(Tss2_MU_TPML_PCR_SELECTION_Marshal, &p.pcrs, buf, &mut at);
    if !ok {
        return 0;
    }
    let mut size_at = 2;
    put_u32(u32::try_from(at).unwrap_or(0), buf, &mut size_at);
    at
}

/// The CreatePrimary response decoded a structure at a time.
pub fn decode_ek(p: &mut Prepared, rsp: &[u8]) -> bool {
    let mut at = 0;
    let header = u16_at(rsp, &mut at).is_some()
        && u32_at(rsp, &mut at).is_some()
        && u32_at(rsp, &mut at) == Some(0)
        && u32_at(rsp, &mut at).is_some() // handle
        && u32_at(rsp, &mut at).is_some(); // parameterSize
    let [a, b, c, d, e, ..] = p.scratch.as_mut_slice() else {
        return false;
    };
    header
        && unmarshal(Tss2_MU_TPM2B_PUBLIC_Unmarshal, rsp, &mut at, a)
        && unmarshal(Tss2_MU_TPM2B_CREATION_DATA_Unmarshal, rsp, &mut at, b)
        && unmarshal(Tss2_MU_TPM2B_DIGEST_Unmarshal, rsp, &mut at, c)
        && unmarshal(Tss2_MU_TPMT_TK_CREATION_Unmarshal, rsp, &mut at, d)
        && unmarshal(Tss2_MU_TPM2B_NAME_Unmarshal, rsp, &mut at, e)
}

/// DictionaryAttackLockReset into `buf`.
pub fn encode_da(p: &Prepared, buf: &mut [u8]) -> usize {
    let mut at = 0;
    let ok = put_u16(0x8002, buf, &mut at)
        && put_u32(27, buf, &mut at)
        && put_u32(0x139, buf, &mut at)
        && put_u32(0x4000_000A, buf, &mut at)
        && put_u32(9, buf, &mut at)
        && marshal(Tss2_MU_TPMS_AUTH_COMMAND_Marshal, &p.auth, buf, &mut at);
    if ok { at } else { 0 }
}

/// Its response.
pub fn decode_da(p: &mut Prepared, rsp: &[u8]) -> bool {
    let mut at = 0;
    u16_at(rsp, &mut at).is_some()
        && u32_at(rsp, &mut at).is_some()
        && u32_at(rsp, &mut at) == Some(0)
        && u32_at(rsp, &mut at) == Some(0)
        && p.scratch
            .first_mut()
            .is_some_and(|s| unmarshal(Tss2_MU_TPMS_AUTH_RESPONSE_Unmarshal, rsp, &mut at, s))
}

/// NV_ReadPublic into `buf`.
pub fn encode_nv(buf: &mut [u8]) -> usize {
    let mut at = 0;
    let ok = put_u16(0x8001, buf, &mut at)
        && put_u32(14, buf, &mut at)
        && put_u32(0x169, buf, &mut at)
        && put_u32(0x01C0_0002, buf, &mut at);
    if ok { at } else { 0 }
}

/// Its response.
pub fn decode_nv(p: &mut Prepared, rsp: &[u8]) -> bool {
    let mut at = 0;
    let [a, b, ..] = p.scratch.as_mut_slice() else {
        return false;
    };
    u16_at(rsp, &mut at).is_some()
        && u32_at(rsp, &mut at).is_some()
        && u32_at(rsp, &mut at) == Some(0)
        && unmarshal(Tss2_MU_TPM2B_NV_PUBLIC_Unmarshal, rsp, &mut at, a)
        && unmarshal(Tss2_MU_TPM2B_NAME_Unmarshal, rsp, &mut at, b)
}
