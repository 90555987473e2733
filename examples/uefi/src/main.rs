//! Booted by OVMF with a TPM behind tpm-tis or tpm-crb, after the firmware's own TPM stack
//! ran: drives the TPM from the guest CPU over MMIO (whichever interface the probe finds),
//! then through `EFI_TCG2_PROTOCOL.SubmitCommand`, and checks that the firmware's
//! SubmitCommand works before and after. Prints one `tpm2-uefi:` line per step on the
//! console (OVMF copies it to the serial port), then powers the machine off.
#![no_std]
#![no_main]

use core::ptr::NonNull;

use tpm2_cmds::ek::RSA_2048_TEMPLATE;
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
    let handle = match tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY) {
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

#[entry]
fn main() -> Status {
    println!("tpm2-uefi: start");
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
