//! Typed readers of the TPM properties: the DA state, TPMA_PERMANENT, TPMA_STARTUP_CLEAR and
//! the fixed identity properties, each one GetCapability page.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Capability, CapabilityData, PermanentAttributes, Property, StartupClearAttributes, Transport,
};

use crate::{Error, Tpm};

/// The dictionary-attack state (TPM_PT_PERMANENT and TPM_PT_LOCKOUT_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DaState {
    /// Authorization failures counted (TPM_PT_LOCKOUT_COUNTER).
    pub failed_tries: u32,
    /// Failures that put the TPM in lockout (TPM_PT_MAX_AUTH_FAIL).
    pub max_tries: u32,
    /// Seconds after which one failure is forgotten (TPM_PT_LOCKOUT_INTERVAL).
    pub recovery_time: u32,
    /// Seconds the lockout hierarchy stays locked after a wrong lockoutAuth; 0: until the
    /// next TPM2_Startup(CLEAR) (TPM_PT_LOCKOUT_RECOVERY).
    pub lockout_recovery: u32,
    /// TPMA_PERMANENT.
    pub permanent: PermanentAttributes,
}

impl DaState {
    /// Whether the TPM refuses DA-protected authorizations now (TPMA_PERMANENT.inLockout).
    #[must_use]
    pub const fn in_lockout(&self) -> bool {
        self.permanent.contains(PermanentAttributes::IN_LOCKOUT)
    }

    /// Whether a lockoutAuth is set: DictionaryAttackLockReset with the empty one would fail
    /// and lock the lockout hierarchy.
    #[must_use]
    pub const fn lockout_auth_set(&self) -> bool {
        self.permanent
            .contains(PermanentAttributes::LOCKOUT_AUTH_SET)
    }
}

/// The fixed properties that identify a TPM (TPM_PT_FAMILY_INDICATOR .. FIRMWARE_VERSION_2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FixedProperties {
    /// The family, four ASCII bytes ("2.0").
    pub family: [u8; 4],
    /// The specification level.
    pub level: u32,
    /// The specification revision times 100 (164 is 1.64).
    pub revision: u32,
    /// The manufacturer's TCG vendor ID, four ASCII bytes ("IFX", "NTC", "IBM").
    pub manufacturer: [u8; 4],
    /// TPM_PT_VENDOR_STRING_1..4, 16 ASCII bytes.
    pub vendor_string: [u8; 16],
    /// TPM_PT_FIRMWARE_VERSION_1 and _2, whose meaning is the vendor's.
    pub firmware_version: (u32, u32),
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// Calls `f` with each (property, value) from `first` on, one GetCapability page.
    fn properties(
        &mut self,
        first: Property,
        count: u32,
        mut f: impl FnMut(Property, u32),
    ) -> Result<(), Error<T::Error>> {
        let page = self.get_capability(Capability::TPM_PROPERTIES, first.0, count)?;
        if let CapabilityData::Properties(list) = page.data {
            for p in &list {
                f(p.property, p.value);
            }
        }
        Ok(())
    }

    /// The dictionary-attack state, read without any authorization.
    pub fn dictionary_attack_state(&mut self) -> Result<DaState, Error<T::Error>> {
        let mut state = DaState {
            failed_tries: 0,
            max_tries: 0,
            recovery_time: 0,
            lockout_recovery: 0,
            permanent: PermanentAttributes::empty(),
        };
        self.properties(Property::PERMANENT, 32, |p, v| match p {
            Property::PERMANENT => state.permanent = PermanentAttributes::from_bits_retain(v),
            Property::LOCKOUT_COUNTER => state.failed_tries = v,
            Property::MAX_AUTH_FAIL => state.max_tries = v,
            Property::LOCKOUT_INTERVAL => state.recovery_time = v,
            Property::LOCKOUT_RECOVERY => state.lockout_recovery = v,
            _ => {}
        })?;
        Ok(state)
    }

    /// TPMA_PERMANENT: which hierarchy authValues are set, lockout, and more.
    pub fn permanent(&mut self) -> Result<PermanentAttributes, Error<T::Error>> {
        let value = self.get_property(Property::PERMANENT)?.unwrap_or(0);
        Ok(PermanentAttributes::from_bits_retain(value))
    }

    /// TPMA_STARTUP_CLEAR: which hierarchies are enabled, and whether the last shutdown
    /// was orderly.
    pub fn startup_clear(&mut self) -> Result<StartupClearAttributes, Error<T::Error>> {
        let value = self.get_property(Property::STARTUP_CLEAR)?.unwrap_or(0);
        Ok(StartupClearAttributes::from_bits_retain(value))
    }

    /// The fixed properties that identify the TPM.
    pub fn fixed_properties(&mut self) -> Result<FixedProperties, Error<T::Error>> {
        let mut fixed = FixedProperties::default();
        self.properties(Property::FAMILY_INDICATOR, 13, |p, v| {
            let bytes = v.to_be_bytes();
            let mut vendor = |i: usize| {
                if let Some(dst) = fixed.vendor_string.get_mut(i * 4..i * 4 + 4) {
                    dst.copy_from_slice(&bytes);
                }
            };
            match p {
                Property::FAMILY_INDICATOR => fixed.family = bytes,
                Property::LEVEL => fixed.level = v,
                Property::REVISION => fixed.revision = v,
                Property::MANUFACTURER => fixed.manufacturer = bytes,
                Property::VENDOR_STRING_1 => vendor(0),
                Property::VENDOR_STRING_2 => vendor(1),
                Property::VENDOR_STRING_3 => vendor(2),
                Property::VENDOR_STRING_4 => vendor(3),
                Property::FIRMWARE_VERSION_1 => fixed.firmware_version.0 = v,
                Property::FIRMWARE_VERSION_2 => fixed.firmware_version.1 = v,
                _ => {}
            }
        })?;
        Ok(fixed)
    }
}
