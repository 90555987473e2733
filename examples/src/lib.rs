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

pub mod backend;
pub mod checks;
pub mod diagnosis;
pub mod explain;
#[allow(unsafe_code)]
mod mmio;
pub mod report;

use core::str::FromStr;

use tpm2_cmds::Tpm;
use tpm2_tests::delay::CountingDelay;

use crate::backend::{BackendSpec, Reached};
use crate::report::{Check, Report, Status};

/// A state the simulated TPM is put in before the checks: the failures of the field logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A manufacture-fresh TPM: no EK certificate, no EK yet.
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
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Self; 9] = [
        Self::Fresh,
        Self::Healthy,
        Self::DaLockout,
        Self::ForeignEndorsementAuth,
        Self::NoEkCert,
        Self::Interface0xF,
        Self::Tpm12,
        Self::NoTpm,
        Self::FailureMode,
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

/// Runs the doctor: opens the backend prepared for `scenario`, then every check.
#[must_use]
pub fn doctor(backend: &str, spec: &BackendSpec, scenario: Scenario) -> Report {
    let mut report = Report {
        backend: backend.to_owned(),
        scenario: scenario.name().to_owned(),
        interface: "none",
        checks: Vec::new(),
    };
    let simulated = !matches!(spec, BackendSpec::Dev(_) | BackendSpec::Mmio);
    if scenario != Scenario::Fresh && !simulated {
        report.checks.push(Check::new(
            "scenario",
            Status::Fail,
            "scenarios apply to simulated TPMs only",
        ));
        return report;
    }
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
    let mut tpm: Tpm<_, _> = Tpm::new(link, CountingDelay::default());
    if simulated
        && !matches!(scenario, Scenario::Fresh | Scenario::FailureMode)
        && let Err(e) = checks::prepare(&mut tpm, scenario)
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
    if let Err(e) = checks::run(&mut tpm, &mut report.checks)
        && checks::is_tpm12(&e)
    {
        report.interface = "tpm12";
    }
    report
}
