//! The attestation-readiness checks an ESXi host runs at start-up, through our stack.

use tpm2_cmds::host::StdDelay;
use tpm2_cmds::session::SessionConfig;
use tpm2_cmds::{
    Error, Failure, Outcome, ProvisionConfig, ProvisionError, ProvisionReport, StartupOutcome,
    Step, TemplateSource, Tpm, TpmError,
};
use tpm2_wire::{
    AlgId, Auth, Capability, CapabilityData, CommandCode, Handle, PermanentAttributes,
    ResponseCode, StartupType, Transport, TransportErrorKind,
};

use crate::backend::{Link, LinkError, Reached};
use crate::diagnosis::{self, decode, explain_refusal};
use crate::report::{Check, Status};

/// The doctor's client: the backend's transport, watched.
pub type Client = Tpm<Watched<Link>, StdDelay>;

/// A transport that remembers the first failure that left it unusable (the device is gone,
/// did not answer, or broke the protocol mid-frame) and sends nothing after it: the doctor
/// stops at the first dead transport instead of piling up failures behind it.
#[derive(Debug)]
pub struct Watched<T> {
    /// The transport.
    pub inner: T,
    /// The failure that ended it.
    pub dead: Option<LinkError>,
}

impl<T> Watched<T> {
    /// Watches `inner`.
    pub const fn new(inner: T) -> Self {
        Self { inner, dead: None }
    }
}

impl<T: Transport<Error = LinkError>> Transport for Watched<T> {
    type Error = LinkError;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], LinkError> {
        if let Some(e) = &self.dead {
            return Err(e.clone());
        }
        self.inner.transact(buf, len).inspect_err(|e| {
            if matches!(
                e.kind,
                TransportErrorKind::NoDevice
                    | TransportErrorKind::Timeout
                    | TransportErrorKind::Io
                    | TransportErrorKind::Protocol
            ) {
                self.dead = Some(e.clone());
            }
        })
    }
}

/// What the doctor may do to the TPM.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Provision as ESXi does: reset the DA counter and persist the EK. Otherwise nothing
    /// is written: the EK is created from its template to learn its Name, and flushed.
    pub provision: bool,
    /// The lockoutAuth the user gave, for the DA reset.
    pub lockout_auth: Option<Auth<'a>>,
    /// Send the authorized commands over a salted session with parameter encryption.
    pub salted: bool,
    /// The attestation dry run, with its event log, if asked for.
    pub attest: Option<crate::attest::LogSource<'a>>,
}

/// A check for a TPM refusal: the decoded code, its meaning and remedy.
fn refusal(id: &'static str, status: Status, what: &str, e: TpmError) -> Check {
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
        Error::Tpm(t) => refusal(id, Status::Fail, "the TPM refused", *t),
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
        tpm2_tis::Interface::Crb => (
            Check::new("interface", Status::Warn, summary).remedy(diagnosis::CRB_ON_ESXI),
            "crb",
        ),
    }
}

/// Startup, self-test, identity, PCR banks, DA state and EK provisioning. A failed Startup
/// ends the checks and is returned.
pub fn run(
    tpm: &mut Client,
    plan: Plan<'_>,
    checks: &mut Vec<Check>,
) -> Result<(), Error<LinkError>> {
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
    for check in [self_test, identity, pcr_banks, da_state] {
        checks.push(check(tpm));
        stop_if_dead(tpm, checks)?;
    }
    if plan.salted {
        salted(tpm, plan, checks);
    } else {
        provision(tpm, plan, checks);
    }
    stop_if_dead(tpm, checks)
}

/// The provisioning checks over a salted HMAC session with parameter encryption: the salt
/// key is an ECC P-256 primary in the NULL hierarchy (as Linux does), flushed afterwards
/// with the session. If no session can be started the checks run with password sessions,
/// and a warning says so.
fn salted(tpm: &mut Client, plan: Plan<'_>, checks: &mut Vec<Check>) {
    let salt_key = tpm
        .create_primary(
            Handle::NULL,
            Auth::EMPTY,
            &tpm2_cmds::ek::ECC_P256_TEMPLATE,
            &tpm2_wire::SensitiveCreate::default(),
            tpm2_wire::Data::EMPTY,
            &tpm2_wire::PcrSelectionList::empty(),
        )
        .map(|c| c.handle);
    let mut guard = match salt_key {
        Ok(handle) => tpm.flushing(handle),
        Err(e) => {
            checks.push(session_fallback(&e));
            return provision(tpm, plan, checks);
        }
    };
    let config = SessionConfig::salted_hmac(guard.handle().unwrap_or(Handle::NULL));
    let refused = match guard.start_session(&config, &mut rand::rng()) {
        Ok(mut session) => {
            checks.push(Check::new(
                "session",
                Status::Ok,
                "authorized commands ran over a salted HMAC session with parameter \
                 encryption (ECDH P-256 to a NULL-hierarchy primary): no authValue crossed \
                 the bus",
            ));
            provision(&mut session, plan, checks);
            if let Err(e) = session.end() {
                checks.push(transport_check("session", &e));
            }
            None
        }
        Err(e) => Some(session_fallback(&e)),
    };
    if let Some(check) = refused {
        checks.push(check);
        provision(&mut guard, plan, checks);
    }
    if let Err(e) = guard.flush() {
        checks.push(transport_check("flush", &e));
    }
}

fn session_fallback(e: &Error<LinkError>) -> Check {
    Check::new(
        "session",
        Status::Warn,
        format!("no salted session could be started ({e}): authorizations were sent as passwords"),
    )
}

/// DA reset and EK provisioning as ESXi does them, the EK key and certificate checks, then
/// the attestation dry run if asked for, under the same EK.
fn provision(tpm: &mut Client, plan: Plan<'_>, checks: &mut Vec<Check>) {
    let ek = ek_provisioning(tpm, plan, checks);
    if let Some(log) = plan.attest
        && tpm.transport_mut().dead.is_none()
    {
        crate::attest::dry_run(tpm, ek.map(|(handle, _)| handle), log, checks);
    }
    // Read-only: the EK was created to learn its Name; nothing stays behind.
    if let Some((handle, true)) = ek
        && let Err(e) = tpm.flush_context(handle)
    {
        checks.push(transport_check("flush", &e));
    }
}

/// The EK checks. Returns the EK's handle, and whether it is a transient one to flush.
fn ek_provisioning(
    tpm: &mut Client,
    plan: Plan<'_>,
    checks: &mut Vec<Check>,
) -> Option<(Handle, bool)> {
    let config = ProvisionConfig {
        lockout_auth: if plan.provision {
            Some(plan.lockout_auth.unwrap_or(Auth::EMPTY))
        } else {
            None
        },
        persist: plan.provision,
        ..ProvisionConfig::rsa()
    };
    match tpm.provision_ek(&config) {
        Ok(report) => {
            ek_checks(&report, plan, checks);
            let modulus = report.ek_handle.and_then(|h| ek_modulus(tpm, h));
            if let Some(m) = &modulus {
                checks.push(crate::ekcert::key_check(m));
            }
            if let Step::Present { .. } = report.certificate {
                let index = report.kind.certificate_index();
                crate::ekcert::checks(tpm, index, modulus.as_deref(), checks);
            }
            report
                .ek_handle
                .map(|handle| (handle, report.outcome == Outcome::Created))
        }
        Err(ProvisionError { report, error }) => {
            ek_checks(&report, plan, checks);
            checks.push(transport_check("ek", &error));
            None
        }
    }
}

/// The RSA modulus of the key at `handle`.
fn ek_modulus(tpm: &mut Client, handle: Handle) -> Option<Vec<u8>> {
    match tpm.read_public(handle).ok()?.public.parameters {
        tpm2_wire::PublicParameters::Rsa { unique, .. } => Some(unique.as_bytes().to_vec()),
        _ => None,
    }
}

/// Ends the checks after a transport failure, saying so once.
fn stop_if_dead(tpm: &mut Client, checks: &mut Vec<Check>) -> Result<(), Error<LinkError>> {
    match tpm.transport_mut().dead.clone() {
        None => Ok(()),
        Some(e) => {
            checks.push(
                Check::new(
                    "transport",
                    Status::Fail,
                    format!("the TPM stopped answering: {e}; no further checks were run"),
                )
                .remedy("Check the device or simulator, then run the doctor again."),
            );
            Err(Error::Transport(e))
        }
    }
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

fn identity(tpm: &mut Client) -> Check {
    let id = match tpm.fixed_properties() {
        Ok(id) => id,
        Err(e) => return transport_check("identity", &e),
    };
    let text = |bytes: &[u8]| -> String {
        bytes
            .iter()
            .filter(|b| b.is_ascii_graphic() || **b == b' ')
            .map(|&b| char::from(b))
            .collect()
    };
    let (fw1, fw2) = id.firmware_version;
    Check::new(
        "identity",
        Status::Ok,
        format!(
            "manufacturer {:?} ({}), family {:?}, spec level {} revision {}.{:02}, firmware {}",
            text(&id.manufacturer),
            text(&id.vendor_string).trim(),
            text(&id.family),
            id.level,
            id.revision / 100,
            id.revision % 100,
            firmware_version(fw1, fw2)
        ),
    )
}

/// TPM_PT_FIRMWARE_VERSION_1/2 as people read them. Chip vendors put a version in the
/// halves of each (Infineon 0x0007_0055 is 7.85); the simulators (libtpms, the TCG
/// reference) put a date in FIRMWARE_VERSION_1 as hex digits (0x20191023 is 2019-10-23).
fn firmware_version(fw1: u32, fw2: u32) -> String {
    let digits = format!("{fw1:08x}");
    let number = |range: core::ops::Range<usize>| digits.get(range)?.parse::<u32>().ok();
    let date = match (number(0..4), number(4..6), number(6..8)) {
        (Some(y), Some(m), Some(d))
            if (1990..2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) =>
        {
            Some(format!("{y}-{m:02}-{d:02}"))
        }
        _ => None,
    };
    match date {
        Some(date) => format!("{date} (date-encoded; FIRMWARE_VERSION 0x{fw1:08x} 0x{fw2:08x})"),
        None => format!(
            "{}.{}.{}.{}",
            fw1 >> 16,
            fw1 & 0xFFFF,
            fw2 >> 16,
            fw2 & 0xFFFF
        ),
    }
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
    let state = match tpm.dictionary_attack_state() {
        Ok(state) => state,
        Err(e) => return transport_check("da-state", &e),
    };
    let permanent = state.permanent;
    let (count, max) = (state.failed_tries, state.max_tries);
    let (interval, recovery) = (state.recovery_time, state.lockout_recovery);
    let summary = format!(
        "failures {count}/{max}, lockout interval {interval} s, lockout recovery {recovery} s, \
         inLockout {}, lockoutAuth {}, endorsementAuth {}",
        state.in_lockout(),
        if state.lockout_auth_set() {
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
    if state.in_lockout() {
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

/// The DictionaryAttackLockReset step.
fn da_reset_check(r: &ProvisionReport, plan: Plan<'_>) -> Check {
    let given = if plan.lockout_auth.is_some() {
        "the given lockoutAuth"
    } else {
        "the empty lockoutAuth"
    };
    match r.da_reset {
        Step::Done => Check::new(
            "da-reset",
            Status::Ok,
            format!("DictionaryAttackLockReset with {given}: done"),
        ),
        Step::Failed(e) if e.failure() == Failure::BadLockoutAuth => refusal(
            "da-reset",
            Status::Fail,
            "DictionaryAttackLockReset: the given lockoutAuth is wrong",
            e,
        ),
        Step::Failed(e) => refusal("da-reset", Status::Fail, "DictionaryAttackLockReset", e),
        Step::Withheld(why) => Check::new(
            "da-reset",
            Status::Warn,
            format!("DictionaryAttackLockReset not sent: {why}"),
        )
        .remedy(
            "Give the lockoutAuth (--lockout-auth) to reset the DA counter. An agent that \
             resets it with the empty one, as ESXi does, locks the lockout hierarchy (0x921).",
        ),
        _ if !plan.provision => Check::new(
            "da-reset",
            Status::Info,
            "read-only: DictionaryAttackLockReset not sent (--provision sends it, with the \
             empty lockoutAuth only where lockoutAuth is not set)",
        ),
        _ => Check::new(
            "da-reset",
            Status::Info,
            "DictionaryAttackLockReset not attempted",
        ),
    }
}

fn ek_checks(r: &ProvisionReport, plan: Plan<'_>, checks: &mut Vec<Check>) {
    checks.push(da_reset_check(r, plan));
    let handle = r.kind.persistent_handle();
    checks.push(match r.persisted_ek {
        Step::Present { .. } => Check::new(
            "persisted-ek",
            Status::Ok,
            format!("EK found at {:#010x}", handle.0),
        ),
        Step::Failed(e) => refusal("persisted-ek", Status::Fail, "ReadPublic of the EK", e),
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
            e,
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
            e,
        ),
        _ => Check::new("ek-certificate", Status::Info, "not looked for"),
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
            e,
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
            e,
        )),
        _ => {}
    }
    let name = hex(&r.ek_name);
    checks.push(match r.outcome {
        Outcome::Failed => Check::new(
            "ek",
            Status::Fail,
            "Unable to provision the RSA endorsement key",
        ),
        Outcome::Created => Check::new(
            "ek",
            Status::Ok,
            format!(
                "read-only: EK created from the template and flushed, Name {name}; \
                 --provision would persist it at {:#010x}",
                handle.0
            ),
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

#[cfg(test)]
mod tests {
    use super::firmware_version;

    #[test]
    fn firmware_versions_read_as_their_vendors_mean_them() {
        // libtpms 0.9 and the TCG reference simulator: a date.
        assert!(firmware_version(0x2019_1023, 0x0016_3636).starts_with("2019-10-23"));
        assert!(firmware_version(0x2025_0320, 0).starts_with("2025-03-20"));
        // Infineon SLB 9670 7.85: decimal halves.
        assert_eq!(firmware_version(0x0007_0055, 0x0011_CB02), "7.85.17.51970");
    }
}
