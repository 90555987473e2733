//! CreatePrimary, ReadPublic, EvictControl, FlushContext.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Auth, CommandCode, CommandWriter, CreationData, CreationTicket, Data, Digest, Handle, Name,
    PcrSelectionList, Public, Response, SensitiveCreate, Tpm2b, Transport, Unmarshal,
};

use crate::ek::{ECC_P256_TEMPLATE, EkKind, RSA_2048_TEMPLATE};
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
            let area = (sensitive, outside_info, creation_pcr);
            creation_command(c, hierarchy, auth, template, area)
        })?;
        created(rsp)
    }

    /// CreatePrimary of an endorsement key from `template`: endorsement hierarchy, empty
    /// sensitive area, no outside info, no creation PCRs. For a vendor's template (read from
    /// NV) or one of your own; the TCG default templates are
    /// [`create_default_ek`](Self::create_default_ek)'s.
    pub fn create_ek(
        &mut self,
        template: &Public<'_>,
        endorsement_auth: Auth<'_>,
    ) -> Result<CreatePrimary<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CREATE_PRIMARY, 1, |c| {
            ek_command(c, endorsement_auth, template)
        })?;
        created(rsp)
    }

    /// CreatePrimary of the endorsement key of `kind` from its TCG default template
    /// ([`EkKind::default_template`]): the same command as `create_ek` with that template.
    ///
    /// The template is a constant in the code that writes the command, so the compiler
    /// writes its bytes there: a firmware that creates its EK this way links no encoder of
    /// public areas (measured on the firmware path image: 374 bytes less than `create_ek` with
    /// the same template).
    /// Each kind used adds its own such code; a program that encodes several templates
    /// shares one encoder through [`create_ek`](Self::create_ek).
    ///
    /// ```
    /// # use tpm2_cmds::{Auth, Tpm, ek::EkKind};
    /// # let mut tpm = Tpm::new(tpm2_tests::libtpms::Libtpms::start()?, tpm2_tests::delay::VirtualClock::default());
    /// # tpm.startup(tpm2_cmds::StartupType::CLEAR)?;
    /// let ek = tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY)?;
    /// let handle = ek.handle;
    /// tpm.flush_context(handle)?; // a transient object: flushed when no longer needed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_default_ek(
        &mut self,
        kind: EkKind,
        endorsement_auth: Auth<'_>,
    ) -> Result<CreatePrimary<'_>, Error<T::Error>> {
        let code = CommandCode::CREATE_PRIMARY;
        let auth = endorsement_auth;
        // Each arm names its template inside its command closure, where it is a constant.
        let rsp = match kind {
            EkKind::Rsa2048 => self.execute(code, 1, |c| ek_command(c, auth, &RSA_2048_TEMPLATE)),
            EkKind::EccP256 => self.execute(code, 1, |c| ek_command(c, auth, &ECC_P256_TEMPLATE)),
        }?;
        created(rsp)
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

/// The handle and parameters of CreatePrimary (a hierarchy) and Create (a parent), which
/// have the same layout: the handle with its password, the sensitive area, the template,
/// outsideInfo and the creation PCRs. Inlined, so that a constant template is encoded where
/// it is known.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(super) fn creation_command<'c, 'w>(
    c: &'c mut CommandWriter<'w>,
    parent: Handle,
    auth: Auth<'_>,
    template: &Public<'_>,
    (sensitive, outside_info, creation_pcr): (
        &SensitiveCreate<'_>,
        Data<'_>,
        &PcrSelectionList<'_>,
    ),
) -> &'c mut CommandWriter<'w> {
    c.handle(parent).password(auth);
    c.secret_param(&Tpm2b(sensitive)).param(&Tpm2b(template));
    c.param(&outside_info).param(creation_pcr)
}

/// An EK's CreatePrimary: endorsement hierarchy, empty sensitive area, no outside info, no
/// creation PCRs.
#[allow(clippy::inline_always)]
#[inline(always)]
fn ek_command<'c, 'w>(
    c: &'c mut CommandWriter<'w>,
    endorsement_auth: Auth<'_>,
    template: &Public<'_>,
) -> &'c mut CommandWriter<'w> {
    let area = (
        &SensitiveCreate::default(),
        Data::EMPTY,
        &PcrSelectionList::empty(),
    );
    creation_command(c, Handle::ENDORSEMENT, endorsement_auth, template, area)
}

/// CreatePrimary's response, every field decoded and the parameters checked to end where
/// they should.
fn created<E>(rsp: Response<'_>) -> Result<CreatePrimary<'_>, Error<E>> {
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
