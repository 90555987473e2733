//! TPML_* lists: a `u32` count then that many entries.

use core::fmt;
use core::marker::PhantomData;

use crate::bits::usize_from_u32;
use crate::{Marshal, Reader, Unmarshal, WireError, Writer};

/// A TPML list of `T` with at most `MAX` entries.
///
/// A decoded list borrows its entries' bytes from the frame and decodes each entry when
/// iterated, so a long list costs no stack. A list to encode borrows a slice of entries.
#[derive(Clone, Copy)]
pub struct List<'a, T, const MAX: u32> {
    repr: Repr<'a, T>,
}

#[derive(Clone, Copy)]
enum Repr<'a, T> {
    Wire {
        count: u32,
        bytes: &'a [u8],
        offset: usize,
        _t: PhantomData<T>,
    },
    Items(&'a [T]),
}

impl<'a, T, const MAX: u32> List<'a, T, MAX> {
    /// A list of the given entries, or `None` if there are more than `MAX`.
    #[must_use]
    pub fn new(items: &'a [T]) -> Option<Self> {
        if items.len() <= usize_from_u32(MAX) {
            Some(Self {
                repr: Repr::Items(items),
            })
        } else {
            None
        }
    }

    /// The empty list.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            repr: Repr::Items(&[]),
        }
    }

    /// The number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire { count, .. } => usize_from_u32(count),
            Repr::Items(items) => items.len(),
        }
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, T: Unmarshal<'a> + Copy, const MAX: u32> List<'a, T, MAX> {
    /// The entries, in order.
    #[must_use]
    pub fn iter(&self) -> Iter<'a, T> {
        match self.repr {
            Repr::Wire {
                count,
                bytes,
                offset,
                ..
            } => Iter::Wire {
                reader: Reader::at(bytes, offset),
                left: count,
            },
            Repr::Items(items) => Iter::Items(items.iter()),
        }
    }
}

impl<'a, T: Unmarshal<'a> + Copy, const MAX: u32> IntoIterator for &List<'a, T, MAX> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// An iterator over a [`List`]'s entries.
#[derive(Debug, Clone)]
pub enum Iter<'a, T> {
    /// Over entries decoded from a frame.
    #[doc(hidden)]
    Wire {
        /// The entries' bytes.
        reader: Reader<'a>,
        /// How many are left.
        left: u32,
    },
    /// Over a caller's entries.
    #[doc(hidden)]
    Items(core::slice::Iter<'a, T>),
}

impl<'a, T: Unmarshal<'a> + Copy> Iterator for Iter<'a, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        match self {
            Self::Wire { reader, left } => {
                *left = left.checked_sub(1)?;
                // The entries were validated when the list was decoded.
                T::unmarshal(reader).ok()
            }
            Self::Items(items) => items.next().copied(),
        }
    }
}

impl<'a, T: Unmarshal<'a> + Copy + PartialEq, const MAX: u32> PartialEq for List<'a, T, MAX> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<'a, T: Unmarshal<'a> + Copy + Eq, const MAX: u32> Eq for List<'a, T, MAX> {}

impl<'a, T: Unmarshal<'a> + Copy + fmt::Debug, const MAX: u32> fmt::Debug for List<'a, T, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl<'a, T: Unmarshal<'a> + Copy + defmt::Format, const MAX: u32> defmt::Format
    for List<'a, T, MAX>
{
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "[");
        for item in self {
            defmt::write!(f, "{}, ", item);
        }
        defmt::write!(f, "]");
    }
}

impl<T: Marshal, const MAX: u32> Marshal for List<'_, T, MAX> {
    fn marshal(&self, w: &mut Writer<'_>) {
        match self.repr {
            Repr::Wire { count, bytes, .. } => {
                w.u32(count);
                w.bytes(bytes);
            }
            Repr::Items(items) => {
                let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
                if count > MAX {
                    return w.fail(WireError::TooLarge {
                        offset: w.position(),
                        value: count,
                        max: MAX,
                    });
                }
                w.u32(count);
                for item in items {
                    item.marshal(w);
                }
            }
        }
    }
}

impl<'a, T: Unmarshal<'a>, const MAX: u32> Unmarshal<'a> for List<'a, T, MAX> {
    fn decode(r: &mut Reader<'a>) -> Self {
        let count = r.count(MAX);
        let offset = r.offset();
        let start = r.peek_rest();
        for _ in 0..count {
            T::decode(r);
        }
        let used = start.len().saturating_sub(r.remaining());
        let bytes = start.get(..used).unwrap_or_default();
        Self {
            repr: Repr::Wire {
                count,
                bytes,
                offset,
                _t: PhantomData,
            },
        }
    }
}
