//! The session arithmetic of TPM 2.0 Part 1 (§11.4): KDFa, KDFe, HMAC, and AES-128-CFB
//! parameter encryption, all over SHA-256.

use aes::cipher::KeyIvInit;
use hmac::{KeyInit, Mac};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroize;

/// The digest size of the session hash (SHA-256).
pub(crate) const DIGEST: usize = 32;

type HmacSha256 = hmac::Hmac<Sha256>;

/// HMAC-SHA256 keyed with `key` over the concatenation of `parts`.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST] {
    // `new_from_slice` accepts keys of any length for HMAC.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return [0; DIGEST];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// SHA-256 over the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; DIGEST] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// KDFa (SP 800-108 counter mode with HMAC-SHA256), filling `out` (whole bytes).
/// `label` is given without its terminating zero octet, which is added here.
pub fn kdfa(key: &[u8], label: &[u8], context_u: &[u8], context_v: &[u8], out: &mut [u8]) {
    let bits = u32::try_from(out.len().saturating_mul(8)).unwrap_or(u32::MAX);
    for (i, chunk) in out.chunks_mut(DIGEST).enumerate() {
        let counter = u32::try_from(i).unwrap_or(u32::MAX).wrapping_add(1);
        let mut block = hmac(
            key,
            &[
                &counter.to_be_bytes(),
                label,
                &[0],
                context_u,
                context_v,
                &bits.to_be_bytes(),
            ],
        );
        for (d, s) in chunk.iter_mut().zip(&block) {
            *d = *s;
        }
        block.zeroize();
    }
}

/// KDFe (SP 800-56A concatenation KDF with SHA-256), filling `out`. `label` is given without
/// its terminating zero octet.
pub fn kdfe(z: &[u8], label: &[u8], party_u: &[u8], party_v: &[u8], out: &mut [u8]) {
    for (i, chunk) in out.chunks_mut(DIGEST).enumerate() {
        let counter = u32::try_from(i).unwrap_or(u32::MAX).wrapping_add(1);
        let mut block = sha256(&[&counter.to_be_bytes(), z, label, &[0], party_u, party_v]);
        for (d, s) in chunk.iter_mut().zip(&block) {
            *d = *s;
        }
        block.zeroize();
    }
}

/// AES-128-CFB over `data` in place with the key and IV KDFa derives from `key` ("CFB",
/// the newer then the older nonce): encrypts if `encrypt`, else decrypts.
pub(crate) fn cfb(key: &[u8], newer: &[u8], older: &[u8], data: &mut [u8], encrypt: bool) {
    let mut material = [0u8; 32];
    kdfa(key, b"CFB", newer, older, &mut material);
    let mut k16 = [0u8; 16];
    let mut iv16 = [0u8; 16];
    for (i, b) in material.iter().enumerate() {
        if let Some(d) = k16.get_mut(i).or_else(|| iv16.get_mut(i.wrapping_sub(16))) {
            *d = *b;
        }
    }
    aes128_cfb(&k16, &iv16, data, encrypt);
    material.zeroize();
    k16.zeroize();
    iv16.zeroize();
}

/// AES-128-CFB over `data` in place with `key` and `iv`: encrypts if `encrypt`, else decrypts.
pub(crate) fn aes128_cfb(key: &[u8; 16], iv: &[u8; 16], data: &mut [u8], encrypt: bool) {
    if encrypt {
        cfb_mode::Encryptor::<aes::Aes128>::new(key.into(), iv.into()).encrypt(data);
    } else {
        cfb_mode::Decryptor::<aes::Aes128>::new(key.into(), iv.into()).decrypt(data);
    }
}

/// Constant-time equality of HMACs, nonces and digests.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `bytes` without trailing zero octets, as the TPM uses an authValue in an HMAC key.
pub(crate) fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}
