//! CreatePrimary, ReadPublic, EvictControl, FlushContext.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Auth, CommandCode, CreationData, CreationTicket, Data, Digest, Handle, Name, PcrSelectionList,
    Public, SensitiveCreate, Tpm2b, Transport, Unmarshal,
};

use crate::{Error, Tpm};

/// TPM2_CreatePrimary's answer, borrowed from the response buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CreatePrimary<'a> {
    /// The transient handle of the new object.
    pub handle: Handle,
    /// Its public area.
    pub public: Public<'a>,
    /// How it was created.
    pub creation_data: CreationData<'a>,
    /// The digest of the creation data.
    pub creation_hash: Digest<'a>,
    /// The creation ticket.
    pub ticket: CreationTicket<'a>,
    /// Its Name.
    pub name: Name<'a>,
}

/// TPM2_ReadPublic's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReadPublic<'a> {
    /// The public area.
    pub public: Public<'a>,
    /// The Name.
    pub name: Name<'a>,
    /// The qualified Name.
    pub qualified_name: Name<'a>,
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_CreatePrimary in `hierarchy` (OWNER, ENDORSEMENT, PLATFORM or NULL) authorized by
    /// its authValue. [`Failure::BadHierarchyAuth`](crate::Failure) when `auth` is not the
    /// hierarchy's (0x9A2), [`Failure::TemplateRejected`](crate::Failure) naming the field
    /// the TPM refused.
    pub fn create_primary(
        &mut self,
        hierarchy: Handle,
        auth: Auth<'_>,
        template: &Public<'_>,
        sensitive: &SensitiveCreate<'_>,
        outside_info: Data<'_>,
        creation_pcr: &PcrSelectionList<'_>,
    ) -> Result<CreatePrimary<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CREATE_PRIMARY, 1, |c| {
            c.handle(hierarchy).password(auth);
            c.secret_param(&Tpm2b(sensitive)).param(&Tpm2b(template));
            c.param(&outside_info).param(creation_pcr)
        })?;
        let handle = rsp.handle(0).unwrap_or(Handle(0));
        let mut p = rsp.parameters();
        let created = CreatePrimary {
            handle,
            public: Tpm2b::<Public<'_>>::decode(&mut p).0,
            creation_data: Tpm2b::<CreationData<'_>>::decode(&mut p).0,
            creation_hash: Digest::decode(&mut p),
            ticket: CreationTicket::decode(&mut p),
            name: Name::decode(&mut p),
        };
        p.finish()?;
        Ok(created)
    }

    /// CreatePrimary of an endorsement key from `template` (e.g.
    /// [`RSA_2048_TEMPLATE`](crate::ek::RSA_2048_TEMPLATE)): endorsement hierarchy, empty
    /// sensitive area, no outside info, no creation PCRs.
    pub fn create_ek(
        &mut self,
        template: &Public<'_>,
        endorsement_auth: Auth<'_>,
    ) -> Result<CreatePrimary<'_>, Error<T::Error>> {
        self.create_primary(
            Handle::ENDORSEMENT,
            endorsement_auth,
            template,
            &SensitiveCreate::default(),
            Data::EMPTY,
            &PcrSelectionList::empty(),
        )
    }

    /// TPM2_ReadPublic. [`Failure::ObjectNotFound`](crate::Failure) if nothing is loaded or
    /// persisted at `handle`.
    pub fn read_public(&mut self, handle: Handle) -> Result<ReadPublic<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::READ_PUBLIC, 0, |c| c.handle(handle))?;
        let mut p = rsp.parameters();
        let read = ReadPublic {
            public: Tpm2b::<Public<'_>>::decode(&mut p).0,
            name: Name::decode(&mut p),
            qualified_name: Name::decode(&mut p),
        };
        p.finish()?;
        Ok(read)
    }

    /// TPM2_EvictControl: persists `object` at `persistent`, or, given a persistent object,
    /// removes it. Authorized by OWNER (or PLATFORM).
    pub fn evict_control(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
        object: Handle,
        persistent: Handle,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::EVICT_CONTROL, 0, |c| {
            c.handle(auth_handle).handle(object).password(auth);
            c.param(&persistent)
        })
        .map(drop)
    }

    /// TPM2_FlushContext of a transient object or session.
    pub fn flush_context(&mut self, handle: Handle) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::FLUSH_CONTEXT, 0, |c| c.param(&handle))
            .map(drop)
    }
}
