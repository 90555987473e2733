//! The programs a user runs, as a library they are built from: `tpm2-doctor` (why does this
//! host fail TPM attestation?) and `tpm2-rc` (what does this response code mean?).
//!
//! The doctor runs the checks an ESXi host runs at start-up through the real stack: probe
//! and driver (FIFO or CRB) over QEMU's device models by default, then `tpm2-cmds`. It never
//! changes a real TPM's state except by the EK provisioning those hosts do themselves; the
//! `--scenario` preparations apply to simulated TPMs only.
#![deny(unsafe_code)]
// A host program: std is its home.
#![allow(clippy::std_instead_of_core)]

pub mod attest;
pub mod backend;
pub mod checks;
pub mod cli;
pub mod diagnosis;
pub mod ekcert;
pub mod explain;
#[allow(unsafe_code)]
mod mmio;
pub mod report;
pub mod roca;
#[cfg(feature = "sim")]
mod sim;

use core::str::FromStr;

use tpm2_cmds::Tpm;
use tpm2_cmds::host::StdDelay;
use tpm2_wire::Auth;
use zeroize::Zeroizing;

use crate::backend::{BackendSpec, Reached};
use crate::report::{Check, Report, Status};

/// A state the simulated TPM is put in before the checks: the failures of the field logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scenario {
    /// A manufacture-fresh TPM: no EK certificate, no EK yet.
    #[default]
    Fresh,
    /// A fresh TPM with an EK certificate in NV: every check passes.
    Healthy,
    /// A wrong lockoutAuth was tried: DictionaryAttackLockReset answers 0x921.
    DaLockout,
    /// Another owner set the endorsement authValue: CreatePrimary answers 0x9a2.
    ForeignEndorsementAuth,
    /// No EK certificate in NV: NV_ReadPublic answers 0x18b (same as `fresh`).
    NoEkCert,
    /// The registers report INTERFACE_ID type 0xF (TIS 1.3), FIFO backends only.
    Interface0xF,
    /// A TPM 1.2.
    Tpm12,
    /// Nothing at 0xFED40000.
    NoTpm,
    /// A TPM in failure mode (FIFO register model): Startup answers TPM_RC_FAILURE and
    /// GetTestResult says why.
    FailureMode,
    /// An EK certificate whose key is id-RSAES-OAEP, which ESXi cannot read.
    OaepEkCert,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Self; 10] = [
        Self::Fresh,
        Self::Healthy,
        Self::DaLockout,
        Self::ForeignEndorsementAuth,
        Self::NoEkCert,
        Self::Interface0xF,
        Self::Tpm12,
        Self::NoTpm,
        Self::FailureMode,
        Self::OaepEkCert,
    ];

    /// The command-line name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Healthy => "healthy",
            Self::DaLockout => "da-lockout",
            Self::ForeignEndorsementAuth => "foreign-endorsement-auth",
            Self::NoEkCert => "no-ek-cert",
            Self::Interface0xF => "interface-0xf",
            Self::Tpm12 => "tpm12",
            Self::NoTpm => "no-tpm",
            Self::FailureMode => "failure-mode",
            Self::OaepEkCert => "oaep-ek-cert",
        }
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|c| c.name()).collect();
                format!("unknown scenario {s:?}: {}", names.join(", "))
            })
    }
}

impl Scenario {
    /// Whether `spec` can play this scenario: the scenarios put a simulated TPM into a
    /// field failure's state, so they need a simulator: one that starts fresh on each run
    /// (QEMU with swtpm, libtpms in-process), or one that keeps its state (mssim, swtpm),
    /// which is rebooted and cleared through its platform hierarchy first. The
    /// register-level ones need QEMU's tpm-tis.
    pub fn applies_to(self, spec: &BackendSpec) -> Result<(), String> {
        let fits = match self {
            Self::Fresh => true,
            Self::NoTpm | Self::FailureMode | Self::Interface0xF => {
                matches!(spec, BackendSpec::QemuTis(_))
            }
            Self::Tpm12 => matches!(
                spec,
                BackendSpec::QemuTis(None) | BackendSpec::QemuCrb(None)
            ),
            Self::Healthy
            | Self::DaLockout
            | Self::ForeignEndorsementAuth
            | Self::NoEkCert
            | Self::OaepEkCert => !matches!(spec, BackendSpec::Dev(_) | BackendSpec::Mmio),
        };
        if fits {
            Ok(())
        } else {
            Err(format!(
                "scenario {} cannot be played by this backend: it needs {}",
                self.name(),
                match self {
                    Self::NoTpm | Self::FailureMode | Self::Interface0xF => "qemu-tis",
                    Self::Tpm12 => "qemu-tis or qemu-crb without firmware",
                    _ => "a simulator (qemu-tis, qemu-crb, libtpms, mssim or swtpm)",
                }
            ))
        }
    }
}

/// What the user asked the doctor to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The field failure to put a simulated TPM in first.
    pub scenario: Scenario,
    /// Write to the TPM as ESXi does (DA reset, persist the EK). `None`: on simulated
    /// backends only; a device (`dev:`, `mmio`) is examined read-only unless asked.
    pub provision: Option<bool>,
    /// The lockoutAuth the user gave; wiped when dropped.
    pub lockout_auth: Option<Zeroizing<Vec<u8>>>,
    /// Authorize over a salted session with parameter encryption. `None`: on devices (a real
    /// bus a probe can tap) yes, on simulators no.
    pub salted: Option<bool>,
    /// Run the attestation dry run (AK, credential, Quote, event log).
    pub attest: bool,
    /// The event log to replay: a file the user named, else (on a `dev:` backend) the
    /// kernel's securityfs copy.
    pub event_log: Option<std::path::PathBuf>,
}

/// Runs the doctor: opens the backend prepared for the scenario, then every check. It never
/// writes to a device unless `options.provision` says so, never sends an authorization
/// value it was not given (the empty lockoutAuth only where lockoutAuth is not set), and
/// stops at the first dead transport.
#[must_use]
pub fn doctor(backend: &str, spec: &BackendSpec, options: &Options) -> Report {
    let scenario = options.scenario;
    let mut report = Report {
        backend: backend.to_owned(),
        scenario: scenario.name().to_owned(),
        interface: "none",
        checks: Vec::new(),
    };
    if let Err(e) = scenario.applies_to(spec) {
        report.checks.push(Check::new("scenario", Status::Fail, e));
        return report;
    }
    let device = matches!(spec, BackendSpec::Dev(_) | BackendSpec::Mmio);
    let log = event_log(spec, options);
    let plan = checks::Plan {
        attest: options.attest.then(|| log.source()),
        provision: options.provision.unwrap_or(!device),
        salted: options.salted.unwrap_or(device),
        lockout_auth: match options.lockout_auth.as_deref().map(|a| Auth::new(a)) {
            Some(Some(a)) => Some(a),
            Some(None) => {
                report.checks.push(Check::new(
                    "lockout-auth",
                    Status::Fail,
                    "the lockoutAuth is longer than 64 bytes",
                ));
                return report;
            }
            None => None,
        },
    };
    report.checks.push(if plan.provision {
        Check::new(
            "mode",
            Status::Info,
            "provisioning as ESXi does: DA counter reset, EK persisted at 0x81010001",
        )
    } else {
        Check::new(
            "mode",
            Status::Info,
            "read-only: nothing is written to the TPM (--provision to reset the DA counter \
             and persist the EK)",
        )
    });
    let (link, reached) = match backend::open(spec, scenario) {
        Ok(opened) => opened,
        Err(f) => {
            report.interface = f.interface;
            report
                .checks
                .push(Check::new("interface", Status::Fail, f.summary).remedy(f.remedy));
            return report;
        }
    };
    let (check, interface) = checks::interface_check(reached);
    report.interface = interface;
    report.checks.push(check);
    if let Reached::Registers(_, holds) = reached {
        report.checks.push(Check::new(
            "locality",
            Status::Ok,
            if holds {
                "locality 0 was active when the driver started (left so by firmware): kept \
                 active, as found"
            } else {
                "locality 0 requested for each command and released after it, as found"
            },
        ));
    }
    let mut tpm = Tpm::new(checks::Watched::new(link), StdDelay);
    // Without simulators no scenario but `fresh` applies: there is nothing to prepare.
    #[cfg(feature = "sim")]
    if !matches!(scenario, Scenario::Fresh | Scenario::FailureMode)
        && let Err(e) = sim::prepare(&mut tpm, scenario, spec.keeps_state())
    {
        if checks::is_tpm12(&e) {
            report.interface = "tpm12";
            report.checks.push(checks::transport_check("startup", &e));
        } else {
            report.checks.push(Check::new(
                "scenario",
                Status::Fail,
                format!("could not prepare: {e}"),
            ));
        }
        return report;
    }
    if let Err(e) = checks::run(&mut tpm, plan, &mut report.checks)
        && checks::is_tpm12(&e)
    {
        report.interface = "tpm12";
    }
    report
}

/// The event log as read for the dry run, owned.
enum LogRead {
    Read(String, Vec<u8>),
    Unreadable(String, String),
    None,
}

impl LogRead {
    fn source(&self) -> attest::LogSource<'_> {
        match self {
            Self::Read(path, bytes) => attest::LogSource::Read { path, bytes },
            Self::Unreadable(path, error) => attest::LogSource::Unreadable { path, error },
            Self::None => attest::LogSource::None,
        }
    }
}

/// The log the user named, or the kernel's on a `dev:` backend (only if the dry run runs).
fn event_log(spec: &BackendSpec, options: &Options) -> LogRead {
    let path = match (&options.event_log, spec) {
        _ if !options.attest => return LogRead::None,
        (Some(path), _) => path.display().to_string(),
        (None, BackendSpec::Dev(_)) => attest::SECURITYFS_LOG.to_owned(),
        (None, _) => return LogRead::None,
    };
    match std::fs::read(&path) {
        Ok(bytes) => LogRead::Read(path, bytes),
        Err(e) => LogRead::Unreadable(path, e.to_string()),
    }
}

/// The README's Rust snippets, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeSnippets;
