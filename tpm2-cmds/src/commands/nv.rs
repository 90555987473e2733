//! NV_ReadPublic, NV_Read (chunked), NV_DefineSpace, NV_Write (chunked), NV_UndefineSpace.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Auth, CommandCode, Handle, MaxNvBuffer, Name, NvPublic, Property, Tpm2b, Transport, Unmarshal,
    WireError,
};

use crate::{Error, Tpm};

/// TPM2_NV_ReadPublic's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NvReadPublic<'a> {
    /// The index's public area.
    pub public: NvPublic<'a>,
    /// The index's Name.
    pub name: Name<'a>,
}

/// The NV transfer size used before TPM_PT_NV_BUFFER_MAX is known (the PC Client minimum).
const NV_CHUNK_FALLBACK: u16 = 512;

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_NV_ReadPublic. [`Failure::NvIndexNotDefined`](crate::Failure) if there is no
    /// such index (TPM_RC_HANDLE on handle 1, 0x18B).
    pub fn nv_read_public(&mut self, index: Handle) -> Result<NvReadPublic<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::NV_READ_PUBLIC, 0, |c| c.handle(index))?;
        let mut p = rsp.parameters();
        let public = Tpm2b::<NvPublic<'_>>::decode(&mut p).0;
        let name = Name::decode(&mut p);
        p.finish()?;
        Ok(NvReadPublic { public, name })
    }

    /// TPM2_NV_Read of up to one NV buffer: `size` bytes at `offset`, authorized by
    /// `auth_handle` (the index itself, OWNER or PLATFORM) with `auth`.
    pub fn nv_read(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
        index: Handle,
        size: u16,
        offset: u16,
    ) -> Result<MaxNvBuffer<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::NV_READ, 0, |c| {
            c.handle(auth_handle).handle(index).password(auth);
            c.param(&size).param(&offset)
        })?;
        let mut p = rsp.parameters();
        let data = MaxNvBuffer::decode(&mut p);
        p.finish()?;
        Ok(data)
    }

    /// The TPM's NV transfer size (TPM_PT_NV_BUFFER_MAX), asked once and remembered.
    pub fn nv_buffer_max(&mut self) -> Result<u16, Error<T::Error>> {
        if let Some(max) = self.nv_buffer_max {
            return Ok(max);
        }
        let max = self
            .get_property(Property::NV_BUFFER_MAX)?
            .and_then(|v| u16::try_from(v).ok())
            .filter(|&v| v > 0)
            .unwrap_or(NV_CHUNK_FALLBACK)
            .min(MaxNvBuffer::MAX);
        self.nv_buffer_max = Some(max);
        Ok(max)
    }

    /// Reads `dst.len()` bytes from `offset` of an index into `dst`, in chunks of
    /// TPM_PT_NV_BUFFER_MAX.
    pub fn nv_read_into(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
        index: Handle,
        offset: u16,
        dst: &mut [u8],
    ) -> Result<(), Error<T::Error>> {
        let chunk = usize::from(self.nv_buffer_max()?);
        let mut done = 0usize;
        while done < dst.len() {
            let want = chunk.min(dst.len() - done);
            let at =
                u16::try_from(usize::from(offset) + done).map_err(|_| WireError::BadValue {
                    offset: 0,
                    value: u32::MAX,
                })?;
            let want16 = u16::try_from(want).unwrap_or(u16::MAX);
            let data = self.nv_read(auth_handle, auth, index, want16, at)?;
            let got = data.as_bytes();
            if got.is_empty() || got.len() > want {
                return Err(WireError::BadValue {
                    offset: 0,
                    value: u32::try_from(got.len()).unwrap_or(0),
                }
                .into());
            }
            if let Some(slot) = dst.get_mut(done..done + got.len()) {
                for (d, s) in slot.iter_mut().zip(got) {
                    *d = *s;
                }
            }
            done += got.len();
        }
        Ok(())
    }

    /// TPM2_NV_DefineSpace under `auth_handle` (OWNER or PLATFORM) with the index's own
    /// `index_auth`.
    pub fn nv_define_space(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
        index_auth: Auth<'_>,
        public: &NvPublic<'_>,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::NV_DEFINE_SPACE, 0, |c| {
            c.handle(auth_handle).password(auth);
            c.secret_param(&index_auth).param(&Tpm2b(public))
        })
        .map(drop)
    }

    /// TPM2_NV_UndefineSpace.
    pub fn nv_undefine_space(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
        index: Handle,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::NV_UNDEFINE_SPACE, 0, |c| {
            c.handle(auth_handle).handle(index).password(auth)
        })
        .map(drop)
    }

    /// Writes `data` at `offset` of an index, in chunks of TPM_PT_NV_BUFFER_MAX.
    pub fn nv_write(
        &mut self,
        auth_handle: Handle,
        auth: Auth<'_>,
        index: Handle,
        offset: u16,
        data: &[u8],
    ) -> Result<(), Error<T::Error>> {
        let chunk = usize::from(self.nv_buffer_max()?);
        for (i, part) in data.chunks(chunk.max(1)).enumerate() {
            let at = u16::try_from(usize::from(offset) + i * chunk).map_err(|_| {
                WireError::BadValue {
                    offset: 0,
                    value: u32::MAX,
                }
            })?;
            let part = MaxNvBuffer::new(part).ok_or(WireError::TooLarge {
                offset: 0,
                value: 0,
                max: MaxNvBuffer::MAX.into(),
            })?;
            self.execute(CommandCode::NV_WRITE, 0, |c| {
                c.handle(auth_handle).handle(index).password(auth);
                c.param(&part).param(&at)
            })?;
        }
        Ok(())
    }
}
