//! PCR selections and tagged digests: TPMS_PCR_SELECTION, TPMT_HA and their lists.

use crate::{AlgId, Digest, List, Marshal, Reader, Unmarshal, WireError, Writer};

/// The largest PCR select bitmap accepted (64 PCRs).
pub const PCR_SELECT_MAX: u8 = 8;

/// A bank and a bitmap of PCRs in it (TPMS_PCR_SELECTION).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PcrSelection<'a> {
    /// The bank's hash algorithm.
    pub hash: AlgId,
    /// The bitmap: bit `n % 8` of byte `n / 8` selects PCR `n`.
    pub select: &'a [u8],
}

impl<'a> PcrSelection<'a> {
    /// The PCRs of `bitmap` in bank `hash`.
    ///
    /// ```
    /// use tpm2_wire::{AlgId, PcrBitmap, PcrSelection, PcrSelectionList};
    /// let boot = PcrBitmap::of(&[0, 2, 4, 7]);
    /// let banks = [PcrSelection::new(AlgId::SHA256, &boot)];
    /// let list = PcrSelectionList::new(&banks).unwrap();
    /// assert_eq!(banks[0].indices().collect::<Vec<_>>(), [0, 2, 4, 7]);
    /// # let _ = list;
    /// ```
    #[must_use]
    pub const fn new(hash: AlgId, bitmap: &'a PcrBitmap) -> Self {
        Self {
            hash,
            select: &bitmap.0,
        }
    }

    /// Whether PCR `index` is selected.
    #[must_use]
    pub fn is_selected(&self, index: u32) -> bool {
        let byte = usize::try_from(index / 8)
            .ok()
            .and_then(|i| self.select.get(i));
        byte.is_some_and(|b| b & (1 << (index % 8)) != 0)
    }

    /// The selected PCRs, ascending: the order in which PCR_Read returns their values.
    pub fn indices(self) -> impl Iterator<Item = u32> + 'a {
        let count = u32::try_from(self.select.len())
            .unwrap_or(0)
            .saturating_mul(8);
        (0..count).filter(move |&i| self.is_selected(i))
    }
}

/// A PCR bitmap for the 24 PCRs of a PC Client TPM (three select bytes, as TPMs expect):
/// the owned side of [`PcrSelection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PcrBitmap(pub [u8; 3]);

impl PcrBitmap {
    /// No PCR.
    pub const EMPTY: Self = Self([0; 3]);
    /// PCRs 0..=23.
    pub const ALL: Self = Self([0xFF; 3]);

    /// The PCRs in `indices`; indices above 23 are ignored.
    #[must_use]
    pub const fn of(indices: &[u32]) -> Self {
        let mut bitmap = Self::EMPTY;
        let mut rest = indices;
        while let Some((&first, tail)) = rest.split_first() {
            bitmap = bitmap.with(first);
            rest = tail;
        }
        bitmap
    }

    /// This bitmap and PCR `index` (ignored above 23).
    #[must_use]
    pub const fn with(self, index: u32) -> Self {
        let [a, b, c] = self.0;
        let bits = u32::from_le_bytes([a, b, c, 0]);
        let bit = match 1u32.checked_shl(index) {
            Some(bit) if index < 24 => bit,
            _ => 0,
        };
        let [a, b, c, _] = (bits | bit).to_le_bytes();
        Self([a, b, c])
    }
}

impl Marshal for PcrSelection<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        let size = u8::try_from(self.select.len())
            .ok()
            .filter(|&n| n <= PCR_SELECT_MAX);
        let Some(size) = size else {
            return w.fail(WireError::TooLarge {
                offset: w.position(),
                value: u32::try_from(self.select.len()).unwrap_or(u32::MAX),
                max: PCR_SELECT_MAX.into(),
            });
        };
        self.hash.marshal(w);
        w.u8(size);
        w.bytes(self.select);
    }
}

impl<'a> Unmarshal<'a> for PcrSelection<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let hash = AlgId::decode(r);
        let offset = r.offset();
        let size = r.u8();
        if size > PCR_SELECT_MAX {
            r.fail(WireError::TooLarge {
                offset,
                value: size.into(),
                max: PCR_SELECT_MAX.into(),
            });
        }
        Self {
            hash,
            select: r.bytes(size.into()),
        }
    }
}

/// TPML_PCR_SELECTION: up to 16 banks.
pub type PcrSelectionList<'a> = List<'a, PcrSelection<'a>, 16>;

/// TPML_DIGEST: up to 8 digests.
pub type DigestList<'a> = List<'a, Digest<'a>, 8>;

/// A digest tagged with its algorithm (TPMT_HA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TaggedHash<'a> {
    /// The hash algorithm.
    pub alg: AlgId,
    /// The digest; its length must be the algorithm's digest size.
    pub digest: &'a [u8],
}

impl Marshal for TaggedHash<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        let offset = w.position();
        let Some(size) = self.alg.digest_size() else {
            return w.fail(WireError::BadSelector {
                offset,
                value: self.alg.0.into(),
            });
        };
        if usize::from(size) != self.digest.len() {
            return w.fail(WireError::BadValue {
                offset,
                value: u32::try_from(self.digest.len()).unwrap_or(u32::MAX),
            });
        }
        self.alg.marshal(w);
        w.bytes(self.digest);
    }
}

impl<'a> Unmarshal<'a> for TaggedHash<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let offset = r.offset();
        let alg = AlgId::decode(r);
        let size = alg.digest_size().unwrap_or_else(|| {
            r.fail(WireError::BadSelector {
                offset,
                value: alg.0.into(),
            });
            0
        });
        Self {
            alg,
            digest: r.bytes(size.into()),
        }
    }
}

/// TPML_DIGEST_VALUES: one digest per bank, up to 16.
pub type DigestValues<'a> = List<'a, TaggedHash<'a>, 16>;
