//! Create, Load, CreateLoaded, ContextSave and ContextLoad: ordinary (non-primary) objects
//! under a parent, and saving a loaded object or session out of the TPM.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Auth, CommandCode, Context, CreationData, CreationTicket, Data, Digest, Handle, Name,
    PcrSelectionList, Private, Public, SensitiveCreate, Tpm2b, Transport, Unmarshal,
};

use super::object::creation_command;
use crate::{Error, Tpm};

/// TPM2_Create's answer: the new object's protected private area and its public area, which
/// Load takes, and how it was created. Borrowed from the response buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Created<'a> {
    /// The private area, encrypted and integrity-protected by the parent.
    pub private: Private<'a>,
    /// The public area.
    pub public: Public<'a>,
    /// How it was created.
    pub creation_data: CreationData<'a>,
    /// The digest of the creation data.
    pub creation_hash: Digest<'a>,
    /// The creation ticket, for CertifyCreation.
    pub ticket: CreationTicket<'a>,
}

/// An object loaded into the TPM: its transient handle and its Name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Loaded<'a> {
    /// The transient handle; flush it when done.
    pub handle: Handle,
    /// The object's Name.
    pub name: Name<'a>,
}

/// TPM2_CreateLoaded's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CreatedLoaded<'a> {
    /// The transient handle; flush it when done.
    pub handle: Handle,
    /// The private area (empty for a primary object).
    pub private: Private<'a>,
    /// The public area.
    pub public: Public<'a>,
    /// The Name.
    pub name: Name<'a>,
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_Create of an object from `template` under the loaded storage key `parent`,
    /// authorized by the parent's authValue `parent_auth` (or, for a parent with a policy
    /// such as the EK, by an installed policy session). The object is not loaded: pass its
    /// private and public areas to [`Tpm::load`].
    pub fn create(
        &mut self,
        parent: Handle,
        parent_auth: Auth<'_>,
        template: &Public<'_>,
        sensitive: &SensitiveCreate<'_>,
    ) -> Result<Created<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CREATE, 0, |c| {
            let area = (sensitive, Data::EMPTY, &PcrSelectionList::empty());
            creation_command(c, parent, parent_auth, template, area)
        })?;
        let mut p = rsp.parameters();
        let created = Created {
            private: Private::decode(&mut p),
            public: Tpm2b::<Public<'_>>::decode(&mut p).0,
            creation_data: Tpm2b::<CreationData<'_>>::decode(&mut p).0,
            creation_hash: Digest::decode(&mut p),
            ticket: CreationTicket::decode(&mut p),
        };
        p.finish()?;
        Ok(created)
    }

    /// TPM2_Load of an object Create made under `parent`.
    pub fn load(
        &mut self,
        parent: Handle,
        parent_auth: Auth<'_>,
        private: Private<'_>,
        public: &Public<'_>,
    ) -> Result<Loaded<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::LOAD, 1, |c| {
            c.handle(parent).password(parent_auth);
            c.param(&private).param(&Tpm2b(public))
        })?;
        let handle = rsp.handle(0).unwrap_or(Handle::NULL);
        let mut p = rsp.parameters();
        let name = Name::decode(&mut p);
        p.finish()?;
        Ok(Loaded { handle, name })
    }

    /// TPM2_CreateLoaded: an object created under `parent` and loaded in one command (a
    /// primary object when `parent` is a hierarchy).
    pub fn create_loaded(
        &mut self,
        parent: Handle,
        parent_auth: Auth<'_>,
        template: &Public<'_>,
        sensitive: &SensitiveCreate<'_>,
    ) -> Result<CreatedLoaded<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CREATE_LOADED, 1, |c| {
            c.handle(parent).password(parent_auth);
            // TPM2B_TEMPLATE holds a marshaled TPMT_PUBLIC, as TPM2B_PUBLIC does.
            c.secret_param(&Tpm2b(sensitive)).param(&Tpm2b(template))
        })?;
        let handle = rsp.handle(0).unwrap_or(Handle::NULL);
        let mut p = rsp.parameters();
        let created = CreatedLoaded {
            handle,
            private: Private::decode(&mut p),
            public: Tpm2b::<Public<'_>>::decode(&mut p).0,
            name: Name::decode(&mut p),
        };
        p.finish()?;
        Ok(created)
    }

    /// TPM2_ContextSave of a loaded object or a session. A saved session stays the TPM's:
    /// load it back (or flush it) later.
    pub fn context_save(&mut self, handle: Handle) -> Result<Context<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CONTEXT_SAVE, 0, |c| c.handle(handle))?;
        let mut p = rsp.parameters();
        let context = Context::decode(&mut p);
        p.finish()?;
        Ok(context)
    }

    /// TPM2_ContextLoad: the saved `context` back into the TPM, at the handle returned.
    pub fn context_load(&mut self, context: &Context<'_>) -> Result<Handle, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CONTEXT_LOAD, 1, |c| c.param(context))?;
        let handle = rsp.handle(0).unwrap_or(Handle::NULL);
        rsp.parameters().finish()?;
        Ok(handle)
    }
}

/// The largest TPMT_PUBLIC a [`KeyBlob`] keeps (an RSA 4096 key with a SHA-512 policy).
const BLOB_PUBLIC_MAX: usize = 768;
/// The largest TPM2B_PRIVATE contents a [`KeyBlob`] keeps.
const BLOB_PRIVATE_MAX: usize = 1024;

/// An object's public and private areas copied out of the response buffer, so that it can
/// be loaded after other commands (Create's answer lives only until the next one). The
/// private area is the parent's encryption of the sensitive area: not a secret by itself,
/// but wiped on drop all the same.
#[derive(Clone)]
pub struct KeyBlob {
    public: [u8; BLOB_PUBLIC_MAX],
    public_len: usize,
    private: [u8; BLOB_PRIVATE_MAX],
    private_len: usize,
}

impl KeyBlob {
    /// Copies the areas of `created`; [`WireError::BufferFull`] if they do not fit.
    ///
    /// [`WireError::BufferFull`]: tpm2_wire::WireError::BufferFull
    pub fn of(created: &Created<'_>) -> Result<Self, tpm2_wire::WireError> {
        let mut blob = Self {
            public: [0; BLOB_PUBLIC_MAX],
            public_len: 0,
            private: [0; BLOB_PRIVATE_MAX],
            private_len: 0,
        };
        let mut w = tpm2_wire::Writer::new(&mut blob.public);
        tpm2_wire::Marshal::marshal(&created.public, &mut w);
        blob.public_len = w.result()?;
        let mut w = tpm2_wire::Writer::new(&mut blob.private);
        w.bytes(created.private.as_bytes());
        blob.private_len = w.result()?;
        Ok(blob)
    }

    /// The public area.
    pub fn public(&self) -> Result<Public<'_>, tpm2_wire::WireError> {
        Public::from_bytes(self.public.get(..self.public_len).unwrap_or_default())
    }

    /// The private area, as Load takes it.
    #[must_use]
    pub fn private(&self) -> Private<'_> {
        Private::new(self.private.get(..self.private_len).unwrap_or_default()).unwrap_or_default()
    }
}

impl core::fmt::Debug for KeyBlob {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyBlob")
            .field("public", &self.public())
            .field("private_len", &self.private_len)
            .finish_non_exhaustive()
    }
}

impl Drop for KeyBlob {
    fn drop(&mut self) {
        crate::tpm::wipe(&mut self.private);
    }
}
