//! Integer conversions usable in `const fn`, where `TryFrom` is not.

/// Bits 7:0 of `v`.
pub(crate) const fn low_u8(v: u32) -> u8 {
    v.to_le_bytes()[0]
}

/// Bits 15:0 of `v`.
pub(crate) const fn low_u16(v: u32) -> u16 {
    let b = v.to_le_bytes();
    u16::from_le_bytes([b[0], b[1]])
}

/// Widens a `u16`; lossless because `usize` has at least 16 bits on every Rust target.
#[allow(clippy::as_conversions)]
pub(crate) const fn usize_from_u16(v: u16) -> usize {
    v as usize
}

/// Widens a `u32`, saturating on 16-bit targets.
pub(crate) fn usize_from_u32(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}
