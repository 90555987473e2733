//! The doctor's JSON report for each scenario, field by field, over both of QEMU's device
//! models; and `explain` on the ESXi field logs.

use serde_json::Value;
use tpm2_examples::backend::BackendSpec;
use tpm2_examples::{Options, Scenario, doctor, explain::explain};

fn report_with(backend: &str, options: &Options) -> Value {
    let spec: BackendSpec = backend.parse().unwrap();
    let json = doctor(backend, &spec, options).to_json();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("invalid JSON ({e}): {json}"))
}

fn report(backend: &str, scenario: Scenario) -> Value {
    report_with(
        backend,
        &Options {
            scenario,
            ..Options::default()
        },
    )
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#}"))
}

fn assert_check(report: &Value, id: &str, status: &str, code: Option<(&str, &str)>) {
    let c = check(report, id);
    assert_eq!(c["status"], status, "{id}: {c:#}");
    match code {
        None => assert!(c["code"].is_null() || status == "info", "{id}: {c:#}"),
        Some((raw, name)) => {
            assert_eq!(c["code"]["raw"], raw, "{id}: {c:#}");
            assert_eq!(c["code"]["name"], name, "{id}: {c:#}");
        }
    }
}

fn assert_ek_provisioned(r: &Value) {
    assert_check(r, "startup", "ok", None);
    assert_check(r, "self-test", "ok", None);
    assert_check(r, "pcr-banks", "ok", None);
    assert_check(r, "create-primary", "ok", None);
    assert_check(r, "evict-control", "ok", None);
    assert_check(r, "ek", "ok", None);
}

#[test]
fn scenarios_over_qemu_tis_and_qemu_crb() {
    for (backend, interface, esxi) in [("qemu-tis", "fifo", "ok"), ("qemu-crb", "crb", "warn")] {
        let r = report(backend, Scenario::Fresh);
        assert_eq!(r["interface"], interface);
        // ESXi drives the FIFO interface only: CRB is a warning naming why.
        assert_check(&r, "interface", esxi, None);
        if esxi == "warn" {
            let remedy = check(&r, "interface")["remedy"].as_str().unwrap();
            assert!(remedy.contains("startMethod"), "{remedy}");
        }
        assert_ek_provisioned(&r);
        assert_check(
            &r,
            "ek-certificate",
            "warn",
            Some(("0x18b", "TPM_RC_HANDLE")),
        );
        assert_eq!(check(&r, "ek-certificate")["code"]["subject"], "handle 1");
        assert_eq!(
            (r["verdict"].as_str(), r["exit_code"].as_u64()),
            (Some("warn"), Some(1))
        );

        let r = report(backend, Scenario::Healthy);
        assert_check(&r, "ek-certificate", "ok", None);
        assert_ek_provisioned(&r);
        for id in [
            "ek-cert-parse",
            "ek-cert-key",
            "ek-cert-match",
            "ek-cert-validity",
            "ek-roca",
        ] {
            assert_check(&r, id, "ok", None);
        }
        let (verdict, exit) = if esxi == "ok" { ("ok", 0) } else { ("warn", 1) };
        assert_eq!(
            (r["verdict"].as_str(), r["exit_code"].as_u64()),
            (Some(verdict), Some(exit)),
            "{r:#}"
        );

        // lockoutAuth is set and none was given: the doctor does not guess.
        let r = report(backend, Scenario::DaLockout);
        assert_check(&r, "da-reset", "warn", None);
        assert!(
            check(&r, "da-reset")["summary"]
                .as_str()
                .unwrap()
                .contains("lockoutAuth is set"),
            "{r:#}"
        );
        // With the (wrong) lockoutAuth an admin gives, the field's 0x921 comes back.
        let r = report_with(
            backend,
            &Options {
                scenario: Scenario::DaLockout,
                lockout_auth: Some(tpm2_examples::cli::auth_value("a-guess").unwrap()),
                ..Options::default()
            },
        );
        assert_check(&r, "da-reset", "fail", Some(("0x921", "TPM_RC_LOCKOUT")));
        assert_eq!(
            check(&r, "da-reset")["command"],
            "DictionaryAttackLockReset"
        );
        assert!(
            check(&r, "da-reset")["remedy"]
                .as_str()
                .unwrap()
                .contains("LOCKOUT_RECOVERY")
        );
        assert_eq!(r["exit_code"], 2);

        let r = report(backend, Scenario::ForeignEndorsementAuth);
        assert_check(
            &r,
            "create-primary",
            "fail",
            Some(("0x9a2", "TPM_RC_BAD_AUTH")),
        );
        assert_eq!(check(&r, "create-primary")["code"]["subject"], "session 1");
        assert!(
            check(&r, "create-primary")["remedy"]
                .as_str()
                .unwrap()
                .contains("another owner")
        );
        assert_check(&r, "ek", "fail", None);
        assert_eq!(r["exit_code"], 2);

        let r = report(backend, Scenario::NoEkCert);
        assert_check(
            &r,
            "ek-certificate",
            "warn",
            Some(("0x18b", "TPM_RC_HANDLE")),
        );
        assert_check(
            &r,
            "vendor-template",
            "info",
            Some(("0x18b", "TPM_RC_HANDLE")),
        );

        let r = report(backend, Scenario::Tpm12);
        assert_eq!(r["interface"], "tpm12", "{r:#}");
        assert_eq!(r["exit_code"], 2);
    }
}

#[test]
fn interface_0xf_is_diagnosed_and_still_driven() {
    let r = report("qemu-tis", Scenario::Interface0xF);
    assert_eq!(r["interface"], "tis13");
    let c = check(&r, "interface");
    assert_eq!(c["status"], "warn");
    assert!(c["summary"].as_str().unwrap().contains("0xffffffff"));
    assert!(c["remedy"].as_str().unwrap().contains("BIOS TPM settings"));
    assert_ek_provisioned(&r);
}

#[test]
fn no_tpm_is_a_failed_interface_check() {
    let r = report("qemu-tis", Scenario::NoTpm);
    assert_eq!(r["interface"], "none");
    assert_check(&r, "interface", "fail", None);
    assert!(
        check(&r, "interface")["remedy"]
            .as_str()
            .unwrap()
            .contains("enable the TPM")
    );
    // The mode line, then the failed interface: nothing after it.
    assert_eq!(r["checks"].as_array().unwrap().len(), 2, "{r:#}");
    assert_check(&r, "mode", "info", None);
}

#[test]
fn failure_mode_is_read_from_get_test_result_after_a_failed_startup() {
    let r = report("qemu-tis", Scenario::FailureMode);
    assert_check(&r, "startup", "fail", Some(("0x101", "TPM_RC_FAILURE")));
    assert_check(
        &r,
        "failure-mode",
        "fail",
        Some(("0x101", "TPM_RC_FAILURE")),
    );
    let c = check(&r, "failure-mode");
    assert!(
        c["summary"].as_str().unwrap().contains("[deadbeef]"),
        "the vendor test data is reported: {c:#}"
    );
    assert!(c["remedy"].as_str().unwrap().contains("Power-cycle"));
}

#[test]
fn the_locality_line_says_what_the_driver_observed() {
    let r = report("qemu-tis", Scenario::Fresh);
    let c = check(&r, "locality");
    assert!(
        c["summary"].as_str().unwrap().contains("released after it"),
        "QEMU under qtest: no firmware ran, nobody held locality 0: {c:#}"
    );
    let i = check(&r, "interface");
    assert!(
        i["summary"]
            .as_str()
            .unwrap()
            .contains("TPM 2.0 by STS.tpmFamily"),
        "{i:#}"
    );
}

#[test]
fn libtpms_backend_runs_the_same_checks() {
    let r = report("libtpms", Scenario::ForeignEndorsementAuth);
    assert_eq!(r["interface"], "host");
    assert_check(
        &r,
        "create-primary",
        "fail",
        Some(("0x9a2", "TPM_RC_BAD_AUTH")),
    );
}

fn notes_at(text: &str, needle: &str) -> Vec<String> {
    let annotations = explain(text);
    let line_no = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    annotations
        .into_iter()
        .find(|a| a.line_no == line_no)
        .map(|a| a.notes)
        .unwrap_or_default()
}

#[test]
fn explain_names_each_field_code_at_its_line() {
    let old = include_str!("fixtures/hostd-old-firmware.log");
    let notes = notes_at(old, "DictionaryAttackLockReset: (0x921)").join("\n");
    assert!(notes.contains("0x921 = TPM_RC_LOCKOUT"), "{notes}");
    assert!(notes.contains("remedy"), "{notes}");
    let notes = notes_at(old, "NV_ReadPublic: (0x18b)").join("\n");
    assert!(notes.contains("TPM_RC_HANDLE on handle 1"), "{notes}");
    let notes = notes_at(old, "CreatePrimary: (0x9a2)").join("\n");
    assert!(notes.contains("TPM_RC_BAD_AUTH on session 1"), "{notes}");
    assert!(notes.contains("another owner"), "{notes}");
    assert_eq!(
        explain(old)
            .iter()
            .filter(|a| a
                .notes
                .iter()
                .any(|n| n.contains("TPM_RC_HANDLE on handle 1")))
            .count(),
        2
    );

    let new = include_str!("fixtures/hostd-new-firmware.log");
    assert!(
        notes_at(new, "NV_ReadPublic: (0x18b)")
            .join("\n")
            .contains("TPM_RC_HANDLE on handle 1")
    );
    assert!(
        !explain(new)
            .iter()
            .any(|a| a.notes.iter().any(|n| n.contains("TPM_RC_LOCKOUT")))
    );

    let vmk = include_str!("fixtures/vmkernel-old-firmware.log");
    let notes = notes_at(vmk, "interfaceType = 0xf").join("\n");
    assert!(notes.contains("TIS 1.3"), "{notes}");
    assert!(
        !explain(vmk).iter().any(|a| a.line.contains("0xfed40000")),
        "addresses are not codes"
    );

    let x11 = include_str!("fixtures/vmkernel-x11-host.log");
    assert!(
        notes_at(x11, "No RSA Endorsement Key certificate found")
            .join("\n")
            .contains("0x01C00002")
    );
    assert!(
        notes_at(x11, "interfaceType = 0xf")
            .join("\n")
            .contains("TIS 1.3")
    );
}

/// The doctor after SeaBIOS or OVMF booted and used the TPM: Startup already done, locality
/// 0 found active and kept so, the EK provisioned through the same driver.
fn after_firmware(backend: &str, interface: &str) {
    let r = report(backend, Scenario::Fresh);
    assert_eq!(r["interface"], interface, "{r:#}");
    assert_check(
        &r,
        "interface",
        if interface == "crb" { "warn" } else { "ok" },
        None,
    );
    let summary = |id| check(&r, id)["summary"].as_str().unwrap().to_owned();
    assert!(summary("startup").contains("already started"), "{r:#}");
    assert!(
        summary("locality").contains("kept active, as found"),
        "{r:#}"
    );
    assert_ek_provisioned(&r);
}

#[test]
fn doctor_after_seabios_on_tis() {
    after_firmware("qemu-tis+seabios", "fifo");
}

#[test]
fn doctor_after_seabios_on_crb() {
    after_firmware("qemu-crb+seabios", "crb");
}

#[test]
fn doctor_after_ovmf_on_tis() {
    after_firmware("qemu-tis+ovmf", "fifo");
}

#[test]
fn doctor_after_ovmf_on_crb() {
    after_firmware("qemu-crb+ovmf", "crb");
}

#[test]
fn ek_certificates_are_parsed_whatever_pads_the_nv_index() {
    use tpm2_examples::ekcert::EkCertificate;
    use tpm2_tests::ca;
    let modulus: Vec<u8> = (0..=255u8).map(|b| b | 0x80).collect();
    let der = ca::ek_certificate(
        &modulus,
        ca::RSAES_OAEP,
        core::time::Duration::from_hours(1),
    );
    let padded = [der.clone(), vec![0xFF; 300]].concat();
    let cert = EkCertificate::parse(&padded).unwrap();
    assert_eq!(cert.der_len, der.len());
    assert_eq!(cert.key_algorithm_name(), "id-RSAES-OAEP");
    assert_eq!(cert.modulus.as_deref(), Some(&modulus[..]));
    assert_eq!(cert.issuer, ca::ISSUER);
    assert!(cert.not_before < cert.not_after);
    assert!(EkCertificate::parse(&[0x30; 64]).is_err());
}

#[test]
fn the_roca_check_flags_a_fingerprinted_ek_modulus() {
    // A modulus congruent to 65537^7 modulo every prime up to 167 (what RSALib makes),
    // built from residues: 65537^7 mod the primorial, as a number.
    let mut n = vec![0u8; 256];
    n[255] = 1;
    for _ in 0..7 {
        mul_65537(&mut n);
    }
    let c = tpm2_examples::ekcert::key_check(&n);
    assert_eq!(c.status, tpm2_examples::report::Status::Fail, "{c:?}");
    assert!(c.remedy.unwrap().contains("firmware"));
    let ok = tpm2_examples::ekcert::key_check(&[0xC5; 256]);
    assert_eq!(ok.status, tpm2_examples::report::Status::Ok, "{ok:?}");
}

/// n := n * 65537.
fn mul_65537(n: &mut [u8]) {
    let mut carry = 0u64;
    for b in n.iter_mut().rev() {
        let v = u64::from(*b) * 65537 + carry;
        *b = (v & 0xFF) as u8;
        carry = v >> 8;
    }
}

#[test]
fn an_oaep_ek_certificate_fails_with_the_esxi_consequence() {
    let r = report("libtpms", Scenario::OaepEkCert);
    assert_check(&r, "ek-cert-key", "fail", None);
    assert!(
        check(&r, "ek-cert-key")["summary"]
            .as_str()
            .unwrap()
            .contains("id-RSAES-OAEP"),
        "{r:#}"
    );
    assert!(
        check(&r, "ek-cert-key")["remedy"]
            .as_str()
            .unwrap()
            .contains("KB 334591")
    );
    assert_check(&r, "ek-cert-match", "ok", None);
    assert_eq!(r["exit_code"], 2);
}

/// The (id, status) of every check but the session line.
fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] != "session")
        .map(|c| (c["id"].to_string(), c["status"].to_string()))
        .collect()
}

#[test]
fn over_a_salted_session_every_scenario_gets_the_same_diagnosis() {
    for scenario in [
        Scenario::Healthy,
        Scenario::DaLockout,
        Scenario::ForeignEndorsementAuth,
        Scenario::OaepEkCert,
    ] {
        let with = |salted| {
            report_with(
                "qemu-tis",
                &Options {
                    scenario,
                    salted: Some(salted),
                    ..Options::default()
                },
            )
        };
        let (salted, password) = (with(true), with(false));
        assert_check(&salted, "session", "ok", None);
        assert!(
            password["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"] != "session"),
            "password sessions add no session line"
        );
        assert_eq!(verdicts(&salted), verdicts(&password), "{scenario:?}");
    }
}

/// The attestation dry run on a fresh simulated TPM, over password and salted sessions: the
/// AK, the credential round trip and the Quote pass; a log of this TPM's (empty) boot
/// replays, and one from another boot is refused naming its first record.
#[test]
fn the_attestation_dry_run_passes_and_names_the_first_record_of_a_foreign_log() {
    let dir = std::env::temp_dir().join(format!("tpm2-doctor-attest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A log with the header only: every PCR stays at its reset value, as on this TPM.
    let foreign = tpm2_cmds::verify::eventlog::example_log();
    let header_len = 32 + u32::from_le_bytes(foreign[28..32].try_into().unwrap()) as usize;
    std::fs::write(dir.join("empty.log"), &foreign[..header_len]).unwrap();
    std::fs::write(dir.join("foreign.log"), &foreign).unwrap();
    for (salted, log, want) in [(false, "empty.log", "ok"), (true, "foreign.log", "fail")] {
        let r = report_with(
            "libtpms",
            &Options {
                salted: Some(salted),
                attest: true,
                event_log: Some(dir.join(log)),
                ..Options::default()
            },
        );
        for id in ["attest-ak", "attest-credential", "attest-quote"] {
            assert_check(&r, id, "ok", None);
        }
        let eventlog = check(&r, "attest-eventlog");
        assert_eq!(eventlog["status"], want, "{eventlog:#}");
        if want == "fail" {
            let summary = eventlog["summary"].as_str().unwrap();
            assert!(
                summary.contains("PCR 7 (the TPM's PCR is at its reset value")
                    && summary.contains(
                        "first diverging record is event 2 (PCR 7, EV_SEPARATOR: separator)"
                    ),
                "{summary}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
