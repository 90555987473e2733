//! TPM2B_* sized byte buffers, borrowed from the frame they were read from.

use core::fmt;

use crate::{Marshal, Reader, Unmarshal, Writer};

/// Lowercase hex of `bytes`.
fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

macro_rules! tpm2b {
    ($( $(#[$meta:meta])* $name:ident = $max:expr, $secret:literal; )*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
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

        /// The bytes in hex, or only their count for a secret (an authorization value).
        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                if $secret {
                    write!(f, "{} secret bytes", self.0.len())?;
                } else {
                    hex(f, self.0)?;
                }
                f.write_str(")")
            }
        }

        impl Marshal for $name<'_> {
            fn marshal(&self, w: &mut Writer<'_>) {
                w.tpm2b(self.0, Self::MAX)
            }
        }

        impl<'a> Unmarshal<'a> for $name<'a> {
            fn decode(r: &mut Reader<'a>) -> Self {
                Self(r.tpm2b(Self::MAX))
            }
        }
    )*};
}

tpm2b! {
    /// TPM2B_DIGEST: a digest, up to the largest hash (64 bytes).
    Digest = 64, false;
    /// TPM2B_NONCE: a session nonce.
    Nonce = 64, false;
    /// TPM2B_AUTH: an authorization value (password or HMAC). Its `Debug` shows only its
    /// length.
    Auth = 64, true;
    /// TPM2B_DATA: opaque data such as outsideInfo, up to a TPMT_HA (66 bytes).
    Data = 66, false;
    /// TPM2B_NAME: an entity's Name: a handle (4 bytes) or nameAlg + digest (up to 66 bytes).
    Name = 66, false;
    /// TPM2B_SENSITIVE_DATA: data placed in a created object's sensitive area. Its `Debug`
    /// shows only its length.
    SensitiveData = 128, true;
    /// TPM2B_PUBLIC_KEY_RSA: an RSA modulus, up to 4096 bits.
    PublicKeyRsa = 512, false;
    /// TPM2B_ECC_PARAMETER: one ECC coordinate, up to BN P638 (80 bytes).
    EccParameter = 80, false;
    /// TPM2B_MAX_NV_BUFFER: NV data for one NV_Read / NV_Write.
    MaxNvBuffer = 2048, false;
    /// TPM2B_MAX_BUFFER: a data buffer (e.g. hash input).
    MaxBuffer = 1024, false;
    /// TPM2B_EVENT: event data for PCR_Event.
    Event = 1024, false;
    /// TPM2B_PRIVATE: an object's sensitive area, encrypted and integrity-protected by its
    /// parent, as Create returns it and Load takes it.
    Private = 2048, false;
    /// TPM2B_ID_OBJECT: a credential made for an AK Name and an EK (integrity HMAC then the
    /// encrypted secret), for ActivateCredential.
    IdObject = 132, false;
    /// TPM2B_ENCRYPTED_SECRET: a seed encrypted to a key (an RSA-OAEP ciphertext or an ECC
    /// point).
    EncryptedSecret = 512, false;
    /// TPM2B_ATTEST: a marshaled TPMS_ATTEST, exactly the bytes the TPM signed.
    AttestBytes = 2048, false;
    /// TPM2B_CONTEXT_DATA: a saved context's protected blob.
    ContextData = 5120, false;
}

macro_rules! hex_display {
    ($($name:ident),*) => {$(
        /// Lowercase hex, as tpm2-tools prints it: `println!("{}", ek.name)`.
        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                hex(f, self.0)
            }
        }
    )*};
}

hex_display!(
    Digest,
    Nonce,
    Data,
    Name,
    PublicKeyRsa,
    EccParameter,
    IdObject,
    EncryptedSecret
);

/// A structure preceded by its `u16` size (TPM2B_PUBLIC, TPM2B_NV_PUBLIC,
/// TPM2B_SENSITIVE_CREATE, TPM2B_CREATION_DATA, TPM2B_ECC_POINT).
///
/// Encoding fills the size in after the structure; decoding reads exactly `size` bytes and
/// rejects a structure that does not fill them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Tpm2b<T>(pub T);

impl<T: Marshal> Marshal for Tpm2b<T> {
    fn marshal(&self, w: &mut Writer<'_>) {
        w.sized(|w| self.0.marshal(w));
    }
}

impl<'a, T: Unmarshal<'a>> Unmarshal<'a> for Tpm2b<T> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self(r.sized(T::decode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_digests_print_as_hex_and_secrets_do_not_print() {
        extern crate std;
        use std::format;
        let name = Name::new(&[0x00, 0x0b, 0xAB, 0x01]).unwrap();
        assert_eq!(format!("{name}"), "000bab01");
        assert_eq!(format!("{name:?}"), "Name(000bab01)");
        let auth = Auth::new(b"hunter2").unwrap();
        assert_eq!(format!("{auth:?}"), "Auth(7 secret bytes)");
    }
}
