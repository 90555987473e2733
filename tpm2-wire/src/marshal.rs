//! The two traits every TPM structure implements.

use crate::{Reader, WireError, Writer};

/// Encodes a value in TPM wire format.
pub trait Marshal {
    /// Appends the value's bytes to `w`.
    fn marshal(&self, w: &mut Writer<'_>);

    /// The value's bytes in a vector of their size (feature `alloc`): for hosts that keep
    /// or send a structure (a public area, a signature) after the frame it came in is gone.
    #[cfg(feature = "alloc")]
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    fn to_vec(&self) -> Result<alloc::vec::Vec<u8>, WireError> {
        // A TPM frame is at most a few KiB; a structure larger than 64 KiB is refused.
        let mut capacity = 4096;
        loop {
            let mut buf = alloc::vec![0u8; capacity];
            let mut w = Writer::new(&mut buf);
            self.marshal(&mut w);
            match w.result() {
                Ok(len) => {
                    buf.truncate(len);
                    return Ok(buf);
                }
                Err(WireError::BufferFull { .. }) if capacity < 1 << 16 => {
                    capacity = capacity.saturating_mul(4);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A reference encodes as its value: `Tpm2b(&public)` wraps a structure without copying it.
impl<T: Marshal + ?Sized> Marshal for &T {
    fn marshal(&self, w: &mut Writer<'_>) {
        (**self).marshal(w);
    }
}

/// Decodes a value in TPM wire format, borrowing variable-length parts from the input.
///
/// A type implements [`Unmarshal::decode`], a plain sequence of reads whose failures the
/// [`Reader`] keeps; callers use [`Unmarshal::unmarshal`] or [`Unmarshal::from_bytes`], which
/// hand out the value only if every read succeeded.
pub trait Unmarshal<'a>: Sized {
    /// Reads one value from `r`. If a read fails (or the value is refused, through
    /// [`Reader::fail`]), `r` keeps the failure and the value returned is a placeholder, to
    /// be dropped: a decoder of a larger structure goes on reading, and whoever checks `r`
    /// first ([`Reader::check`], [`Reader::finish`]) gets the failure.
    fn decode(r: &mut Reader<'a>) -> Self;

    /// Reads one value from `r`, or the first failure of `r`.
    fn unmarshal(r: &mut Reader<'a>) -> Result<Self, WireError> {
        let v = Self::decode(r);
        r.check().map(|()| v)
    }

    /// Reads one value that must span all of `bytes`.
    fn from_bytes(bytes: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r);
        r.finish().map(|()| v)
    }
}

macro_rules! primitive {
    ($($ty:ident),*) => {$(
        impl Marshal for $ty {
            fn marshal(&self, w: &mut Writer<'_>) {
                w.$ty(*self)
            }
        }
        impl Unmarshal<'_> for $ty {
            fn decode(r: &mut Reader<'_>) -> Self {
                r.$ty()
            }
        }
    )*};
}
primitive!(u8, u16, u32, u64);

impl Marshal for bool {
    fn marshal(&self, w: &mut Writer<'_>) {
        w.u8(u8::from(*self));
    }
}

impl Unmarshal<'_> for bool {
    fn decode(r: &mut Reader<'_>) -> Self {
        r.bool()
    }
}

/// Declares a TPM constant set as a newtype with associated constants, the way rustls declares
/// open wire enums: unknown values survive decoding and print in hex.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident($ty:ident) {
            $( $(#[$cmeta:meta])* $konst:ident = $value:literal, $spec:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name(pub $ty);

        impl $name {
            $(
                #[doc = concat!("`", $spec, "`")]
                $(#[$cmeta])*
                pub const $konst: Self = Self($value);
            )*

            /// The specification's name for this value, if it has one.
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($spec), )*
                    _ => None,
                }
            }

            /// The raw value.
            #[must_use]
            pub const fn get(self) -> $ty {
                self.0
            }
        }

        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $ty {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(self, f)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{:#x}", self.0),
                }
            }
        }

        impl $crate::Marshal for $name {
            fn marshal(&self, w: &mut $crate::Writer<'_>) {
                w.$ty(self.0)
            }
        }

        impl $crate::Unmarshal<'_> for $name {
            fn decode(r: &mut $crate::Reader<'_>) -> Self {
                Self(r.$ty())
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    /// A structure of `n` bytes.
    struct Filler(usize);

    impl Marshal for Filler {
        fn marshal(&self, w: &mut Writer<'_>) {
            (0..self.0).for_each(|i| w.u8(i as u8));
        }
    }

    #[test]
    fn to_vec_gives_exactly_the_written_bytes_growing_past_a_frame_and_refusing_past_64_kib() {
        assert_eq!(0x1234u16.to_vec(), Ok(alloc::vec![0x12, 0x34]));
        let big = Filler(5000).to_vec().unwrap();
        assert_eq!(big.len(), 5000);
        assert_eq!(big[4999], (4999 % 256) as u8);
        assert!(matches!(
            Filler(70_000).to_vec(),
            Err(WireError::BufferFull { .. })
        ));
    }
}
