//! A bounded, panic-free reader over untrusted big-endian bytes.

use crate::WireError;

/// Reads TPM values from a byte slice, bounding every read.
///
/// Errors report offsets relative to the frame the reader was made for: a sub-reader made by
/// [`Reader::sized`] keeps counting from its parent's position. Nothing here can panic.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, whose first byte is at offset 0.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self::at(bytes, 0)
    }

    /// A reader over `bytes`, whose first byte is at `offset` in the enclosing frame.
    #[must_use]
    pub const fn at(bytes: &'a [u8], offset: usize) -> Self {
        Self {
            rest: bytes,
            offset,
        }
    }

    /// The offset of the next byte to be read.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// How many bytes are left.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte has been read.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes not read yet, without consuming them.
    #[must_use]
    pub const fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        match self.rest.split_at_checked(n) {
            Some((head, tail)) => {
                self.rest = tail;
                self.offset = self.offset.wrapping_add(n);
                Ok(head)
            }
            None => Err(WireError::Truncated {
                offset: self.offset,
                needed: n,
                available: self.rest.len(),
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let offset = self.offset;
        let available = self.rest.len();
        <[u8; N]>::try_from(self.bytes(N)?).map_err(|_| WireError::Truncated {
            offset,
            needed: N,
            available,
        })
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a TPMI_YES_NO byte.
    pub fn bool(&mut self) -> Result<bool, WireError> {
        let offset = self.offset;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(WireError::BadValue {
                offset,
                value: v.into(),
            }),
        }
    }

    /// Reads a TPM2B: a `u16` size then that many bytes, at most `max`.
    pub fn tpm2b(&mut self, max: u16) -> Result<&'a [u8], WireError> {
        let offset = self.offset;
        let size = self.u16()?;
        if size > max {
            return Err(WireError::TooLarge {
                offset,
                value: size.into(),
                max: max.into(),
            });
        }
        self.bytes(size.into())
    }

    /// Reads a sized structure (a `u16` size then the structure) and returns a reader limited
    /// to it. The caller should end with [`Reader::finish`] on the sub-reader.
    pub fn sized(&mut self) -> Result<Reader<'a>, WireError> {
        let size = self.u16()?;
        let offset = self.offset;
        Ok(Reader::at(self.bytes(size.into())?, offset))
    }

    /// Reads a list count (`u32`), at most `max`.
    pub fn count(&mut self, max: u32) -> Result<u32, WireError> {
        let offset = self.offset;
        let count = self.u32()?;
        if count > max {
            return Err(WireError::TooLarge {
                offset,
                value: count,
                max,
            });
        }
        Ok(count)
    }

    /// Succeeds only if every byte has been read.
    pub fn finish(&self) -> Result<(), WireError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes {
                offset: self.offset,
                count: self.rest.len(),
            })
        }
    }
}
