//! EK provisioning, as an ESXi host (and any attestation agent) does it at start-up: reset
//! the DA counter, look for a persisted EK, for a vendor template and nonce and for an EK
//! certificate in NV, create the EK from the vendor or default template, persist it.
//! Every step's outcome is recorded as data for a report.

use core::fmt;

use embedded_hal::delay::DelayNs;
use heapless::Vec;
use tpm2_wire::{
    Auth, EccParameter, Handle, PermanentAttributes, Public, PublicKeyRsa, PublicParameters,
    Transport, Unmarshal,
};

use crate::ek::EkKind;
use crate::{Error, Failure, Tpm, TpmError};

/// What the flow is given.
#[derive(Debug, Clone, Copy)]
pub struct ProvisionConfig<'a> {
    /// Which EK.
    pub kind: EkKind,
    /// The lockoutAuth, to reset the DA counter first; `None` skips the reset. An empty
    /// lockoutAuth is sent only when TPM_PT_PERMANENT says lockoutAuth is not set: a wrong
    /// lockoutAuth locks the lockout hierarchy (lockoutRecovery seconds, or until reboot),
    /// so the flow never guesses.
    pub lockout_auth: Option<Auth<'a>>,
    /// The endorsement hierarchy's authValue (empty on a cleared TPM).
    pub endorsement_auth: Auth<'a>,
    /// The owner hierarchy's authValue, for reading NV and persisting.
    pub owner_auth: Auth<'a>,
    /// Whether to persist the EK with EvictControl.
    pub persist: bool,
}

impl ProvisionConfig<'_> {
    /// An RSA EK, no DA reset, empty hierarchy auths, persisted.
    #[must_use]
    pub const fn rsa() -> Self {
        Self {
            kind: EkKind::Rsa2048,
            lockout_auth: None,
            endorsement_auth: Auth::EMPTY,
            owner_auth: Auth::EMPTY,
            persist: true,
        }
    }
}

/// Why a step was not sent to the TPM although it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Withheld {
    /// DictionaryAttackLockReset with the empty lockoutAuth on a TPM whose lockoutAuth is
    /// set: it would fail and lock the lockout hierarchy.
    LockoutAuthSet,
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LockoutAuthSet => {
                "lockoutAuth is set and none was given: the empty one would fail and lock \
                 the lockout hierarchy"
            }
        })
    }
}

/// One step's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// Not attempted.
    Skipped,
    /// Asked for, and deliberately not sent: the reason.
    Withheld(Withheld),
    /// Done.
    Done,
    /// Looked for and not there.
    Absent,
    /// Looked for and found, with its size in bytes where that applies.
    Present {
        /// Size in bytes (0 for a persisted key).
        size: u16,
    },
    /// The TPM refused.
    Failed(TpmError),
}

/// How the flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome {
    /// An EK was already persisted.
    AlreadyProvisioned,
    /// An EK was created and persisted.
    Provisioned,
    /// An EK was created but not persisted (persist was off).
    Created,
    /// The EK could not be created or persisted; the failed step says why.
    Failed,
}

/// Where the template came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TemplateSource {
    /// The TCG default template.
    Default,
    /// The vendor's template from NV (with its nonce, if there is one).
    Vendor,
}

/// What the flow did, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProvisionReport {
    /// Which EK.
    pub kind: EkKind,
    /// DictionaryAttackLockReset.
    pub da_reset: Step,
    /// ReadPublic of the persistent EK handle.
    pub persisted_ek: Step,
    /// NV_ReadPublic (and NV_Read) of the vendor template index.
    pub vendor_template: Step,
    /// NV_ReadPublic (and NV_Read) of the vendor nonce index.
    pub vendor_nonce: Step,
    /// NV_ReadPublic of the EK certificate index.
    pub certificate: Step,
    /// CreatePrimary in the endorsement hierarchy.
    pub create_primary: Step,
    /// EvictControl to the persistent handle.
    pub evict_control: Step,
    /// The template used.
    pub template: TemplateSource,
    /// The EK's handle: persistent once persisted.
    pub ek_handle: Option<Handle>,
    /// The EK's Name.
    pub ek_name: Vec<u8, 68>,
    /// How it ended.
    pub outcome: Outcome,
}

impl ProvisionReport {
    /// The first step the TPM refused.
    #[must_use]
    pub fn first_failure(&self) -> Option<&TpmError> {
        [
            &self.da_reset,
            &self.persisted_ek,
            &self.vendor_template,
            &self.vendor_nonce,
            &self.certificate,
            &self.create_primary,
            &self.evict_control,
        ]
        .into_iter()
        .find_map(|s| match s {
            Step::Failed(e) => Some(e),
            _ => None,
        })
    }
}

/// A transport or framing failure in the middle of the flow, with the steps done before it.
#[derive(Debug)]
pub struct ProvisionError<E> {
    /// What was done before the failure.
    pub report: ProvisionReport,
    /// The failure.
    pub error: Error<E>,
}

impl<E: tpm2_wire::TransportError> fmt::Display for ProvisionError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EK provisioning interrupted: {}", self.error)
    }
}

impl<E: tpm2_wire::TransportError> core::error::Error for ProvisionError<E> {}

/// Largest vendor template read from NV.
const TEMPLATE_MAX: usize = 640;
/// Largest vendor nonce read from NV.
const NONCE_MAX: usize = 256;

/// Records a TPM refusal as a failed step; keeps other errors as errors.
fn step<E>(result: Result<Step, Error<E>>) -> Result<Step, Error<E>> {
    match result {
        Err(Error::Tpm(e)) => Ok(Step::Failed(e)),
        other => other,
    }
}

/// Looked-for-and-missing is a step of its own.
fn lookup<E>(result: Result<Step, Error<E>>, missing: Failure) -> Result<Step, Error<E>> {
    match result {
        Err(e) if e.is(missing) => Ok(Step::Absent),
        other => step(other),
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    fn nv_size(&mut self, index: Handle) -> Result<Step, Error<T::Error>> {
        let found = self.nv_read_public(index).map(|p| Step::Present {
            size: p.public.data_size,
        });
        lookup(found, Failure::NvIndexNotDefined)
    }

    /// Reads an NV index of `size` bytes into `dst` with owner authorization.
    fn nv_fetch<'b>(
        &mut self,
        index: Handle,
        size: u16,
        owner_auth: Auth<'_>,
        dst: &'b mut [u8],
    ) -> Result<Result<&'b [u8], TpmError>, Error<T::Error>> {
        let Some(dst) = dst.get_mut(..usize::from(size)) else {
            return Err(tpm2_wire::WireError::TooLarge {
                offset: 0,
                value: size.into(),
                max: 0,
            }
            .into());
        };
        match self.nv_read_into(Handle::OWNER, owner_auth, index, 0, dst) {
            Ok(()) => Ok(Ok(dst)),
            Err(Error::Tpm(e)) => Ok(Err(e)),
            Err(e) => Err(e),
        }
    }

    /// Runs the EK provisioning flow. TPM refusals are recorded in the report; only a
    /// transport or framing failure is an `Err`, which keeps the steps done before it.
    /// A transient EK created here is flushed on every path unless it is returned
    /// (`persist` off).
    // The error carries the same report as the success does: boxing it would need an
    // allocator, which this crate never uses.
    #[allow(clippy::result_large_err)]
    pub fn provision_ek(
        &mut self,
        config: &ProvisionConfig<'_>,
    ) -> Result<ProvisionReport, ProvisionError<T::Error>> {
        let mut report = ProvisionReport {
            kind: config.kind,
            da_reset: Step::Skipped,
            persisted_ek: Step::Skipped,
            vendor_template: Step::Skipped,
            vendor_nonce: Step::Skipped,
            certificate: Step::Skipped,
            create_primary: Step::Skipped,
            evict_control: Step::Skipped,
            template: TemplateSource::Default,
            ek_handle: None,
            ek_name: Vec::new(),
            outcome: Outcome::Failed,
        };
        match self.provision_steps(config, &mut report) {
            Ok(()) => Ok(report),
            Err(error) => Err(ProvisionError { report, error }),
        }
    }

    /// DictionaryAttackLockReset, unless only the empty lockoutAuth is known and it is set.
    fn da_reset(&mut self, lockout: Auth<'_>) -> Result<Step, Error<T::Error>> {
        if lockout.as_bytes().is_empty() {
            let permanent = match self.permanent() {
                Ok(p) => p,
                Err(e) => return step(Err(e)),
            };
            if permanent.contains(PermanentAttributes::LOCKOUT_AUTH_SET) {
                return Ok(Step::Withheld(Withheld::LockoutAuthSet));
            }
        }
        step(
            self.dictionary_attack_lock_reset(lockout)
                .map(|()| Step::Done),
        )
    }

    fn provision_steps(
        &mut self,
        config: &ProvisionConfig<'_>,
        report: &mut ProvisionReport,
    ) -> Result<(), Error<T::Error>> {
        let kind = config.kind;
        if let Some(lockout) = config.lockout_auth {
            report.da_reset = self.da_reset(lockout)?;
        }

        let persistent = kind.persistent_handle();
        let found = self.read_public(persistent).map(|p| {
            report.ek_name = Vec::from_slice(p.name.as_bytes()).unwrap_or_default();
            Step::Present { size: 0 }
        });
        report.persisted_ek = lookup(found, Failure::ObjectNotFound)?;
        report.certificate = self.nv_size(kind.certificate_index())?;
        if let Step::Present { .. } = report.persisted_ek {
            report.ek_handle = Some(persistent);
            report.outcome = Outcome::AlreadyProvisioned;
            return Ok(());
        }

        let mut template_bytes = [0u8; TEMPLATE_MAX];
        let mut nonce_bytes = [0u8; NONCE_MAX];
        let mut template = kind.default_template();
        report.vendor_template = self.nv_size(kind.template_index())?;
        if let Step::Present { size } = report.vendor_template {
            match self.nv_fetch(
                kind.template_index(),
                size,
                config.owner_auth,
                &mut template_bytes,
            )? {
                Ok(bytes) => match Public::from_bytes(bytes) {
                    Ok(vendor) => {
                        template = vendor;
                        report.template = TemplateSource::Vendor;
                    }
                    Err(e) => return Err(e.into()),
                },
                Err(e) => report.vendor_template = Step::Failed(e),
            }
        }
        let mut padded = [0u8; NONCE_MAX];
        if report.template == TemplateSource::Vendor {
            report.vendor_nonce = self.nv_size(kind.nonce_index())?;
            if let Step::Present { size } = report.vendor_nonce {
                match self.nv_fetch(
                    kind.nonce_index(),
                    size,
                    config.owner_auth,
                    &mut nonce_bytes,
                )? {
                    Ok(nonce) => apply_nonce(&mut template, nonce, &mut padded),
                    Err(e) => report.vendor_nonce = Step::Failed(e),
                }
            }
        }

        self.create_and_persist(config, &template, report)
    }

    /// CreatePrimary from `template`, then EvictControl and FlushContext, recorded in
    /// `report`.
    fn create_and_persist(
        &mut self,
        config: &ProvisionConfig<'_>,
        template: &Public<'_>,
        report: &mut ProvisionReport,
    ) -> Result<(), Error<T::Error>> {
        let persistent = config.kind.persistent_handle();
        let created = self.create_ek(template, config.endorsement_auth).map(|c| {
            (
                c.handle,
                Vec::<u8, 68>::from_slice(c.name.as_bytes()).unwrap_or_default(),
            )
        });
        let (handle, name) = match created {
            Ok(created) => created,
            Err(Error::Tpm(e)) => {
                report.create_primary = Step::Failed(e);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        report.create_primary = Step::Done;
        report.ek_name = name;
        report.ek_handle = Some(handle);
        report.outcome = Outcome::Created;
        if config.persist {
            let persisted = self
                .evict_control(Handle::OWNER, config.owner_auth, handle, persistent)
                .map(|()| Step::Done);
            // The transient copy is no longer needed whatever EvictControl did.
            let flushed = self.flush_context(handle).map(|()| Step::Done);
            report.ek_handle = None;
            report.outcome = Outcome::Failed;
            report.evict_control = step(persisted)?;
            if report.evict_control == Step::Done {
                report.ek_handle = Some(persistent);
                report.outcome = Outcome::Provisioned;
            }
            step(flushed)?;
        }
        Ok(())
    }
}

/// Puts a vendor nonce into the template's `unique` field, zero-padded to the key size
/// (256 bytes for RSA, 32 for the ECC X coordinate), as tpm2_createek does.
fn apply_nonce<'t>(template: &mut Public<'t>, nonce: &[u8], padded: &'t mut [u8; NONCE_MAX]) {
    let n = nonce.len().min(NONCE_MAX);
    if let (Some(dst), Some(src)) = (padded.get_mut(..n), nonce.get(..n)) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
    match &mut template.parameters {
        PublicParameters::Rsa { unique, .. } => {
            *unique = PublicKeyRsa::new(padded).unwrap_or(*unique);
        }
        PublicParameters::Ecc { unique, .. } => {
            let (x, _) = padded.split_at(32);
            unique.x = EccParameter::new(x).unwrap_or(unique.x);
        }
        _ => {}
    }
}
