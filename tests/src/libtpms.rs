//! The TCG reference implementation in-process: libtpms (Debian `libtpms-dev`) as a
//! [`Transport`], with NV state in memory.
//!
//! libtpms holds one TPM per process, so [`Libtpms::start`] takes a process-wide lock for the
//! lifetime of the value: tests using it run one after another.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{CStr, c_char};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tpm2_wire::{Transport, TransportError, TransportErrorKind};

type TpmResult = u32;
const TPM_SUCCESS: TpmResult = 0;
/// libtpms' "no state stored yet" answer to a load.
const TPM_RETRY: TpmResult = 0x800;
const TPM_FAIL: TpmResult = 9;
const TPMLIB_TPM_VERSION_2: u32 = 1;

#[repr(C)]
struct Callbacks {
    size_of_struct: i32,
    nvram_init: Option<extern "C" fn() -> TpmResult>,
    nvram_loaddata: Option<extern "C" fn(*mut *mut u8, *mut u32, u32, *const c_char) -> TpmResult>,
    nvram_storedata: Option<extern "C" fn(*const u8, u32, u32, *const c_char) -> TpmResult>,
    nvram_deletename: Option<extern "C" fn(u32, *const c_char, u8) -> TpmResult>,
    io_init: Option<extern "C" fn() -> TpmResult>,
    io_getlocality: Option<extern "C" fn(*mut u32, u32) -> TpmResult>,
    io_getphysicalpresence: Option<extern "C" fn(*mut u8, u32) -> TpmResult>,
}

#[link(name = "tpms")]
unsafe extern "C" {
    fn TPMLIB_ChooseTPMVersion(version: u32) -> TpmResult;
    fn TPMLIB_RegisterCallbacks(callbacks: *mut Callbacks) -> TpmResult;
    fn TPMLIB_MainInit() -> TpmResult;
    fn TPMLIB_Terminate();
    fn TPMLIB_Process(
        rsp: *mut *mut u8,
        rsp_size: *mut u32,
        rsp_buf_size: *mut u32,
        command: *mut u8,
        command_size: u32,
    ) -> TpmResult;
    fn TPM_Malloc(buffer: *mut *mut u8, size: u32) -> TpmResult;
    fn TPM_Free(buffer: *mut u8);
}

/// The one TPM of this process.
static INSTANCE: Mutex<()> = Mutex::new(());
/// Its NV state, by libtpms' file name.
static NV: Mutex<Option<HashMap<String, Vec<u8>>>> = Mutex::new(None);
/// The locality of the commands.
static LOCALITY: Mutex<u32> = Mutex::new(0);

fn nv() -> MutexGuard<'static, Option<HashMap<String, Vec<u8>>>> {
    NV.lock().unwrap_or_else(PoisonError::into_inner)
}

fn name_of(name: *const c_char) -> String {
    if name.is_null() {
        return String::new();
    }
    // SAFETY: libtpms passes a NUL-terminated name that lives for the call.
    unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}

extern "C" fn nvram_init() -> TpmResult {
    TPM_SUCCESS
}

extern "C" fn nvram_loaddata(
    data: *mut *mut u8,
    length: *mut u32,
    _tpm: u32,
    name: *const c_char,
) -> TpmResult {
    let store = nv();
    let Some(bytes) = store.as_ref().and_then(|s| s.get(&name_of(name))) else {
        return TPM_RETRY;
    };
    let Ok(len) = u32::try_from(bytes.len()) else {
        return TPM_FAIL;
    };
    let mut out: *mut u8 = std::ptr::null_mut();
    // SAFETY: TPM_Malloc writes a buffer of `len` bytes to `out`; libtpms frees it.
    if unsafe { TPM_Malloc(&raw mut out, len) } != TPM_SUCCESS || out.is_null() {
        return TPM_FAIL;
    }
    // SAFETY: `out` holds `len` writable bytes; `data` and `length` are libtpms' out-pointers.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
        *data = out;
        *length = len;
    }
    TPM_SUCCESS
}

extern "C" fn nvram_storedata(
    data: *const u8,
    length: u32,
    _tpm: u32,
    name: *const c_char,
) -> TpmResult {
    let bytes = if data.is_null() || length == 0 {
        Vec::new()
    } else {
        // SAFETY: libtpms passes `length` readable bytes at `data` for the call.
        unsafe { std::slice::from_raw_parts(data, length as usize) }.to_vec()
    };
    nv().get_or_insert_with(HashMap::new)
        .insert(name_of(name), bytes);
    TPM_SUCCESS
}

extern "C" fn nvram_deletename(_tpm: u32, name: *const c_char, _must_exist: u8) -> TpmResult {
    if let Some(store) = nv().as_mut() {
        store.remove(&name_of(name));
    }
    TPM_SUCCESS
}

extern "C" fn io_init() -> TpmResult {
    TPM_SUCCESS
}

extern "C" fn io_getlocality(locality: *mut u32, _tpm: u32) -> TpmResult {
    let l = *LOCALITY.lock().unwrap_or_else(PoisonError::into_inner);
    // SAFETY: libtpms passes a valid out-pointer.
    unsafe { *locality = l };
    TPM_SUCCESS
}

extern "C" fn io_getphysicalpresence(present: *mut u8, _tpm: u32) -> TpmResult {
    // SAFETY: libtpms passes a valid out-pointer.
    unsafe { *present = 0 };
    TPM_SUCCESS
}

/// A failure of libtpms itself (not a TPM response code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibtpmsError {
    /// The libtpms call that failed.
    pub call: &'static str,
    /// Its TPM_RESULT.
    pub result: u32,
}

impl std::fmt::Display for LibtpmsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed with {:#x}", self.call, self.result)
    }
}

impl std::error::Error for LibtpmsError {}

impl TransportError for LibtpmsError {
    fn kind(&self) -> TransportErrorKind {
        TransportErrorKind::Other
    }
}

fn check(call: &'static str, result: TpmResult) -> Result<(), LibtpmsError> {
    if result == TPM_SUCCESS {
        Ok(())
    } else {
        Err(LibtpmsError { call, result })
    }
}

/// The in-process reference TPM. Dropping it terminates the TPM and releases the process
/// lock; the NV state is discarded by the next [`Libtpms::start`].
#[derive(Debug)]
pub struct Libtpms {
    _instance: MutexGuard<'static, ()>,
}

impl Libtpms {
    /// Manufactures a fresh TPM 2.0 (empty NV) and powers it on. TPM2_Startup is the
    /// caller's.
    pub fn start() -> Result<Self, LibtpmsError> {
        let guard = INSTANCE.lock().unwrap_or_else(PoisonError::into_inner);
        *nv() = Some(HashMap::new());
        let tpm = Self { _instance: guard };
        let mut callbacks = Callbacks {
            size_of_struct: i32::try_from(std::mem::size_of::<Callbacks>()).unwrap_or(0),
            nvram_init: Some(nvram_init),
            nvram_loaddata: Some(nvram_loaddata),
            nvram_storedata: Some(nvram_storedata),
            nvram_deletename: Some(nvram_deletename),
            io_init: Some(io_init),
            io_getlocality: Some(io_getlocality),
            io_getphysicalpresence: Some(io_getphysicalpresence),
        };
        // SAFETY: plain calls into libtpms with a valid callback table, which libtpms copies;
        // the process lock held by `tpm` keeps other threads out.
        unsafe {
            check(
                "TPMLIB_ChooseTPMVersion",
                TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2),
            )?;
            check(
                "TPMLIB_RegisterCallbacks",
                TPMLIB_RegisterCallbacks(&raw mut callbacks),
            )?;
            check("TPMLIB_MainInit", TPMLIB_MainInit())?;
        }
        Ok(tpm)
    }

    /// Powers the TPM off and on, keeping its NV: volatile state is lost and TPM2_Startup is
    /// needed again.
    pub fn power_cycle(&mut self) -> Result<(), LibtpmsError> {
        // SAFETY: libtpms was initialised by `start`; the process lock is held.
        unsafe {
            TPMLIB_Terminate();
            check("TPMLIB_MainInit", TPMLIB_MainInit())
        }
    }

    /// Sets the locality of the following commands.
    pub fn set_locality(&mut self, locality: u8) {
        *LOCALITY.lock().unwrap_or_else(PoisonError::into_inner) = locality.into();
    }
}

impl Transport for Libtpms {
    type Error = LibtpmsError;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], LibtpmsError> {
        let mut command = buf.get(..command_len).unwrap_or_default().to_vec();
        let mut rsp: *mut u8 = std::ptr::null_mut();
        let (mut rsp_size, mut rsp_buf_size) = (0u32, 0u32);
        let len = u32::try_from(command.len()).unwrap_or(u32::MAX);
        // SAFETY: `command` is a valid buffer of `len` bytes; libtpms allocates the response
        // and reports its size through the out-pointers.
        let result = unsafe {
            TPMLIB_Process(
                &raw mut rsp,
                &raw mut rsp_size,
                &raw mut rsp_buf_size,
                command.as_mut_ptr(),
                len,
            )
        };
        let size = rsp_size as usize;
        let copied = if rsp.is_null() {
            0
        } else {
            // SAFETY: libtpms wrote `rsp_size` bytes at `rsp`, which it allocated.
            let bytes = unsafe { std::slice::from_raw_parts(rsp, size) };
            let n = size.min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            // SAFETY: `rsp` came from libtpms' allocator and is not used after this.
            unsafe { TPM_Free(rsp) };
            n
        };
        check("TPMLIB_Process", result)?;
        if copied < size {
            return Err(LibtpmsError {
                call: "TPMLIB_Process (response larger than buffer)",
                result: 0,
            });
        }
        Ok(&buf[..copied])
    }
}

impl Drop for Libtpms {
    fn drop(&mut self) {
        // SAFETY: libtpms was initialised by `start`; the process lock is still held.
        unsafe { TPMLIB_Terminate() };
    }
}
