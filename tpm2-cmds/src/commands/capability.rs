//! GetCapability, single pages and all pages.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{Capability, CapabilityData, CommandCode, Property, Transport, Unmarshal};

use crate::{Error, Tpm};

/// One page of TPM2_GetCapability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CapabilityPage<'a> {
    /// Whether more values follow (moreData).
    pub more: bool,
    /// The values.
    pub data: CapabilityData<'a>,
}

/// The `property` argument that continues after the last value of a page.
fn next_property(data: &CapabilityData<'_>) -> Option<u32> {
    let last = match data {
        CapabilityData::Algorithms(l) => l.iter().last().map(|a| u32::from(a.alg.0)),
        CapabilityData::Handles(l) => l.iter().last().map(|h| h.0),
        CapabilityData::Commands(l) => l.iter().last().map(|c| u32::from(c.command_index())),
        CapabilityData::PpCommands(l) | CapabilityData::AuditCommands(l) => {
            l.iter().last().map(|c| c.0)
        }
        CapabilityData::Properties(l) => l.iter().last().map(|p| p.property.0),
        CapabilityData::EccCurves(l) => l.iter().last().map(|c| u32::from(c.0)),
        _ => None,
    };
    last.and_then(|v| v.checked_add(1))
}

/// The most pages [`Tpm::for_each_capability`] reads, so a TPM that always says moreData
/// cannot keep it looping.
pub const MAX_PAGES: u32 = 64;

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// One page of TPM2_GetCapability: up to `count` values of `capability` from `property`.
    pub fn get_capability(
        &mut self,
        capability: Capability,
        property: u32,
        count: u32,
    ) -> Result<CapabilityPage<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::GET_CAPABILITY, 0, |c| {
            c.param(&capability).param(&property).param(&count)
        })?;
        let mut p = rsp.parameters();
        let more = p.bool();
        let data = CapabilityData::decode(&mut p);
        p.finish()?;
        Ok(CapabilityPage { more, data })
    }

    /// Every page of `capability` from `property`, each handed to `f`, following moreData
    /// (at most [`MAX_PAGES`] pages). Returns the number of pages read.
    pub fn for_each_capability(
        &mut self,
        capability: Capability,
        mut property: u32,
        mut f: impl FnMut(&CapabilityData<'_>),
    ) -> Result<u32, Error<T::Error>> {
        for page in 1..=MAX_PAGES {
            let CapabilityPage { more, data } = self.get_capability(capability, property, 256)?;
            f(&data);
            match next_property(&data) {
                Some(next) if more => property = next,
                _ => return Ok(page),
            }
        }
        Ok(MAX_PAGES)
    }

    /// The value of one TPM property, if the TPM reports it.
    pub fn get_property(&mut self, property: Property) -> Result<Option<u32>, Error<T::Error>> {
        let page = self.get_capability(Capability::TPM_PROPERTIES, property.0, 1)?;
        Ok(match page.data {
            CapabilityData::Properties(l) => {
                l.iter().find(|p| p.property == property).map(|p| p.value)
            }
            _ => None,
        })
    }
}
