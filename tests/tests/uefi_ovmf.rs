//! The drivers where they live: a UEFI application booted by OVMF in QEMU (TCG), swtpm behind
//! tpm-tis and tpm-crb, real MMIO from the guest CPU after the firmware's TPM stack ran, then
//! the same commands through EFI_TCG2_PROTOCOL. The firmware's own SubmitCommand must work
//! before, between and after; the EK must be the one tpm2-tools derives on the same TPM.

use core::fmt::Write;

use tpm2_tests::ovmf::{Boot, boot, uefi_app};
use tpm2_tests::qemu::Device;
use tpm2_tests::swtpm::SwtpmServer;

fn run(device: Device) -> Boot {
    let efi = uefi_app().unwrap_or_else(|e| panic!("{e}"));
    boot(&efi, device).unwrap_or_else(|e| panic!("{e}"))
}

fn expect(boot: &Boot, step: &str, want: &str) {
    let got = boot.step(step);
    assert!(
        got.is_some_and(|g| g.starts_with(want)),
        "step {step:?}: want {want:?}, got {got:?}; console:\n{}",
        boot.serial
    );
}

/// The Name tpm2_createek gives the RSA EK on the TPM state the guest used, in hex.
fn tpm2_createek_name(state: std::path::PathBuf) -> String {
    SwtpmServer::tpm2_createek_name(state)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

fn check(device: Device, interface: &str) {
    let boot = run(device);
    expect(&boot, "start", "");
    // The firmware's stack works before our driver, and still works after it ran.
    for when in ["firmware-before", "firmware-after", "firmware-end"] {
        expect(&boot, when, "ok 8 bytes");
    }
    // Locality 0 was left granted by OVMF, so the driver keeps it (as found).
    expect(
        &boot,
        "mmio probe",
        &format!("interface={interface} family_source=Some("),
    );
    assert!(
        boot.step("mmio probe")
            .is_some_and(|p| p.ends_with("holds_locality=true")),
        "{}",
        boot.serial
    );
    for via in ["mmio", "tcg2"] {
        expect(&boot, &format!("{via} startup"), "AlreadyStarted");
        expect(&boot, &format!("{via} get_random"), "16 bytes");
        expect(&boot, &format!("{via} nv_read_public"), "rc=0x18b");
        expect(&boot, &format!("{via} flush"), "ok");
    }
    expect(&boot, "done", "");
    let name = |via: &str| {
        boot.step(&format!("{via} ek"))
            .and_then(|s| s.strip_prefix("name="))
            .unwrap_or_else(|| panic!("no {via} EK; console:\n{}", boot.serial))
            .to_owned()
    };
    let (mmio, tcg2) = (name("mmio"), name("tcg2"));
    assert_eq!(mmio, tcg2, "the same EK over MMIO and through the firmware");
    assert_eq!(
        mmio,
        tpm2_createek_name(boot.state.clone()),
        "the EK tpm2_createek derives on the same TPM state"
    );
}

#[test]
fn fifo_driver_over_guest_mmio_after_ovmf_leaves_the_firmware_stack_working() {
    check(Device::Tis, "Fifo");
}

#[test]
fn crb_driver_over_guest_mmio_after_ovmf_leaves_the_firmware_stack_working() {
    check(Device::Crb, "Crb");
}
