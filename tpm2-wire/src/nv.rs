//! TPMS_NV_PUBLIC: an NV index's public area.

use crate::{AlgId, Digest, Handle, Marshal, NvAttributes, Reader, Unmarshal, Writer};

/// An NV index's public area (TPMS_NV_PUBLIC). Wrap it in [`Tpm2b`](crate::Tpm2b) for
/// TPM2B_NV_PUBLIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NvPublic<'a> {
    /// The index handle.
    pub index: Handle,
    /// The Name algorithm.
    pub name_alg: AlgId,
    /// The index attributes.
    pub attributes: NvAttributes,
    /// The authorization policy digest, or empty.
    pub auth_policy: Digest<'a>,
    /// The data size in bytes.
    pub data_size: u16,
}

impl Marshal for NvPublic<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.index.marshal(w);
        self.name_alg.marshal(w);
        self.attributes.marshal(w);
        self.auth_policy.marshal(w);
        w.u16(self.data_size);
    }
}

impl<'a> Unmarshal<'a> for NvPublic<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            index: Handle::decode(r),
            name_alg: AlgId::decode(r),
            attributes: NvAttributes::decode(r),
            auth_policy: Digest::decode(r),
            data_size: r.u16(),
        }
    }
}
