//! The labeled key encapsulation of TPM 2.0 Part 1 (§11.4.10, §C.6): a fresh seed encrypted to
//! a TPM key, by one-pass ECDH and KDFe for ECC or RSA-OAEP for RSA. Salted sessions use the
//! label "SECRET", credentials (MakeCredential) the label "IDENTITY".

use p256::elliptic_curve::Generate;
use p256::elliptic_curve::sec1::ToSec1Point;
use rand_core::CryptoRng;
use tpm2_wire::{EccCurve, Public, PublicParameters, Writer};

use super::SessionError;
use super::crypto::{DIGEST, kdfe};

/// The TPMS_ECC_POINT of P-256 that TPM2B_ENCRYPTED_SECRET carries: 2 + 32 + 2 + 32.
pub(crate) const ECC_POINT_LEN: usize = 68;

/// Draws a seed and encrypts it to the ECC P-256 key `public`: an ephemeral key, Z from ECDH,
/// seed = KDFe(Z, `label`, ephemeral X, key X). Writes the ephemeral point as TPMS_ECC_POINT
/// into `encrypted` and returns its length.
#[inline(never)]
pub(crate) fn ecc_seed<R: CryptoRng + ?Sized>(
    public: &Public<'_>,
    label: &[u8],
    rng: &mut R,
    seed: &mut [u8; DIGEST],
    encrypted: &mut [u8],
) -> Result<usize, SessionError> {
    let unsuitable = SessionError::UnsuitableSaltKey;
    let tpm_key = p256_key(public).ok_or(unsuitable)?;
    let PublicParameters::Ecc { unique, .. } = public.parameters else {
        return Err(unsuitable);
    };
    let tpm_x = unique.x.as_bytes();
    let ephemeral = <p256::ecdh::EphemeralSecret as Generate>::generate_from_rng(rng);
    let shared = ephemeral.diffie_hellman(&tpm_key);
    let point = ephemeral.public_key().to_sec1_point(false);
    let (Some(ex), Some(ey)) = (point.x(), point.y()) else {
        return Err(unsuitable);
    };
    kdfe(shared.raw_secret_bytes(), label, ex, tpm_x, seed);
    let mut w = Writer::new(encrypted);
    w.tpm2b(ex, 32);
    w.tpm2b(ey, 32);
    w.result().map_err(|_| unsuitable)?;
    Ok(ECC_POINT_LEN)
}

/// A big-endian integer of at most `N` bytes, left-padded with zeros to `N`.
pub(crate) fn left_pad<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let skip = N.checked_sub(bytes.len())?;
    for (d, s) in out.iter_mut().skip(skip).zip(bytes) {
        *d = *s;
    }
    Some(out)
}

/// The NIST P-256 public key of `public`, or `None` for another type or curve, or a point
/// not on the curve.
pub(crate) fn p256_key(public: &Public<'_>) -> Option<p256::PublicKey> {
    let PublicParameters::Ecc { parms, unique } = public.parameters else {
        return None;
    };
    if parms.curve != EccCurve::NIST_P256 {
        return None;
    }
    let mut sec1 = [0u8; 65];
    let mut w = Writer::new(&mut sec1);
    w.u8(0x04);
    w.bytes(&left_pad::<32>(unique.x.as_bytes())?);
    w.bytes(&left_pad::<32>(unique.y.as_bytes())?);
    w.result().ok()?;
    p256::PublicKey::from_sec1_bytes(&sec1).ok()
}

/// Draws a seed and encrypts it to the RSA key `public` with RSA-OAEP (SHA-256) and the label
/// `label` (with its terminating zero). Returns the ciphertext's length.
#[cfg(feature = "rsa-salt")]
#[inline(never)]
pub(crate) fn rsa_seed<R: CryptoRng + ?Sized>(
    public: &Public<'_>,
    label: &'static [u8],
    rng: &mut R,
    seed: &mut [u8; DIGEST],
    encrypted: &mut [u8],
) -> Result<usize, SessionError> {
    let unsuitable = SessionError::UnsuitableSaltKey;
    let key = rsa_key(public).ok_or(unsuitable)?;
    rng.fill_bytes(seed);
    let padding = rsa::Oaep::<sha2::Sha256>::new_with_label(label);
    let ciphertext = key.encrypt(rng, padding, seed).map_err(|_| unsuitable)?;
    let len = ciphertext.len();
    let dst = encrypted.get_mut(..len).ok_or(unsuitable)?;
    for (d, s) in dst.iter_mut().zip(ciphertext.iter()) {
        *d = *s;
    }
    Ok(len)
}

/// The RSA public key of `public` (exponent 0 meaning 65537), or `None` for another type or a
/// modulus RSA cannot use.
#[cfg(feature = "rsa-salt")]
pub(crate) fn rsa_key(public: &Public<'_>) -> Option<rsa::PublicKey> {
    use rsa::BoxedUint;
    let PublicParameters::Rsa { parms, unique } = public.parameters else {
        return None;
    };
    let modulus = unique.as_bytes();
    let bits = u32::try_from(modulus.len().saturating_mul(8)).ok()?;
    let exponent = if parms.exponent == 0 {
        65_537
    } else {
        parms.exponent
    };
    let n = BoxedUint::from_be_slice(modulus, bits).ok()?;
    rsa::PublicKey::new(n, BoxedUint::from(u64::from(exponent))).ok()
}
