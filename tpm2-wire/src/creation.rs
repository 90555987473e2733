//! What CreatePrimary takes and returns besides the public area: TPMS_SENSITIVE_CREATE,
//! TPMS_CREATION_DATA and TPMT_TK_CREATION.

use crate::{
    AlgId, Auth, Data, Digest, Handle, LocalityAttributes, Marshal, Name, PcrSelectionList, Reader,
    SensitiveData, Tag, Unmarshal, WireError, Writer,
};

/// The caller-chosen sensitive part of a new object (TPMS_SENSITIVE_CREATE). Wrap it in
/// [`Tpm2b`](crate::Tpm2b) for TPM2B_SENSITIVE_CREATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SensitiveCreate<'a> {
    /// The new object's authValue.
    pub user_auth: Auth<'a>,
    /// Data to seal, or empty for a key the TPM generates.
    pub data: SensitiveData<'a>,
}

impl Marshal for SensitiveCreate<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.user_auth.marshal(w);
        self.data.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for SensitiveCreate<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            user_auth: Auth::decode(r),
            data: SensitiveData::decode(r),
        }
    }
}

/// How an object was created (TPMS_CREATION_DATA). Wrap it in [`Tpm2b`](crate::Tpm2b) for
/// TPM2B_CREATION_DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CreationData<'a> {
    /// The PCRs included in `pcr_digest`.
    pub pcr_select: PcrSelectionList<'a>,
    /// The digest of the selected PCRs.
    pub pcr_digest: Digest<'a>,
    /// The locality of the command.
    pub locality: LocalityAttributes,
    /// The parent's Name algorithm.
    pub parent_name_alg: AlgId,
    /// The parent's Name.
    pub parent_name: Name<'a>,
    /// The parent's qualified Name.
    pub parent_qualified_name: Name<'a>,
    /// The caller's outsideInfo.
    pub outside_info: Data<'a>,
}

impl Marshal for CreationData<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.pcr_select.marshal(w);
        self.pcr_digest.marshal(w);
        self.locality.marshal(w);
        self.parent_name_alg.marshal(w);
        self.parent_name.marshal(w);
        self.parent_qualified_name.marshal(w);
        self.outside_info.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for CreationData<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            pcr_select: PcrSelectionList::decode(r),
            pcr_digest: Digest::decode(r),
            locality: LocalityAttributes::decode(r),
            parent_name_alg: AlgId::decode(r),
            parent_name: Name::decode(r),
            parent_qualified_name: Name::decode(r),
            outside_info: Data::decode(r),
        }
    }
}

/// A creation ticket (TPMT_TK_CREATION): proof that the TPM created an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CreationTicket<'a> {
    /// The hierarchy of the object.
    pub hierarchy: Handle,
    /// The ticket HMAC.
    pub digest: Digest<'a>,
}

impl Marshal for CreationTicket<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        Tag::CREATION.marshal(w);
        self.hierarchy.marshal(w);
        self.digest.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for CreationTicket<'a> {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Self {
        let offset = r.offset();
        let tag = Tag::decode(r);
        if tag != Tag::CREATION {
            r.fail(WireError::BadTag { offset, tag: tag.0 });
        }
        Self {
            hierarchy: Handle::decode(r),
            digest: Digest::decode(r),
        }
    }
}
