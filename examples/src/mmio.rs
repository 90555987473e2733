//! Real hardware through /dev/mem: refused unless running as root with no kernel driver
//! owning the TPM (two drivers on one TPM corrupt each other's commands).

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;

use tpm2_tis::{DEFAULT_BASE, Mmio, WINDOW_LEN};

use crate::backend::OpenFailure;

unsafe extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
}

const PROT_READ_WRITE: i32 = 0x1 | 0x2;
const MAP_SHARED: i32 = 0x01;

fn refuse(summary: &str, remedy: &str) -> OpenFailure {
    OpenFailure {
        interface: "none",
        summary: summary.to_owned(),
        remedy: remedy.to_owned(),
    }
}

/// Maps the TPM window at 0xFED40000.
pub(crate) fn open() -> Result<Mmio, OpenFailure> {
    let uid = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout);
    if !uid.is_ok_and(|u| u.trim_ascii() == b"0") {
        return Err(refuse(
            "mmio needs root",
            "Run as root, or use dev:/dev/tpmrm0.",
        ));
    }
    if std::path::Path::new("/sys/class/tpm/tpm0").exists() {
        return Err(refuse(
            "a kernel driver owns the TPM (/sys/class/tpm/tpm0)",
            "Use --backend dev:/dev/tpmrm0, or unload tpm_tis / tpm_crb first.",
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/mem")
        .map_err(|e| {
            refuse(
                &format!("/dev/mem: {e}"),
                "Boot with iomem=relaxed or use dev:",
            )
        })?;
    let offset = i64::try_from(DEFAULT_BASE).unwrap_or(0);
    // SAFETY: maps WINDOW_LEN bytes of the TPM's physical window, shared with the device;
    // the result is checked before use and the mapping is never unmapped (it lives as long
    // as the process, like the `Mmio` built on it).
    let ptr = unsafe {
        mmap(
            std::ptr::null_mut(),
            WINDOW_LEN,
            PROT_READ_WRITE,
            MAP_SHARED,
            file.as_raw_fd(),
            offset,
        )
    };
    let Some(base) = NonNull::new(ptr).filter(|p| p.as_ptr() as isize != -1) else {
        return Err(refuse(
            "mmap of /dev/mem failed",
            "Check CONFIG_STRICT_DEVMEM / iomem=relaxed.",
        ));
    };
    // SAFETY: `base` maps the TPM's WINDOW_LEN-byte register window for the rest of the
    // process; no kernel driver is bound (checked above) and this is the only mapping made.
    Ok(unsafe { Mmio::new(base, WINDOW_LEN) })
}
