//! The drivers where they live: a UEFI application booted by OVMF in QEMU (TCG), swtpm behind
//! tpm-tis and tpm-crb, real MMIO from the guest CPU after the firmware's TPM stack ran, then
//! the same commands through EFI_TCG2_PROTOCOL. The firmware's own SubmitCommand must work
//! before, between and after; the EK must be the one tpm2-tools derives on the same TPM.
//! The firmware's event log, read by the guest through GetEventLog with the PCRs right after,
//! must replay to those PCRs in every bank, agree with `tpm2_eventlog`, and have an altered
//! record named.

use core::fmt::Write;

use tpm2_cmds::verify::eventlog::{Divergence, EventLog};
use tpm2_tests::ovmf::{Boot, boot, uefi_app};
use tpm2_tests::qemu::{Device, fresh_dir, require_program};
use tpm2_tests::swtpm::SwtpmServer;
use tpm2_wire::AlgId;

const BANKS: [(&str, AlgId); 2] = [("sha1", AlgId::SHA1), ("sha256", AlgId::SHA256)];

/// The firmware's log replays to the PCRs the guest read, in both banks, with no record whose
/// data contradicts its digest; tpm2_eventlog reads the same records and the same PCR values;
/// altered copies of the log have the altered record named.
fn event_log_checks(boot: &Boot) {
    let bytes = boot
        .event_log()
        .unwrap_or_else(|| panic!("no event log; console:\n{}", boot.serial));
    let log = EventLog::parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        log.events().len() > 10,
        "OVMF logs more than this: {:?}",
        log.events()
    );
    for (name, alg) in BANKS {
        let tpm = boot.pcrs(name, alg);
        assert!(tpm.is_complete(), "the guest read every {name} PCR");
        let comparison = log.compare(&tpm).unwrap();
        assert!(comparison.matches(), "{name}: {comparison:?}");
    }
    tpm2_eventlog_agrees(&bytes, &log);
    altered_records_are_named(&bytes, &boot.pcrs("sha256", AlgId::SHA256));
}

/// (EventNum, PCRIndex, EventType, [(algorithm, digest hex)]) of each record tpm2_eventlog
/// prints, and its replayed PCRs as (bank, index, hex).
type ToolRecords = (
    Vec<(usize, u32, String, Vec<(String, String)>)>,
    Vec<(String, u32, String)>,
);

fn tpm2_eventlog(bytes: &[u8]) -> ToolRecords {
    require_program("tpm2_eventlog", "tpm2-tools").unwrap_or_else(|e| panic!("{e}"));
    let dir = fresh_dir("eventlog").unwrap();
    let path = dir.join("binary_bios_measurements");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("tpm2_eventlog")
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    let (mut records, mut pcrs) = (Vec::new(), Vec::new());
    let (mut in_pcrs, mut bank, mut alg) = (false, String::new(), String::new());
    for line in yaml.lines() {
        let t = line.trim();
        if line == "pcrs:" {
            in_pcrs = true;
        } else if in_pcrs {
            if let Some(b) = t.strip_suffix(':') {
                b.clone_into(&mut bank);
            } else if let Some((i, v)) = t.split_once(':') {
                let hex = v.trim().trim_start_matches("0x").to_owned();
                pcrs.push((bank.clone(), i.trim().parse().unwrap(), hex));
            }
        } else if let Some(n) = t.strip_prefix("- EventNum: ") {
            records.push((n.parse().unwrap(), 0, String::new(), Vec::new()));
        } else if let Some(record) = records.last_mut() {
            if let Some(p) = t.strip_prefix("PCRIndex: ") {
                record.1 = p.parse().unwrap();
            } else if let Some(ty) = t.strip_prefix("EventType: ") {
                ty.clone_into(&mut record.2);
            } else if let Some(a) = t.strip_prefix("- AlgorithmId: ") {
                a.clone_into(&mut alg);
            } else if let Some(d) = t.strip_prefix("Digest: ").filter(|_| !alg.is_empty()) {
                record.3.push((alg.clone(), d.trim_matches('"').to_owned()));
            }
        }
    }
    (records, pcrs)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn tpm2_eventlog_agrees(bytes: &[u8], log: &EventLog<'_>) {
    let (records, pcrs) = tpm2_eventlog(bytes);
    // tpm2_eventlog numbers the Spec ID header 0, as the library does.
    let theirs: Vec<_> = records.into_iter().filter(|r| r.0 > 0).collect();
    assert_eq!(
        theirs.len(),
        log.events().len(),
        "the same number of records"
    );
    for (event, (number, pcr, ty, digests)) in log.events().iter().zip(theirs) {
        assert_eq!(
            (event.number, event.pcr, event.type_name()),
            (number, pcr, ty.as_str())
        );
        let ours: Vec<(String, String)> = event
            .digests
            .iter()
            .map(|(alg, d)| {
                (
                    alg.to_string()
                        .trim_start_matches("TPM_ALG_")
                        .to_lowercase(),
                    hex(d),
                )
            })
            .collect();
        assert_eq!(ours, digests, "record {number}");
    }
    for (bank, alg) in [
        ("sha1", AlgId::SHA1),
        ("sha256", AlgId::SHA256),
        ("sha384", AlgId::SHA384),
        ("sha512", AlgId::SHA512),
    ] {
        let replayed = log.replay(alg).unwrap();
        let listed: Vec<_> = pcrs.iter().filter(|(b, _, _)| b == bank).collect();
        assert!(!listed.is_empty(), "tpm2_eventlog replays {bank}");
        for (_, index, value) in listed {
            assert_eq!(
                &hex(replayed.get(*index).unwrap()),
                value,
                "{bank} PCR {index}"
            );
        }
    }
}

/// The byte offset of `part` inside `whole`.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

fn altered_records_are_named(bytes: &[u8], tpm: &tpm2_cmds::PcrBank) {
    let log = EventLog::parse(bytes).unwrap();
    // A Secure Boot variable's data changed after the fact: its digest no longer matches.
    let variable = log
        .events()
        .iter()
        .find(|e| e.type_name() == "EV_EFI_VARIABLE_DRIVER_CONFIG")
        .unwrap();
    let mut altered = bytes.to_vec();
    altered[offset_in(bytes, variable.data) + variable.data.len() - 1] ^= 0x01;
    let comparison = EventLog::parse(&altered).unwrap().compare(tpm).unwrap();
    assert_eq!(comparison.altered, [variable.number]);
    assert_eq!(comparison.first_divergence(), Some(variable.number));
    let named = variable.to_string();
    assert!(
        named.contains("EV_EFI_VARIABLE_DRIVER_CONFIG") && named.contains("variable "),
        "{named}"
    );

    // A separator's SHA-256 digest changed: PCR 4 no longer replays, and the record is named.
    let separator = log
        .events()
        .iter()
        .find(|e| e.type_name() == "EV_SEPARATOR" && e.pcr == 4)
        .unwrap();
    let digest = separator.digest(AlgId::SHA256).unwrap();
    let mut altered = bytes.to_vec();
    altered[offset_in(bytes, digest)] ^= 0x80;
    let comparison = EventLog::parse(&altered).unwrap().compare(tpm).unwrap();
    assert_eq!(comparison.mismatches.len(), 1);
    assert_eq!(comparison.mismatches[0].pcr, 4);
    assert_eq!(
        comparison.mismatches[0].divergence,
        Divergence::Altered {
            event: separator.number
        }
    );

    // A record the TPM never received (the last one, logged twice): the replay passes the
    // TPM's value and goes on, and the record after that point is named.
    let last = log.events().last().unwrap();
    let mut extended = bytes.to_vec();
    extended.extend_from_slice(&bytes[last.offset..]);
    let comparison = EventLog::parse(&extended).unwrap().compare(tpm).unwrap();
    assert_eq!(comparison.mismatches.len(), 1, "{comparison:?}");
    assert_eq!(
        comparison.mismatches[0].divergence,
        Divergence::NotExtended {
            first: last.number + 1
        }
    );
}

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
    event_log_checks(&boot);
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
