//! A bounded, panic-free writer of big-endian bytes into a caller's buffer.

use crate::WireError;

/// Writes TPM values into a caller-owned buffer.
///
/// Every write checks the space left first and writes nothing if it does not fit. A write
/// that fails is not returned as an error at that point: the writer keeps the first error,
/// writes nothing more, and [`Writer::result`] (or [`CommandWriter::finish`]) reports it.
/// So an encoder is a plain sequence of writes with no branch after each, which is what
/// keeps encoding small in flash and fast: the checks happen once, where the bytes go.
///
/// ```
/// # use tpm2_wire::{Writer, WireError};
/// let mut buf = [0u8; 6];
/// let mut w = Writer::new(&mut buf);
/// w.u16(0x8001);
/// w.u32(12);
/// assert_eq!(w.result(), Ok(6));
/// w.u8(0); // no room: nothing is written, and the error stays
/// assert!(matches!(w.result(), Err(WireError::BufferFull { offset: 6, needed: 1, .. })));
/// ```
///
/// [`CommandWriter::finish`]: crate::CommandWriter::finish
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    /// Where writes must end: the buffer's length, or 0 once a write failed or writing ended.
    limit: usize,
    error: Option<WireError>,
}

impl<'a> Writer<'a> {
    /// A writer that fills `buf` from its start.
    pub const fn new(buf: &'a mut [u8]) -> Self {
        let limit = buf.len();
        Self {
            buf,
            pos: 0,
            limit,
            error: None,
        }
    }

    /// A writer of `buf` whose first `written` bytes (at most its length) are already
    /// filled.
    pub(crate) const fn after(buf: &'a mut [u8], written: usize) -> Self {
        let limit = buf.len();
        Self {
            buf,
            pos: written,
            limit,
            error: None,
        }
    }

    /// A writer of `buf` that failed a first write of `needed` bytes.
    pub(crate) const fn full_at_start(buf: &'a mut [u8], needed: usize) -> Self {
        let available = buf.len();
        Self {
            buf,
            pos: 0,
            limit: 0,
            error: Some(WireError::BufferFull {
                offset: 0,
                needed,
                available,
            }),
        }
    }

    /// How many bytes have been written.
    #[must_use]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// The bytes written so far (up to the first error, if there was one).
    #[must_use]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or_default()
    }

    /// The first write that failed, if one did.
    #[must_use]
    pub const fn error(&self) -> Option<WireError> {
        self.error
    }

    /// The number of bytes written, or the first error.
    pub const fn result(&self) -> Result<usize, WireError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.pos),
        }
    }

    /// Gives the buffer back with the length written.
    #[must_use]
    pub fn into_parts(self) -> (&'a mut [u8], usize) {
        (self.buf, self.pos)
    }

    /// Records `error` unless an earlier one is kept, and ends writing: every later write
    /// writes nothing. For encoders of a caller's own that find a value they cannot encode.
    ///
    /// Inlined: a writer whose address reached an out-of-line function would live in memory,
    /// and every write would load and store it (measured: the EK encode took 2.6 times as
    /// long).
    #[inline]
    pub fn fail(&mut self, error: WireError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.limit = 0;
    }

    /// Ends writing without an error: a later write is refused as out of order.
    pub(crate) const fn end(&mut self) {
        self.limit = 0;
    }

    /// Takes the next `n` bytes for the caller to fill, or records a write of `n` bytes
    /// that did not fit and returns `None`.
    pub(crate) fn reserve(&mut self, n: usize) -> Option<&mut [u8]> {
        let start = self.pos;
        // `limit` is at most the buffer's length, so the range below is inside it.
        if let Some(end) = start.checked_add(n).filter(|&end| end <= self.limit) {
            self.pos = end;
            self.buf.get_mut(start..end)
        } else {
            self.full(n);
            None
        }
    }

    fn full(&mut self, needed: usize) {
        let (offset, available) = (self.pos, self.buf.len().saturating_sub(self.pos));
        // A writer that was ended (a finished command) refuses the write as out of order.
        let error = if self.limit == self.buf.len() {
            WireError::BufferFull {
                offset,
                needed,
                available,
            }
        } else {
            WireError::OutOfOrder { offset }
        };
        self.fail(error);
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        if let Some(space) = self.reserve(bytes.len()) {
            // Equal lengths by construction; zip keeps the copy free of a panic path.
            for (d, s) in space.iter_mut().zip(bytes) {
                *d = *s;
            }
        }
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    /// Appends a big-endian `u16`.
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    /// Appends a TPM2B: a `u16` size then the bytes. Fails with [`WireError::TooLarge`] if
    /// `bytes` is longer than `max`, having written nothing.
    pub fn tpm2b(&mut self, bytes: &[u8], max: u16) {
        match u16::try_from(bytes.len()).ok().filter(|&len| len <= max) {
            Some(len) => {
                self.u16(len);
                self.bytes(bytes);
            }
            None => self.fail(WireError::TooLarge {
                offset: self.pos,
                value: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                max: max.into(),
            }),
        }
    }

    /// Appends a sized structure: reserves a `u16` size, runs `body`, then fills the size in.
    pub fn sized(&mut self, body: impl FnOnce(&mut Self)) {
        let at = self.pos;
        self.u16(0);
        body(self);
        self.end_sized(at);
    }

    /// Fills in the size of the structure written after the `u16` at `at`. Apart from
    /// [`Writer::sized`], so that one body serves every sized structure.
    fn end_sized(&mut self, at: usize) {
        let len = self.pos.saturating_sub(at).saturating_sub(2);
        match u16::try_from(len) {
            Ok(len) => self.patch(at, &len.to_be_bytes()),
            Err(_) => self.fail(WireError::TooLarge {
                offset: at,
                value: u32::try_from(len).unwrap_or(u32::MAX),
                max: u16::MAX.into(),
            }),
        }
    }

    /// Overwrites bytes already written at `at`. Nothing is patched once a write failed.
    pub fn patch(&mut self, at: usize, bytes: &[u8]) {
        let end = at.checked_add(bytes.len()).filter(|&end| end <= self.pos);
        let dst = end.and_then(|end| self.buf.get_mut(at..end));
        match dst {
            Some(dst) if self.error.is_none() => {
                for (d, s) in dst.iter_mut().zip(bytes) {
                    *d = *s;
                }
            }
            Some(_) => {}
            None => self.fail(WireError::BufferFull {
                offset: at,
                needed: bytes.len(),
                available: self.pos.saturating_sub(at),
            }),
        }
    }
}
