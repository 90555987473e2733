//! Booted by OVMF with a TPM behind tpm-tis or tpm-crb, after the firmware's own TPM stack
//! ran: drives the TPM from the guest CPU over MMIO (whichever interface the probe finds),
//! then through `EFI_TCG2_PROTOCOL.SubmitCommand`, and checks that the firmware's
//! SubmitCommand works before and after. First it prints the firmware's crypto-agile event
//! log (`EFI_TCG2_PROTOCOL.GetEventLog`) in hex and the PCRs of each bank it declares, for the
//! host to replay. Prints one `tpm2-uefi:` line per step on the console (OVMF copies it to the
//! serial port), then powers the machine off.
#![no_std]
#![no_main]

use core::ptr::NonNull;

use tpm2_cmds::ek::EkKind;
use tpm2_cmds::{Error, Tpm};
use tpm2_crb::Device;
use tpm2_tis::{DEFAULT_BASE, Mmio, WINDOW_LEN};
use tpm2_uefi::{Stall, Tcg2};
use tpm2_wire::{Auth, StartupType, Transport, reserved};
use uefi::prelude::*;
use uefi::{print, println};

/// A TPM failure's response code, or 0 for a transport failure.
fn rc<E>(e: &Error<E>) -> u32 {
    e.tpm().map_or(0, |t| t.code.raw())
}

/// Startup, GetRandom, NV_ReadPublic of the RSA EK certificate index, the RSA EK
/// CreatePrimary (flushed after), each printed as `tpm2-uefi: <via> <step> <result>`.
fn flow<T: Transport>(via: &str, transport: T) {
    let mut tpm: Tpm<T, Stall> = Tpm::new(transport, Stall);
    match tpm.startup(StartupType::CLEAR) {
        Ok(o) => println!("tpm2-uefi: {via} startup {o:?}"),
        Err(e) => println!("tpm2-uefi: {via} startup error {e}"),
    }
    match tpm.get_random(16) {
        Ok(d) => println!("tpm2-uefi: {via} get_random {} bytes", d.as_bytes().len()),
        Err(e) => println!("tpm2-uefi: {via} get_random error {e}"),
    }
    match tpm.nv_read_public(reserved::RSA_EK_CERT_NV) {
        Ok(_) => println!("tpm2-uefi: {via} nv_read_public defined"),
        Err(e) => println!("tpm2-uefi: {via} nv_read_public rc={:#x} {e}", rc(&e)),
    }
    let handle = match tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY) {
        Ok(ek) => {
            print!("tpm2-uefi: {via} ek name=");
            for b in ek.name.as_bytes() {
                print!("{b:02x}");
            }
            println!();
            Some(ek.handle)
        }
        Err(e) => {
            println!("tpm2-uefi: {via} ek error rc={:#x} {e}", rc(&e));
            None
        }
    };
    if let Some(handle) = handle {
        match tpm.flush_context(handle) {
            Ok(()) => println!("tpm2-uefi: {via} flush ok"),
            Err(e) => println!("tpm2-uefi: {via} flush error {e}"),
        }
    }
}

/// The firmware's own TPM stack: GetRandom through SubmitCommand.
fn firmware_check(when: &str) {
    let transport = match Tcg2::open() {
        Ok(t) => t,
        Err(e) => return println!("tpm2-uefi: firmware-{when} error {e}"),
    };
    let mut tpm: Tpm<Tcg2, Stall> = Tpm::new(transport, Stall);
    match tpm.get_random(8) {
        Ok(d) => println!("tpm2-uefi: firmware-{when} ok {} bytes", d.as_bytes().len()),
        Err(e) => println!("tpm2-uefi: firmware-{when} error {e}"),
    }
}

fn mmio() {
    let Some(base) = NonNull::new(DEFAULT_BASE as *mut u8) else {
        return;
    };
    // SAFETY: OVMF identity-maps the TPM window at 0xFED40000 as uncached device memory;
    // nothing else touches it while this application runs (the firmware's TPM driver only
    // runs inside the boot services this code calls, never concurrently).
    let window = unsafe { Mmio::new(base, WINDOW_LEN) };
    let device = match Device::open(window, Stall, Default::default(), Default::default()) {
        Ok(d) => d,
        Err(e) => return println!("tpm2-uefi: mmio open error {e}"),
    };
    let p = *device.probe();
    println!(
        "tpm2-uefi: mmio probe interface={:?} family_source={:?} vendor={:#06x} holds_locality={}",
        p.interface,
        p.family_source,
        p.vendor_id,
        device.holds_locality()
    );
    flow("mmio", device);
}

/// Little-endian `u32` at `at`.
fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 4)?;
    usize::try_from(u32::from_le_bytes(b.try_into().ok()?)).ok()
}

/// The firmware's memory from `start`, `len` bytes long.
///
/// # Safety
///
/// `start..start + len` must be memory the firmware reported as the event log.
unsafe fn firmware_bytes(start: u64, len: usize) -> &'static [u8] {
    // SAFETY: the caller passes a range inside the log GetEventLog reported; boot-services
    // memory stays mapped (identity) and unchanged while this application runs.
    unsafe { core::slice::from_raw_parts(start as usize as *const u8, len) }
}

/// The length of the TCG_PCR_EVENT2 at `at` (the log's last entry), from the digest sizes of
/// the Spec ID `header`; `None` if the record is inconsistent.
fn last_event_len(header: &[u8], at: u64) -> Option<usize> {
    let spec = header.get(32..)?;
    let count = le32(spec, 24)?;
    let size_of = |alg: u16| {
        (0..count).find_map(|i| {
            let e = spec.get(28 + 4 * i..32 + 4 * i)?;
            (u16::from_le_bytes([e[0], e[1]]) == alg)
                .then(|| usize::from(u16::from_le_bytes([e[2], e[3]])))
        })
    };
    // SAFETY: the last entry starts at `at`; its fixed part is 12 bytes.
    let fixed = unsafe { firmware_bytes(at, 12) };
    let mut len = 12;
    for _ in 0..le32(fixed, 8)?.min(16) {
        // SAFETY: each digest follows the previous one inside the last entry.
        let alg = unsafe { firmware_bytes(at + len as u64, 2) };
        len += 2 + size_of(u16::from_le_bytes([alg[0], alg[1]]))?;
    }
    // SAFETY: the event size follows the digests.
    let size = le32(unsafe { firmware_bytes(at + len as u64, 4) }, 0)?;
    Some(len + 4 + size)
}

/// GetEventLog(TCG_2): the log's bytes, from its Spec ID header to the end of its last entry.
fn event_log(tcg: &mut uefi::proto::tcg::v2::Tcg) -> Result<&'static [u8], Status> {
    use uefi_raw::protocol::tcg::v2::{Tcg2EventLogFormat, Tcg2Protocol};
    let this = core::ptr::from_mut(tcg).cast::<Tcg2Protocol>();
    let (mut location, mut last, mut truncated) = (0u64, 0u64, uefi_raw::Boolean::FALSE);
    // SAFETY: `Tcg` is a `repr(transparent)` wrapper of `Tcg2Protocol`, so `this` points to the
    // firmware's protocol structure; the out-pointers are valid locals.
    let status = unsafe {
        ((*this).get_event_log)(
            this,
            Tcg2EventLogFormat::TCG_2,
            &mut location,
            &mut last,
            &mut truncated,
        )
    };
    if status.is_error() {
        return Err(status);
    }
    if location == 0 || last < location {
        return Err(Status::NOT_FOUND);
    }
    // SAFETY: the header record starts the log; its fixed part is 32 bytes.
    let header_size = le32(unsafe { firmware_bytes(location, 32) }, 28).ok_or(Status::NOT_FOUND)?;
    // SAFETY: the header record is 32 bytes and its event data.
    let header = unsafe { firmware_bytes(location, 32 + header_size) };
    let last_len = if last == location {
        0
    } else {
        last_event_len(header, last).ok_or(Status::VOLUME_CORRUPTED)?
    };
    let end = if last == location {
        location + header.len() as u64
    } else {
        last + last_len as u64
    };
    // SAFETY: from the header to the end of the last entry, all inside the reported log.
    Ok(unsafe { firmware_bytes(location, (end - location) as usize) })
}

/// The event log in hex (`tpm2-uefi: eventlog <hex>`, 64 bytes a line) and then each bank's
/// PCRs (`tpm2-uefi: pcr <bank> <index> <hex>`), read through the firmware right after, before
/// anything else could extend them.
fn dump_event_log() {
    let mut transport = match Tcg2::open() {
        Ok(t) => t,
        Err(e) => return println!("tpm2-uefi: eventlog error {e}"),
    };
    match event_log(transport.protocol()) {
        Ok(log) => {
            println!("tpm2-uefi: eventlog-size {}", log.len());
            for line in log.chunks(64) {
                print!("tpm2-uefi: eventlog ");
                for b in line {
                    print!("{b:02x}");
                }
                println!();
            }
        }
        Err(status) => return println!("tpm2-uefi: eventlog error {status:?}"),
    }
    let mut tpm: Tpm<Tcg2, Stall> = Tpm::new(transport, Stall);
    for (name, bank) in [
        ("sha1", tpm2_wire::AlgId::SHA1),
        ("sha256", tpm2_wire::AlgId::SHA256),
    ] {
        match tpm.pcr_read_bank(bank) {
            Ok(values) => {
                for (index, value) in values.iter() {
                    print!("tpm2-uefi: pcr {name} {index} ");
                    for b in value {
                        print!("{b:02x}");
                    }
                    println!();
                }
            }
            Err(e) => println!("tpm2-uefi: pcr {name} error {e}"),
        }
    }
}

#[entry]
fn main() -> Status {
    println!("tpm2-uefi: start");
    dump_event_log();
    firmware_check("before");
    mmio();
    firmware_check("after");
    match Tcg2::open() {
        Ok(t) => flow("tcg2", t),
        Err(e) => println!("tpm2-uefi: tcg2 open error {e}"),
    }
    firmware_check("end");
    println!("tpm2-uefi: done");
    uefi::runtime::reset(uefi::runtime::ResetType::SHUTDOWN, Status::SUCCESS, None)
}
