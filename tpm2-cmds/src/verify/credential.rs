//! MakeCredential in software (TPM 2.0 Part 1 §24, "credential protection"): a secret that
//! only the TPM holding a given EK can recover, and only for an object of a given Name.

use rand_core::CryptoRng;
use tpm2_wire::{AlgId, EncryptedSecret, IdObject, Public, PublicParameters, Writer};
use zeroize::Zeroize;

use super::VerifyError;
use crate::session::crypto::{DIGEST, aes128_cfb, hmac, kdfa};
use crate::session::kem;

/// A credential for ActivateCredential: the TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET
/// contents (without their size fields).
#[derive(Clone)]
pub struct Credential {
    id_object: [u8; 2 + DIGEST + 2 + DIGEST],
    id_len: usize,
    secret: [u8; 512],
    secret_len: usize,
}

impl Credential {
    /// The credential blob (integrity HMAC, then the encrypted secret).
    #[must_use]
    pub fn id_object(&self) -> IdObject<'_> {
        IdObject::new(self.id_object.get(..self.id_len).unwrap_or_default()).unwrap_or_default()
    }

    /// The seed, encrypted to the EK.
    #[must_use]
    pub fn encrypted_secret(&self) -> EncryptedSecret<'_> {
        let bytes = self.secret.get(..self.secret_len).unwrap_or_default();
        EncryptedSecret::new(bytes).unwrap_or_default()
    }
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credential")
            .field("id_object", &self.id_object())
            .field("encrypted_secret", &self.encrypted_secret())
            .finish()
    }
}

/// Makes a credential that the TPM holding `ek` releases to ActivateCredential only when the
/// object named `object_name` (an AK) is loaded beside it:
///
/// 1. a seed encrypted to the EK (RSA-OAEP with label "IDENTITY", or ECDH P-256 and KDFe);
/// 2. `secret` (at most 32 bytes) as a TPM2B, encrypted with AES-128-CFB and a zero IV under
///    KDFa(seed, "STORAGE", Name);
/// 3. an HMAC over that and the Name under KDFa(seed, "INTEGRITY").
///
/// The EK must use SHA-256 as its nameAlg and AES-128 as its symmetric algorithm (the TCG
/// default templates); anything else is [`VerifyError::UnsupportedKey`].
pub fn make_credential<R: CryptoRng + ?Sized>(
    ek: &Public<'_>,
    object_name: &[u8],
    secret: &[u8],
    rng: &mut R,
) -> Result<Credential, VerifyError> {
    let symmetric = match ek.parameters {
        PublicParameters::Rsa { parms, .. } => parms.symmetric,
        PublicParameters::Ecc { parms, .. } => parms.symmetric,
        _ => return Err(VerifyError::UnsupportedKey),
    };
    if ek.name_alg != AlgId::SHA256
        || symmetric.algorithm != AlgId::AES
        || symmetric.key_bits != 128
    {
        return Err(VerifyError::UnsupportedKey);
    }
    if secret.len() > DIGEST {
        return Err(VerifyError::SecretTooLarge);
    }
    let mut out = Credential {
        id_object: [0; 2 + DIGEST + 2 + DIGEST],
        id_len: 0,
        secret: [0; 512],
        secret_len: 0,
    };
    let mut seed = [0u8; DIGEST];
    let encapsulated = match ek.parameters {
        PublicParameters::Rsa { .. } => {
            kem::rsa_seed(ek, b"IDENTITY\0", rng, &mut seed, &mut out.secret)
        }
        _ => kem::ecc_seed(ek, b"IDENTITY", rng, &mut seed, &mut out.secret),
    };
    out.secret_len = encapsulated.map_err(|_| VerifyError::UnsupportedKey)?;

    // encIdentity: the secret as a TPM2B, encrypted.
    let mut enc_identity = [0u8; 2 + DIGEST];
    let enc_len = 2 + secret.len();
    let mut w = Writer::new(&mut enc_identity);
    w.tpm2b(secret, 64);
    w.result()?;
    let mut sym_key = [0u8; 16];
    kdfa(&seed, b"STORAGE", object_name, &[], &mut sym_key);
    let data = enc_identity.get_mut(..enc_len).unwrap_or_default();
    aes128_cfb(&sym_key, &[0; 16], data, true);

    let mut hmac_key = [0u8; DIGEST];
    kdfa(&seed, b"INTEGRITY", &[], &[], &mut hmac_key);
    let data = enc_identity.get(..enc_len).unwrap_or_default();
    let outer = hmac(&hmac_key, &[data, object_name]);
    let mut w = Writer::new(&mut out.id_object);
    w.tpm2b(&outer, 64);
    w.bytes(data);
    out.id_len = w.result()?;

    seed.zeroize();
    sym_key.zeroize();
    hmac_key.zeroize();
    enc_identity.zeroize();
    Ok(out)
}
