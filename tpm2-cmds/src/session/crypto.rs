//! The session arithmetic of TPM 2.0 Part 1 (§11.4): KDFa, KDFe, HMAC, and AES-128-CFB
//! parameter encryption, all over SHA-256.

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
///
/// The mode is these few lines over the `aes` crate's block function, not `cfb-mode`:
/// its encryptor and decryptor each inline their own copy of the AES rounds, and one
/// block function for both directions took 3.4 KB off a salted firmware image and its
/// 1.35 KB frame off the deepest stack chain. The key schedule is wiped when dropped (`aes`
/// feature `zeroize`), and the keystream and feedback blocks here.
pub(crate) fn aes128_cfb(key: &[u8; 16], iv: &[u8; 16], data: &mut [u8], encrypt: bool) {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let cipher = aes::Aes128::new(key.into());
    // The CFB register: the IV, then each ciphertext block.
    let mut register = aes::Block::from(*iv);
    for chunk in data.chunks_mut(16) {
        let mut stream = register;
        cipher.encrypt_block(&mut stream);
        for ((d, s), r) in chunk.iter_mut().zip(stream.iter()).zip(register.iter_mut()) {
            let out = *d ^ *s;
            *r = if encrypt { out } else { *d };
            *d = out;
        }
        stream.zeroize();
    }
    register.zeroize();
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

#[cfg(test)]
mod tests {
    use super::aes128_cfb;

    /// NIST SP 800-38A F.3.13 (CFB128-AES128), which `openssl enc -aes-128-cfb` reproduces.
    const KEY: [u8; 16] = [
        0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
        0x3c,
    ];
    const IV: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const PLAIN: [u8; 64] = [
        0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17,
        0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf,
        0x8e, 0x51, 0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a,
        0x0a, 0x52, 0xef, 0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b,
        0xe6, 0x6c, 0x37, 0x10,
    ];
    const CIPHER: [u8; 64] = [
        0x3b, 0x3f, 0xd9, 0x2e, 0xb7, 0x2d, 0xad, 0x20, 0x33, 0x34, 0x49, 0xf8, 0xe8, 0x3c, 0xfb,
        0x4a, 0xc8, 0xa6, 0x45, 0x37, 0xa0, 0xb3, 0xa9, 0x3f, 0xcd, 0xe3, 0xcd, 0xad, 0x9f, 0x1c,
        0xe5, 0x8b, 0x26, 0x75, 0x1f, 0x67, 0xa3, 0xcb, 0xb1, 0x40, 0xb1, 0x80, 0x8c, 0xf1, 0x87,
        0xa4, 0xf4, 0xdf, 0xc0, 0x4b, 0x05, 0x35, 0x7c, 0x5d, 0x1c, 0x0e, 0xea, 0xc4, 0xc6, 0x6f,
        0x9f, 0xf7, 0xf2, 0xe6,
    ];

    #[test]
    fn aes128_cfb_matches_the_sp800_38a_vectors_whole_and_cut_short() {
        // Whole blocks, and a last block cut short (a parameter's size is rarely a multiple
        // of 16): CFB's output is a prefix of the whole-block output.
        for len in [64, 37, 16, 5, 0] {
            let mut data = PLAIN;
            aes128_cfb(&KEY, &IV, &mut data[..len], true);
            assert_eq!(data[..len], CIPHER[..len], "encrypt {len} bytes");
            assert_eq!(data[len..], PLAIN[len..], "bytes past {len} untouched");
            aes128_cfb(&KEY, &IV, &mut data[..len], false);
            assert_eq!(data, PLAIN, "decrypt {len} bytes");
        }
    }
}
