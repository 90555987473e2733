//! What a response code or a refusal means for a host that must pass TPM attestation, and
//! what to do about it. Shared by the doctor, `explain` and `tpm2-rc`.

use tpm2_cmds::{Failure, TpmError};
use tpm2_wire::{CommandCode, RcKind, ResponseCode, Subject};

/// A decoded response code, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The raw code.
    pub raw: u32,
    /// `TPM_RC_LOCKOUT`, ...
    pub name: Option<&'static str>,
    /// "handle 1", "session 1", "parameter 2", if the code names one.
    pub subject: Option<String>,
    /// The format: "format-0 warning", "format-1 error", ...
    pub format: &'static str,
    /// The text tpm2-tss prints (`tpm:warn(2.0): ...`).
    pub text: String,
    /// Whether sending the command again may succeed.
    pub retryable: bool,
}

/// Decodes any code.
#[must_use]
pub fn decode(code: ResponseCode) -> Decoded {
    let format = match code.kind() {
        RcKind::Success => "success",
        RcKind::Error(_) => "format-0 error (TPM 2.0)",
        RcKind::Warning(_) => "format-0 warning (TPM 2.0)",
        RcKind::Format1 { .. } => "format-1 error",
        RcKind::Vendor { .. } => "vendor-defined",
        RcKind::Tpm12 { .. } => "TPM 1.2 code",
        RcKind::Tss { .. } => "TSS software layer",
        _ => "unknown",
    };
    let subject = match code.subject() {
        Some(Subject::Unspecified) | None => None,
        Some(s) => Some(s.to_string()),
    };
    Decoded {
        raw: code.raw(),
        name: code.name(),
        subject,
        format,
        text: code.to_string(),
        retryable: code.is_retryable(),
    }
}

impl Decoded {
    /// `TPM_RC_HANDLE on handle 1`, or the hex code when it has no name.
    #[must_use]
    pub fn headline(&self) -> String {
        let name = self
            .name
            .map_or_else(|| format!("{:#x}", self.raw), str::to_owned);
        match &self.subject {
            Some(s) => format!("{name} on {s}"),
            None => name,
        }
    }
}

/// What a refusal of `command` with `code` means, and the remedy.
#[must_use]
pub fn explain_refusal(command: CommandCode, code: ResponseCode) -> (String, String) {
    let error = TpmError::new(command, code);
    let meaning = error.failure().to_string();
    let remedy = remedy(error);
    (meaning, remedy)
}

fn remedy(error: TpmError) -> String {
    let s = match (error.command, error.failure()) {
        (_, Failure::LockoutHierarchyLocked) => {
            "A wrong lockoutAuth was tried, so the lockout hierarchy is locked for \
             TPM_PT_LOCKOUT_RECOVERY seconds (until a power cycle if that is 0). Wait that long \
             and retry with the correct lockoutAuth, or clear the TPM from the firmware setup \
             (TPM2_Clear through the platform hierarchy), which also resets the DA counter."
        }
        (_, Failure::BadLockoutAuth) => {
            "The lockoutAuth is set and differs from the one given: supply the right one. Each \
             wrong try locks the lockout hierarchy for TPM_PT_LOCKOUT_RECOVERY seconds."
        }
        (_, Failure::DaLockout) => {
            "The TPM is in dictionary-attack lockout: DA-protected keys cannot be used. Reset \
             it with TPM2_DictionaryAttackLockReset and the lockoutAuth, or wait \
             TPM_PT_LOCKOUT_INTERVAL seconds per recorded failure."
        }
        (CommandCode::NV_READ_PUBLIC, Failure::NvIndexNotDefined) => {
            "The NV index is not defined on this TPM. For the EK certificate (0x01C00002 RSA, \
             0x01C0000A ECC) this means the module was not provisioned with one by its vendor: \
             attestation services that require an EK certificate reject the host. Use a module \
             with factory-provisioned certificates (or newer firmware), or enroll the EK public \
             key by hand. For the vendor template/nonce (0x01C00004 / 0x01C00003) it is normal: \
             the TCG default template is used."
        }
        (_, Failure::NvIndexNotDefined) => "The NV index is not defined on this TPM.",
        (_, Failure::ObjectNotFound) => {
            "No object at that handle: for 0x81010001 the EK has not been persisted yet, and \
             is created from the template."
        }
        (_, Failure::BadHierarchyAuth) => {
            "The hierarchy has an authValue that was not supplied: another owner (a previous \
             operating system, a management agent or the firmware) set it. Clear the TPM from \
             the firmware setup to reset the hierarchy authorizations, or supply the password."
        }
        (_, Failure::TemplateRejected(_)) => {
            "The TPM does not support this key template: use the TCG default template, or \
             check the vendor template in NV (0x01C00004)."
        }
        (_, Failure::HierarchyDisabled) => {
            "The hierarchy is disabled (TPM2_HierarchyControl): enable it in the firmware setup."
        }
        (_, Failure::NotStarted) => {
            "Run TPM2_Startup(CLEAR) first: the firmware did not start the TPM."
        }
        (_, Failure::AlreadyStarted) => {
            "Nothing to do: the firmware started the TPM already, as it should."
        }
        (_, Failure::TpmFailureMode) => {
            "The TPM is in failure mode: read TPM2_GetTestResult, power-cycle the host, and \
             update or replace the TPM module if it persists."
        }
        (_, Failure::CommandNotSupported) => "The TPM does not implement this command.",
        (_, Failure::RetriesExhausted) => {
            "The TPM stayed busy (TPM_RC_RETRY / TESTING / NV_RATE): retry later."
        }
        _ => "See the response code's meaning above.",
    };
    s.to_owned()
}

/// The diagnosis of an INTERFACE_ID type 0xF (TIS 1.3).
pub const INTERFACE_0XF: &str = "The module reports interface type 0xF: the TIS 1.3 FIFO \
    interface rather than the PTP FIFO (type 0) that ESXi and other PTP-only drivers expect. \
    The registers work as a FIFO (this driver uses them so), but such drivers log 'not \
    speaking the 2.0 protocol' and may misbehave. Check the BIOS TPM settings (TPM 2.0 mode, \
    FIFO/TIS interface) and update the TPM module firmware, or replace the module.";

/// The diagnosis of a TPM 1.2.
pub const TPM12: &str = "The TPM is a TPM 1.2: TPM 2.0 is required for host attestation. \
    Switch the module to TPM 2.0 mode (a vendor firmware update) or replace it.";

/// The diagnosis of no TPM at the address.
pub const NO_TPM: &str = "No TPM answers at 0xFED40000 (registers read all-ones): enable the \
    TPM (or fTPM / PTT) in the firmware setup, or fit a TPM module.";

/// The diagnosis of a TPM in failure mode.
pub const FAILURE_MODE: &str = "The TPM is in failure mode: a self-test or an internal check \
    failed and it now answers only GetTestResult and GetCapability. Power-cycle the host (a \
    cold boot, not a reboot); if it stays in failure mode, update the TPM firmware (the vendor \
    test data above identifies the failed test to the vendor) or replace the module.";

/// The diagnosis of an EK certificate that cannot be parsed.
pub const EK_CERT_UNUSABLE: &str = "The EK certificate in NV is not a DER X.509 certificate: \
    attestation services cannot use it. Ask the TPM or platform vendor for a module or firmware \
    with a valid EK certificate.";

/// The diagnosis of an id-RSAES-OAEP EK certificate.
pub const EK_CERT_OAEP: &str = "The TPM vendor provisioned the EK certificate with the \
    TPM 1.2-era id-RSAES-OAEP key algorithm. ESXi cannot read such a key (VMware KB 334591) and \
    raises the host TPM attestation alarm. Update the TPM firmware with the vendor's tool (newer \
    firmware provisions rsaEncryption certificates) or replace the module.";

/// The diagnosis of an EK certificate for another key.
pub const EK_CERT_MISMATCH: &str = "The certificate in NV was issued for another key than the EK \
    this TPM creates from the TCG template (a vendor template, a replaced or cleared TPM, or a \
    certificate written by another tool). ESXi reports 'Endorsement key does not match EK \
    certificate'. Check the vendor template indices, or have the certificate re-provisioned.";

/// The diagnosis of a ROCA-fingerprinted EK.
pub const ROCA: &str = "The TPM generates weak RSA keys (Infineon RSALib, CVE-2017-15361, \
    ADV170012): update the TPM firmware with the vendor's tool (Infineon SLB 9665 / 9670 \
    updates), then clear the TPM so that new keys are generated; until then RSA keys made by it \
    must not be trusted.";

/// The diagnosis of a CRB TPM on ESXi.
pub const CRB_ON_ESXI: &str = "ESXi supports only the TPM 2.0 FIFO (TIS) interface: with a \
    CRB TPM (firmware TPMs: Intel PTT, AMD fTPM; ACPI start method 7) it logs \"Unsupported \
    'startMethod': 7\" and attestation fails. Fit a discrete TPM 2.0 module, or switch the \
    firmware setup from the firmware TPM to the discrete one.";
