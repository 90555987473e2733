//! TPM2B_* sized byte buffers, borrowed from the frame they were read from.

use crate::{Marshal, Reader, Unmarshal, WireError, Writer};

macro_rules! tpm2b {
    ($( $(#[$meta:meta])* $name:ident = $max:expr; )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name<'a>(&'a [u8]);

        impl<'a> $name<'a> {
            /// The largest size this buffer may have.
            pub const MAX: u16 = $max;
            /// The empty buffer.
            pub const EMPTY: Self = Self(&[]);

            /// Wraps `bytes`, or `None` if they exceed [`Self::MAX`]. Usable in `const` items.
            #[must_use]
            pub const fn new(bytes: &'a [u8]) -> Option<Self> {
                if bytes.len() <= crate::bits::usize_from_u16(Self::MAX) { Some(Self(bytes)) } else { None }
            }

            /// The buffer's bytes.
            #[must_use]
            pub const fn as_bytes(&self) -> &'a [u8] {
                self.0
            }

            /// The buffer's length.
            #[must_use]
            pub const fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether the buffer is empty.
            #[must_use]
            pub const fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl AsRef<[u8]> for $name<'_> {
            fn as_ref(&self) -> &[u8] {
                self.0
            }
        }

        impl Marshal for $name<'_> {
            fn marshal(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
                w.tpm2b(self.0, Self::MAX)
            }
        }

        impl<'a> Unmarshal<'a> for $name<'a> {
            fn unmarshal(r: &mut Reader<'a>) -> Result<Self, WireError> {
                r.tpm2b(Self::MAX).map(Self)
            }
        }
    )*};
}

tpm2b! {
    /// TPM2B_DIGEST: a digest, up to the largest hash (64 bytes).
    Digest = 64;
    /// TPM2B_NONCE: a session nonce.
    Nonce = 64;
    /// TPM2B_AUTH: an authorization value (password or HMAC).
    Auth = 64;
    /// TPM2B_DATA: opaque data such as outsideInfo, up to a TPMT_HA (66 bytes).
    Data = 66;
    /// TPM2B_NAME: an entity's Name: a handle (4 bytes) or nameAlg + digest (up to 66 bytes).
    Name = 66;
    /// TPM2B_SENSITIVE_DATA: data placed in a created object's sensitive area.
    SensitiveData = 128;
    /// TPM2B_PUBLIC_KEY_RSA: an RSA modulus, up to 4096 bits.
    PublicKeyRsa = 512;
    /// TPM2B_ECC_PARAMETER: one ECC coordinate, up to BN P638 (80 bytes).
    EccParameter = 80;
    /// TPM2B_MAX_NV_BUFFER: NV data for one NV_Read / NV_Write.
    MaxNvBuffer = 2048;
    /// TPM2B_MAX_BUFFER: a data buffer (e.g. hash input).
    MaxBuffer = 1024;
    /// TPM2B_EVENT: event data for PCR_Event.
    Event = 1024;
}

/// A structure preceded by its `u16` size (TPM2B_PUBLIC, TPM2B_NV_PUBLIC,
/// TPM2B_SENSITIVE_CREATE, TPM2B_CREATION_DATA, TPM2B_ECC_POINT).
///
/// Encoding fills the size in after the structure; decoding reads exactly `size` bytes and
/// rejects a structure that does not fill them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Tpm2b<T>(pub T);

impl<T: Marshal> Marshal for Tpm2b<T> {
    fn marshal(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.sized(|w| self.0.marshal(w))
    }
}

impl<'a, T: Unmarshal<'a>> Unmarshal<'a> for Tpm2b<T> {
    fn unmarshal(r: &mut Reader<'a>) -> Result<Self, WireError> {
        let mut inner = r.sized()?;
        let value = T::unmarshal(&mut inner)?;
        inner.finish()?;
        Ok(Self(value))
    }
}
