//! PCR_Read and PCR_Extend.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Auth, CommandCode, DigestList, DigestValues, Handle, PcrSelectionList, Transport, Unmarshal,
};

use super::password;
use crate::{Error, Tpm};

/// TPM2_PCR_Read's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PcrRead<'a> {
    /// The PCR update counter.
    pub update_counter: u32,
    /// The PCRs actually read (the TPM may return fewer than asked).
    pub selection: PcrSelectionList<'a>,
    /// Their values, in selection order.
    pub digests: DigestList<'a>,
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_PCR_Read.
    pub fn pcr_read(
        &mut self,
        selection: &PcrSelectionList<'_>,
    ) -> Result<PcrRead<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::PCR_READ, 0, |c| c.param(selection).map(drop))?;
        let mut p = rsp.parameters();
        let read = PcrRead {
            update_counter: p.u32()?,
            selection: PcrSelectionList::unmarshal(&mut p)?,
            digests: DigestList::unmarshal(&mut p)?,
        };
        p.finish()?;
        Ok(read)
    }

    /// TPM2_PCR_Extend of PCR `index` with one digest per bank.
    pub fn pcr_extend(
        &mut self,
        index: u32,
        auth: Auth<'_>,
        digests: &DigestValues<'_>,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::PCR_EXTEND, 0, |c| {
            c.handle(Handle(index))?
                .sessions(&password(auth))?
                .param(digests)
                .map(drop)
        })
        .map(drop)
    }
}
