//! PCR_Read and PCR_Extend.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    AlgId, Auth, CommandCode, Digest, DigestList, DigestValues, Handle, PcrSelectionList,
    Transport, Unmarshal,
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

/// One PCR's value from a PCR_Read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PcrValue<'a> {
    /// The bank.
    pub bank: AlgId,
    /// The PCR index.
    pub index: u32,
    /// Its value.
    pub digest: Digest<'a>,
}

impl<'a> PcrRead<'a> {
    /// Each value with its bank and PCR index: the TPM returns the digests in selection
    /// order (banks in list order, PCRs ascending), and this pairs them up.
    pub fn values(&self) -> impl Iterator<Item = PcrValue<'a>> + '_ {
        self.selection
            .iter()
            .flat_map(|s| s.indices().map(move |index| (s.hash, index)))
            .zip(self.digests.iter())
            .map(|((bank, index), digest)| PcrValue {
                bank,
                index,
                digest,
            })
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_PCR_Read.
    pub fn pcr_read(
        &mut self,
        selection: &PcrSelectionList<'_>,
    ) -> Result<PcrRead<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::PCR_READ, 0, |c| c.param(selection))?;
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
        })
        .map(drop)
    }
}
