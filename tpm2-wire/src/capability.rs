//! TPMS_CAPABILITY_DATA: what TPM2_GetCapability returns.

use crate::{
    AlgId, AlgorithmAttributes, Capability, CommandAttributes, CommandCode, EccCurve, Handle, List,
    Marshal, PcrSelectionList, Property, Reader, Unmarshal, WireError, Writer,
};

/// The most entries a capability list may hold (bounded further by the response size).
pub const MAX_CAP_ENTRIES: u32 = 1024;

/// An algorithm and its attributes (TPMS_ALG_PROPERTY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AlgProperty {
    /// The algorithm.
    pub alg: AlgId,
    /// Its attributes.
    pub attributes: AlgorithmAttributes,
}

impl Marshal for AlgProperty {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.alg.marshal(w);
        self.attributes.marshal(w);
    }
}

impl Unmarshal<'_> for AlgProperty {
    fn decode(r: &mut Reader<'_>) -> Self {
        Self {
            alg: AlgId::decode(r),
            attributes: AlgorithmAttributes::decode(r),
        }
    }
}

/// A TPM property and its value (TPMS_TAGGED_PROPERTY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TaggedProperty {
    /// The property.
    pub property: Property,
    /// Its value.
    pub value: u32,
}

impl Marshal for TaggedProperty {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.property.marshal(w);
        w.u32(self.value);
    }
}

impl Unmarshal<'_> for TaggedProperty {
    fn decode(r: &mut Reader<'_>) -> Self {
        Self {
            property: Property::decode(r),
            value: r.u32(),
        }
    }
}

/// The data of one capability (TPMU_CAPABILITIES, selected by TPM_CAP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CapabilityData<'a> {
    /// `TPM_CAP_ALGS`.
    Algorithms(List<'a, AlgProperty, MAX_CAP_ENTRIES>),
    /// `TPM_CAP_HANDLES`.
    Handles(List<'a, Handle, MAX_CAP_ENTRIES>),
    /// `TPM_CAP_COMMANDS`.
    Commands(List<'a, CommandAttributes, MAX_CAP_ENTRIES>),
    /// `TPM_CAP_PP_COMMANDS`.
    PpCommands(List<'a, CommandCode, MAX_CAP_ENTRIES>),
    /// `TPM_CAP_AUDIT_COMMANDS`.
    AuditCommands(List<'a, CommandCode, MAX_CAP_ENTRIES>),
    /// `TPM_CAP_PCRS`: the allocated PCR banks.
    Pcrs(PcrSelectionList<'a>),
    /// `TPM_CAP_TPM_PROPERTIES`.
    Properties(List<'a, TaggedProperty, MAX_CAP_ENTRIES>),
    /// `TPM_CAP_ECC_CURVES`.
    EccCurves(List<'a, EccCurve, MAX_CAP_ENTRIES>),
}

impl CapabilityData<'_> {
    /// The capability selector.
    #[must_use]
    pub const fn capability(&self) -> Capability {
        match self {
            Self::Algorithms(_) => Capability::ALGS,
            Self::Handles(_) => Capability::HANDLES,
            Self::Commands(_) => Capability::COMMANDS,
            Self::PpCommands(_) => Capability::PP_COMMANDS,
            Self::AuditCommands(_) => Capability::AUDIT_COMMANDS,
            Self::Pcrs(_) => Capability::PCRS,
            Self::Properties(_) => Capability::TPM_PROPERTIES,
            Self::EccCurves(_) => Capability::ECC_CURVES,
        }
    }
}

impl Marshal for CapabilityData<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.capability().marshal(w);
        match self {
            Self::Algorithms(l) => l.marshal(w),
            Self::Handles(l) => l.marshal(w),
            Self::Commands(l) => l.marshal(w),
            Self::PpCommands(l) | Self::AuditCommands(l) => l.marshal(w),
            Self::Pcrs(l) => l.marshal(w),
            Self::Properties(l) => l.marshal(w),
            Self::EccCurves(l) => l.marshal(w),
        }
    }
}

impl<'a> Unmarshal<'a> for CapabilityData<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let offset = r.offset();
        match Capability::decode(r) {
            Capability::ALGS => Self::Algorithms(List::decode(r)),
            Capability::HANDLES => Self::Handles(List::decode(r)),
            Capability::COMMANDS => Self::Commands(List::decode(r)),
            Capability::PP_COMMANDS => Self::PpCommands(List::decode(r)),
            Capability::AUDIT_COMMANDS => Self::AuditCommands(List::decode(r)),
            Capability::PCRS => Self::Pcrs(List::decode(r)),
            Capability::TPM_PROPERTIES => Self::Properties(List::decode(r)),
            Capability::ECC_CURVES => Self::EccCurves(List::decode(r)),
            other => {
                r.fail(WireError::BadSelector {
                    offset,
                    value: other.0,
                });
                Self::Algorithms(List::empty())
            }
        }
    }
}
