//! Bytes copied out of the response buffer, so that they outlive the next command.

use core::fmt;

/// At most `N` bytes (a Name, a digest) copied out of a response; prints as lowercase hex,
/// as tpm2-tools prints Names and digests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OwnedBytes<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> OwnedBytes<N> {
    /// No bytes.
    pub const EMPTY: Self = Self {
        bytes: [0; N],
        len: 0,
    };

    /// A copy of `bytes`, truncated to `N`.
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        let mut out = Self::EMPTY;
        for (d, s) in out.bytes.iter_mut().zip(bytes) {
            *d = *s;
        }
        out.len = bytes.len().min(N);
        out
    }

    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Debug for OwnedBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Lowercase hex.
impl<const N: usize> fmt::Display for OwnedBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_bytes()
            .iter()
            .try_for_each(|b| write!(f, "{b:02x}"))
    }
}
