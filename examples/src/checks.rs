//! The attestation-readiness checks an ESXi host runs at start-up, through our stack.

use tpm2_cmds::{
    Error, Failure, ProvisionConfig, ProvisionReport, StartupOutcome, Step, TemplateSource, Tpm,
    TpmError,
};
use tpm2_tests::delay::CountingDelay;
use tpm2_wire::{
    AlgId, Auth, Capability, CapabilityData, CommandCode, Handle, NvAttributes, NvPublic,
    PermanentAttributes, Property, ResponseCode, StartupType, TransportErrorKind,
};

use crate::Scenario;
use crate::backend::{Link, LinkError, Reached};
use crate::diagnosis::{self, decode, explain_refusal};
use crate::report::{Check, Status};

type Client = Tpm<Link, CountingDelay>;

/// A check for a TPM refusal: the decoded code, its meaning and remedy.
fn refusal(id: &'static str, status: Status, what: &str, e: &TpmError) -> Check {
    let (meaning, remedy) = explain_refusal(e.command, e.code);
    Check {
        id,
        status,
        summary: format!("{what}: {meaning}"),
        command: e.command.short_name(),
        code: Some(decode(e.code)),
        remedy: Some(remedy),
    }
}

/// Whether the TPM answered with TPM 1.2 framing.
#[must_use]
pub fn is_tpm12(e: &Error<LinkError>) -> bool {
    matches!(e, Error::Transport(t) if t.kind == TransportErrorKind::Tpm12)
}

/// The check for a command that did not succeed: a TPM refusal, a TPM 1.2, or a transport
/// failure.
#[must_use]
pub fn transport_check(id: &'static str, e: &Error<LinkError>) -> Check {
    match e {
        Error::Tpm(t) => refusal(id, Status::Fail, "the TPM refused", t),
        Error::Transport(t) if is_tpm12(e) => {
            Check::new(id, Status::Fail, format!("TPM 1.2 answer: {t}")).remedy(diagnosis::TPM12)
        }
        other => Check::new(id, Status::Fail, other.to_string())
            .remedy("The transport failed: check the device and its driver."),
    }
}

/// The interface line for a TPM reached through registers.
#[must_use]
pub fn interface_check(reached: Reached) -> (Check, &'static str) {
    let Reached::Registers(p, _) = reached else {
        return (
            Check::new(
                "interface",
                Status::Info,
                "host transport: no registers to inspect",
            ),
            "host",
        );
    };
    let vendor = p.vendor_name().map(|n| format!(" {n}")).unwrap_or_default();
    let family = p
        .family_source
        .map(|s| format!(", TPM 2.0 by {s}"))
        .unwrap_or_default();
    let summary = format!(
        "{} at 0xFED40000, INTERFACE_ID {:#010x}, vendor {:#06x}{vendor}, device {:#06x}, revision {:#04x}{family}",
        p.interface, p.interface_id.0, p.vendor_id, p.device_id, p.revision
    );
    match p.interface {
        tpm2_tis::Interface::Tis13 => (
            Check::new("interface", Status::Warn, summary).remedy(diagnosis::INTERFACE_0XF),
            "tis13",
        ),
        tpm2_tis::Interface::Fifo => (Check::new("interface", Status::Ok, summary), "fifo"),
        tpm2_tis::Interface::Crb => (Check::new("interface", Status::Ok, summary), "crb"),
    }
}

/// Puts the simulated TPM into the state of a field failure.
pub fn prepare(tpm: &mut Client, scenario: Scenario) -> Result<(), Error<LinkError>> {
    tpm.startup(StartupType::CLEAR)?;
    match scenario {
        Scenario::DaLockout => {
            let set = Auth::new(b"set-by-the-previous-admin").unwrap_or(Auth::EMPTY);
            tpm.hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, set)?;
            // One wrong lockoutAuth locks the lockout hierarchy.
            match tpm.dictionary_attack_lock_reset(Auth::new(b"a-guess").unwrap_or(Auth::EMPTY)) {
                Err(e) if e.is(Failure::BadLockoutAuth) => Ok(()),
                Err(e) => Err(e),
                Ok(()) => Ok(()),
            }
        }
        Scenario::ForeignEndorsementAuth => {
            let foreign = Auth::new(b"foreign-owner").unwrap_or(Auth::EMPTY);
            tpm.hierarchy_change_auth(Handle::ENDORSEMENT, Auth::EMPTY, foreign)
        }
        Scenario::Healthy => {
            // A stand-in EK certificate where a vendor would have put one.
            let cert = [0x30u8; 64];
            let public = NvPublic {
                index: tpm2_wire::reserved::RSA_EK_CERT_NV,
                name_alg: AlgId::SHA256,
                attributes: NvAttributes::OWNERWRITE
                    | NvAttributes::OWNERREAD
                    | NvAttributes::AUTHREAD,
                auth_policy: tpm2_wire::Digest::EMPTY,
                data_size: 64,
            };
            tpm.nv_define_space(Handle::OWNER, Auth::EMPTY, Auth::EMPTY, &public)?;
            tpm.nv_write(Handle::OWNER, Auth::EMPTY, public.index, 0, &cert)
        }
        _ => Ok(()),
    }
}

/// Startup, self-test, identity, PCR banks, DA state and EK provisioning. A failed Startup
/// ends the checks and is returned.
pub fn run(tpm: &mut Client, checks: &mut Vec<Check>) -> Result<(), Error<LinkError>> {
    match tpm.startup(StartupType::CLEAR) {
        Ok(StartupOutcome::Started) => checks.push(Check::new(
            "startup",
            Status::Ok,
            "TPM2_Startup(CLEAR): started",
        )),
        Ok(StartupOutcome::AlreadyStarted) => checks.push(Check::new(
            "startup",
            Status::Ok,
            "TPM2_Startup(CLEAR): already started (TPM_RC_INITIALIZE), e.g. by firmware",
        )),
        Err(e) => {
            checks.push(transport_check("startup", &e));
            if matches!(e, Error::Tpm(_)) {
                checks.push(failure_mode(tpm));
            }
            return Err(e);
        }
    }
    checks.push(self_test(tpm));
    checks.push(identity(tpm));
    checks.push(pcr_banks(tpm));
    checks.push(da_state(tpm));
    match tpm.provision_ek(&ProvisionConfig {
        lockout_auth: Some(Auth::EMPTY),
        ..ProvisionConfig::rsa()
    }) {
        Ok(report) => ek_checks(&report, checks),
        Err(e) => checks.push(transport_check("ek", &e)),
    }
    Ok(())
}

/// After a refused Startup: GetTestResult, the one command a TPM in failure mode still
/// answers, says whether it is in failure mode and why (vendor test data).
fn failure_mode(tpm: &mut Client) -> Check {
    match tpm.get_test_result() {
        Ok(r) if r.result.is_success() => Check::new(
            "failure-mode",
            Status::Info,
            "not in failure mode (GetTestResult: TPM_RC_SUCCESS)",
        ),
        Ok(r) => {
            let data = hex(r.data.as_bytes());
            Check {
                code: Some(decode(r.result)),
                ..Check::new(
                    "failure-mode",
                    Status::Fail,
                    format!(
                        "the TPM is in failure mode: GetTestResult testResult {:#x}, vendor test data [{data}]",
                        r.result.raw()
                    ),
                )
                .remedy(diagnosis::FAILURE_MODE)
            }
        }
        Err(e) => transport_check("failure-mode", &e),
    }
}

fn self_test(tpm: &mut Client) -> Check {
    if let Err(e) = tpm.self_test(false) {
        return transport_check("self-test", &e);
    }
    match tpm.get_test_result() {
        Ok(r) if r.result.is_success() => Check::new("self-test", Status::Ok, "self-test passed"),
        Ok(r) if r.result == ResponseCode::TESTING => {
            Check::new("self-test", Status::Info, "self-test still running")
        }
        Ok(r) => Check {
            code: Some(decode(r.result)),
            ..Check::new("self-test", Status::Fail, "self-test failed")
                .remedy("Power-cycle; replace the TPM if the self-test keeps failing.")
        },
        Err(e) => transport_check("self-test", &e),
    }
}

fn ascii(v: u32) -> String {
    v.to_be_bytes()
        .iter()
        .filter(|b| b.is_ascii_graphic() || **b == b' ')
        .map(|&b| char::from(b))
        .collect()
}

fn identity(tpm: &mut Client) -> Check {
    let mut props = Vec::new();
    let read = tpm.for_each_capability(
        Capability::TPM_PROPERTIES,
        Property::FAMILY_INDICATOR.0,
        |d| {
            if let CapabilityData::Properties(l) = d {
                props.extend(l.iter().map(|p| (p.property, p.value)));
            }
        },
    );
    if let Err(e) = read {
        return transport_check("identity", &e);
    }
    let get = |p: Property| props.iter().find(|(k, _)| *k == p).map_or(0, |(_, v)| *v);
    let vendor: String = [
        Property::VENDOR_STRING_1,
        Property::VENDOR_STRING_2,
        Property::VENDOR_STRING_3,
        Property::VENDOR_STRING_4,
    ]
    .into_iter()
    .map(|p| ascii(get(p)))
    .collect();
    let (fw1, fw2) = (
        get(Property::FIRMWARE_VERSION_1),
        get(Property::FIRMWARE_VERSION_2),
    );
    Check::new(
        "identity",
        Status::Ok,
        format!(
            "manufacturer {:?} ({}), family {:?}, spec level {} revision {}.{:02}, firmware {}.{}.{}.{}",
            ascii(get(Property::MANUFACTURER)),
            vendor.trim(),
            ascii(get(Property::FAMILY_INDICATOR)),
            get(Property::LEVEL),
            get(Property::REVISION) / 100,
            get(Property::REVISION) % 100,
            fw1 >> 16,
            fw1 & 0xFFFF,
            fw2 >> 16,
            fw2 & 0xFFFF
        ),
    )
}

fn pcr_banks(tpm: &mut Client) -> Check {
    let mut banks = Vec::new();
    let read = tpm.get_capability(Capability::PCRS, 0, 1).map(|page| {
        if let CapabilityData::Pcrs(l) = page.data {
            banks.extend(l.iter().map(|s| (s.hash, s.select.iter().any(|b| *b != 0))));
        }
    });
    if let Err(e) = read {
        return transport_check("pcr-banks", &e);
    }
    let list: Vec<String> = banks
        .iter()
        .map(|(h, on)| {
            format!(
                "{}{}",
                h.name().unwrap_or("?").trim_start_matches("TPM_ALG_"),
                if *on { "" } else { " (off)" }
            )
        })
        .collect();
    let sha256 = banks.iter().any(|(h, on)| *h == AlgId::SHA256 && *on);
    let summary = format!("PCR banks: {}", list.join(", "));
    if sha256 {
        Check::new("pcr-banks", Status::Ok, summary)
    } else {
        Check::new("pcr-banks", Status::Fail, summary)
            .remedy("Activate the SHA-256 PCR bank in the firmware setup (TPM2_PCR_Allocate).")
    }
}

fn da_state(tpm: &mut Client) -> Check {
    let mut props = Vec::new();
    let read = tpm
        .get_capability(Capability::TPM_PROPERTIES, Property::PERMANENT.0, 32)
        .map(|page| {
            if let CapabilityData::Properties(l) = page.data {
                props.extend(l.iter().map(|p| (p.property, p.value)));
            }
        });
    if let Err(e) = read {
        return transport_check("da-state", &e);
    }
    let get = |p: Property| props.iter().find(|(k, _)| *k == p).map_or(0, |(_, v)| *v);
    let permanent = PermanentAttributes::from_bits_retain(get(Property::PERMANENT));
    let (count, max) = (get(Property::LOCKOUT_COUNTER), get(Property::MAX_AUTH_FAIL));
    let (interval, recovery) = (
        get(Property::LOCKOUT_INTERVAL),
        get(Property::LOCKOUT_RECOVERY),
    );
    let summary = format!(
        "failures {count}/{max}, lockout interval {interval} s, lockout recovery {recovery} s, \
         inLockout {}, lockoutAuth {}, endorsementAuth {}",
        permanent.contains(PermanentAttributes::IN_LOCKOUT),
        if permanent.contains(PermanentAttributes::LOCKOUT_AUTH_SET) {
            "set"
        } else {
            "empty"
        },
        if permanent.contains(PermanentAttributes::ENDORSEMENT_AUTH_SET) {
            "set"
        } else {
            "empty"
        },
    );
    if permanent.contains(PermanentAttributes::IN_LOCKOUT) {
        Check::new("da-state", Status::Fail, summary).remedy(format!(
            "The TPM is in DA lockout: reset it with DictionaryAttackLockReset and the \
             lockoutAuth, or wait {interval} s per recorded failure."
        ))
    } else if count > 0 {
        Check::new("da-state", Status::Warn, summary)
            .remedy("Authorization failures were recorded; find the agent using a wrong password.")
    } else {
        Check::new("da-state", Status::Ok, summary)
    }
}

fn ek_checks(r: &ProvisionReport, checks: &mut Vec<Check>) {
    checks.push(match r.da_reset {
        Step::Done => Check::new(
            "da-reset",
            Status::Ok,
            "DictionaryAttackLockReset with the empty lockoutAuth: done",
        ),
        Step::Failed(e) if e.failure == Failure::BadLockoutAuth => refusal(
            "da-reset",
            Status::Warn,
            "DictionaryAttackLockReset: lockoutAuth is set",
            &e,
        ),
        Step::Failed(e) => refusal("da-reset", Status::Fail, "DictionaryAttackLockReset", &e),
        _ => Check::new(
            "da-reset",
            Status::Info,
            "DictionaryAttackLockReset not attempted",
        ),
    });
    let handle = r.kind.persistent_handle();
    checks.push(match r.persisted_ek {
        Step::Present { .. } => Check::new(
            "persisted-ek",
            Status::Ok,
            format!("EK found at {:#010x}", handle.0),
        ),
        Step::Failed(e) => refusal("persisted-ek", Status::Fail, "ReadPublic of the EK", &e),
        _ => Check::new(
            "persisted-ek",
            Status::Info,
            format!("no EK persisted at {:#010x} yet", handle.0),
        ),
    });
    let nv_absent = |id, index: Handle, what: &str, status, remedy: Option<&str>| Check {
        id,
        status,
        summary: format!("{what} (NV index {:#010x} not defined)", index.0),
        command: CommandCode::NV_READ_PUBLIC.short_name(),
        code: Some(decode(ResponseCode(0x18B))),
        remedy: remedy.map(str::to_owned),
    };
    let template_index = r.kind.template_index();
    checks.push(match (r.vendor_template, r.template) {
        (Step::Present { size }, TemplateSource::Vendor) => Check::new(
            "vendor-template",
            Status::Ok,
            format!("vendor EK template ({size} bytes) used"),
        ),
        (Step::Failed(e), _) => refusal(
            "vendor-template",
            Status::Warn,
            "vendor template unreadable",
            &e,
        ),
        (Step::Absent, _) => nv_absent(
            "vendor-template",
            template_index,
            "no vendor EK template, the TCG default template is used",
            Status::Info,
            None,
        ),
        _ => Check::new(
            "vendor-template",
            Status::Info,
            "vendor template not looked for",
        ),
    });
    let cert_index = r.kind.certificate_index();
    checks.push(match r.certificate {
        Step::Present { size } => Check::new(
            "ek-certificate",
            Status::Ok,
            format!("EK certificate ({size} bytes) at {:#010x}", cert_index.0),
        ),
        Step::Absent => {
            let (_, remedy) = explain_refusal(CommandCode::NV_READ_PUBLIC, ResponseCode(0x18B));
            nv_absent(
                "ek-certificate",
                cert_index,
                "no RSA EK certificate",
                Status::Warn,
                Some(&remedy),
            )
        }
        Step::Failed(e) => refusal(
            "ek-certificate",
            Status::Warn,
            "EK certificate unreadable",
            &e,
        ),
        Step::Skipped | Step::Done => Check::new("ek-certificate", Status::Info, "not looked for"),
    });
    ek_outcome_checks(r, checks);
}

/// CreatePrimary, EvictControl and the outcome.
fn ek_outcome_checks(r: &ProvisionReport, checks: &mut Vec<Check>) {
    let handle = r.kind.persistent_handle();
    if let Step::Failed(e) = r.create_primary {
        checks.push(refusal(
            "create-primary",
            Status::Fail,
            "CreatePrimary(endorsement) for the EK",
            &e,
        ));
    } else if r.create_primary == Step::Done {
        checks.push(Check::new(
            "create-primary",
            Status::Ok,
            "EK created in the endorsement hierarchy",
        ));
    }
    match r.evict_control {
        Step::Done => checks.push(Check::new(
            "evict-control",
            Status::Ok,
            format!("EK persisted at {:#010x}", handle.0),
        )),
        Step::Failed(e) => checks.push(refusal(
            "evict-control",
            Status::Fail,
            "EvictControl of the EK",
            &e,
        )),
        _ => {}
    }
    let name = hex(&r.ek_name);
    checks.push(match r.outcome {
        tpm2_cmds::Outcome::Failed => Check::new(
            "ek",
            Status::Fail,
            "Unable to provision the RSA endorsement key",
        ),
        outcome => Check::new("ek", Status::Ok, format!("EK {outcome:?}, Name {name}")),
    });
}

/// Bytes as lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}
