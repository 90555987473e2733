//! PCR_Read and PCR_Extend.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    AlgId, Auth, CommandCode, Digest, DigestList, DigestValues, Handle, PcrBitmap, PcrSelection,
    PcrSelectionList, Transport, Unmarshal,
};

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

/// The PCRs of a PC Client bank.
pub const BANK_PCRS: usize = 24;

/// Every PCR of one bank, owned: [`Tpm::pcr_read_bank`] fills it with as many PCR_Reads as
/// the TPM needs (it returns at most 8 digests each), all under one update counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcrBank {
    /// The bank's hash algorithm.
    pub bank: AlgId,
    /// The PCR update counter all the values were read under.
    pub update_counter: u32,
    values: [[u8; 64]; BANK_PCRS],
    size: usize,
    read: u32,
}

impl PcrBank {
    /// An empty bank of `bank`'s digest size, for a caller who has the values from elsewhere
    /// (a verifier given them over the network).
    #[must_use]
    pub fn new(bank: AlgId) -> Self {
        Self {
            bank,
            update_counter: 0,
            values: [[0; 64]; BANK_PCRS],
            size: bank.digest_size().map_or(0, usize::from),
            read: 0,
        }
    }

    /// Sets PCR `index` to `value` (ignored above 23 or when `value` is not the bank's size).
    pub fn set(&mut self, index: u32, value: &[u8]) {
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| self.values.get_mut(i));
        if let Some(slot) = slot.filter(|_| value.len() == self.size) {
            for (d, s) in slot.iter_mut().zip(value) {
                *d = *s;
            }
            self.read |= 1 << index;
        }
    }

    /// PCR `index`'s value, if it was read.
    #[must_use]
    pub fn get(&self, index: u32) -> Option<&[u8]> {
        if self.read & 1u32.checked_shl(index).unwrap_or(0) == 0 {
            return None;
        }
        let i = usize::try_from(index).ok()?;
        self.values.get(i)?.get(..self.size)
    }

    /// Whether all 24 PCRs were read (false for a bank the TPM has not allocated).
    #[must_use]
    pub const fn is_complete(&self) -> bool {
        self.read == ALL_READ
    }

    /// The PCRs read, ascending, with their values.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[u8])> + '_ {
        (0..24).filter_map(|i| self.get(i).map(|v| (i, v)))
    }
}

/// The `read` bitmap of a bank whose every PCR was read.
const ALL_READ: u32 = (1 << BANK_PCRS) - 1;

/// The most PCR_Reads one bank takes: three of eight, with room for the counter moving.
const MAX_BANK_READS: usize = 12;

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// Every PCR (0..=23) of `bank`, paired with its index: PCR_Read again for what the TPM
    /// left out, and from the start if the update counter moved in between, so that the
    /// values belong together. A bank the TPM has not allocated comes back empty
    /// ([`PcrBank::is_complete`] is false).
    pub fn pcr_read_bank(&mut self, bank: AlgId) -> Result<PcrBank, Error<T::Error>> {
        let mut out = PcrBank::new(bank);
        for round in 0..MAX_BANK_READS {
            let missing = !out.read & ALL_READ;
            if missing == 0 {
                break;
            }
            let [a, b, c, _] = missing.to_le_bytes();
            let bitmap = PcrBitmap([a, b, c]);
            let selection = [PcrSelection::new(bank, &bitmap)];
            let list = PcrSelectionList::new(&selection).unwrap_or_else(PcrSelectionList::empty);
            let read = self.pcr_read(&list)?;
            if round > 0 && read.update_counter != out.update_counter {
                out.read = 0;
            }
            out.update_counter = read.update_counter;
            let before = out.read;
            for v in read.values().filter(|v| v.bank == bank) {
                out.set(v.index, v.digest.as_bytes());
            }
            // Nothing new: a bank the TPM has not allocated, or PCRs it will not show.
            if out.read == before {
                break;
            }
        }
        Ok(out)
    }

    /// TPM2_PCR_Read.
    pub fn pcr_read(
        &mut self,
        selection: &PcrSelectionList<'_>,
    ) -> Result<PcrRead<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::PCR_READ, 0, |c| c.param(selection))?;
        let mut p = rsp.parameters();
        let read = PcrRead {
            update_counter: p.u32(),
            selection: PcrSelectionList::decode(&mut p),
            digests: DigestList::decode(&mut p),
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
            c.handle(Handle(index)).password(auth).param(digests)
        })
        .map(drop)
    }
}
