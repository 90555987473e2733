//! A bounded, panic-free writer of big-endian bytes into a caller's buffer.

use crate::WireError;

/// Writes TPM values into a caller-owned buffer.
///
/// Every write checks the space left first and writes nothing if it does not fit.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer that fills `buf` from its start.
    pub const fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// How many bytes have been written.
    #[must_use]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// The bytes written so far.
    #[must_use]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or_default()
    }

    /// Gives the buffer back with the length written.
    #[must_use]
    pub fn into_parts(self) -> (&'a mut [u8], usize) {
        (self.buf, self.pos)
    }

    /// Takes the next `n` bytes for the caller to fill, or fails as a write of `n` bytes does.
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&mut [u8], WireError> {
        self.space(n)
    }

    fn space(&mut self, n: usize) -> Result<&mut [u8], WireError> {
        let available = self.buf.len().saturating_sub(self.pos);
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get_mut(self.pos..end)) {
            Some(space) => {
                self.pos = self.pos.saturating_add(n);
                Ok(space)
            }
            None => Err(WireError::BufferFull {
                offset: self.pos,
                needed: n,
                available,
            }),
        }
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        // Equal lengths by construction; zip keeps the copy free of a panic path.
        for (d, s) in self.space(bytes.len())?.iter_mut().zip(bytes) {
            *d = *s;
        }
        Ok(())
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> Result<(), WireError> {
        self.bytes(&[v])
    }

    /// Appends a big-endian `u16`.
    pub fn u16(&mut self, v: u16) -> Result<(), WireError> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> Result<(), WireError> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> Result<(), WireError> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a TPM2B: a `u16` size then the bytes. Fails with [`WireError::TooLarge`] if
    /// `bytes` is longer than `max`.
    pub fn tpm2b(&mut self, bytes: &[u8], max: u16) -> Result<(), WireError> {
        let len = u16::try_from(bytes.len()).ok().filter(|&len| len <= max);
        let Some(len) = len else {
            return Err(WireError::TooLarge {
                offset: self.pos,
                value: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                max: max.into(),
            });
        };
        let start = self.pos;
        self.u16(len)?;
        self.bytes(bytes).inspect_err(|_| self.pos = start)
    }

    /// Appends a sized structure: reserves a `u16` size, runs `body`, then fills the size in.
    pub fn sized(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<(), WireError>,
    ) -> Result<(), WireError> {
        let at = self.pos;
        self.u16(0)?;
        body(self)?;
        let len = self.pos.saturating_sub(at).saturating_sub(2);
        let len = u16::try_from(len).map_err(|_| WireError::TooLarge {
            offset: at,
            value: u32::MAX,
            max: u16::MAX.into(),
        })?;
        self.patch(at, &len.to_be_bytes())
    }

    /// Overwrites bytes already written at `at`.
    pub fn patch(&mut self, at: usize, bytes: &[u8]) -> Result<(), WireError> {
        let end = at.checked_add(bytes.len()).filter(|&end| end <= self.pos);
        match end.and_then(|end| self.buf.get_mut(at..end)) {
            Some(dst) => {
                for (d, s) in dst.iter_mut().zip(bytes) {
                    *d = *s;
                }
                Ok(())
            }
            None => Err(WireError::BufferFull {
                offset: at,
                needed: bytes.len(),
                available: self.pos.saturating_sub(at),
            }),
        }
    }
}
