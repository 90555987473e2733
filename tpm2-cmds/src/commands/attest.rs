//! Quote, Certify, CertifyCreation, Sign, ReadClock and ActivateCredential: what an AK signs
//! and how a verifier's credential is recovered.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Attest, AttestBytes, Auth, AuthCommand, CommandCode, CreationTicket, Data, Digest,
    EncryptedSecret, Handle, HashcheckTicket, IdObject, PcrSelectionList, Response, SigScheme,
    Signature, TimeInfo, Transport, Unmarshal,
};

use crate::{Error, Tpm};

/// A signed statement (Quote, Certify, CertifyCreation), borrowed from the response buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Attestation<'a> {
    /// The TPMS_ATTEST exactly as signed: what a verifier hashes.
    pub bytes: AttestBytes<'a>,
    /// The same, decoded.
    pub attest: Attest<'a>,
    /// The signature over `bytes`.
    pub signature: Signature<'a>,
}

/// The attestation and signature that start a Quote or Certify response.
fn attestation<'a, E>(rsp: &Response<'a>) -> Result<Attestation<'a>, Error<E>> {
    let mut p = rsp.parameters();
    let bytes = AttestBytes::decode(&mut p);
    let signature = Signature::decode(&mut p);
    p.finish()?;
    let attest = Attest::from_bytes(bytes.as_bytes())?;
    Ok(Attestation {
        bytes,
        attest,
        signature,
    })
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_Quote: the AK `signer` signs the digest of the PCRs of `selection` with the
    /// verifier's `nonce` (qualifyingData). `scheme` [`SigScheme::NULL`] uses the AK's own.
    pub fn quote(
        &mut self,
        signer: Handle,
        signer_auth: Auth<'_>,
        nonce: Data<'_>,
        scheme: SigScheme,
        selection: &PcrSelectionList<'_>,
    ) -> Result<Attestation<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::QUOTE, 0, |c| {
            c.handle(signer).password(signer_auth);
            c.param(&nonce).param(&scheme).param(selection)
        })?;
        attestation(&rsp)
    }

    /// TPM2_Certify: `signer` certifies that `object` is loaded on this TPM (its Name and
    /// qualified Name). Both are authorized: `object` in the ADMIN role, `signer` as USER.
    pub fn certify(
        &mut self,
        (object, object_auth): (Handle, Auth<'_>),
        (signer, signer_auth): (Handle, Auth<'_>),
        nonce: Data<'_>,
        scheme: SigScheme,
    ) -> Result<Attestation<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CERTIFY, 0, |c| {
            c.handle(object).handle(signer).sessions(&[
                AuthCommand::password(object_auth),
                AuthCommand::password(signer_auth),
            ]);
            c.param(&nonce).param(&scheme)
        })?;
        attestation(&rsp)
    }

    /// TPM2_CertifyCreation: `signer` certifies that this TPM created `object` with the
    /// creation data whose digest is `creation_hash`, as the `ticket` Create returned proves.
    pub fn certify_creation(
        &mut self,
        (signer, signer_auth): (Handle, Auth<'_>),
        object: Handle,
        nonce: Data<'_>,
        (creation_hash, ticket): (Digest<'_>, &CreationTicket<'_>),
        scheme: SigScheme,
    ) -> Result<Attestation<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::CERTIFY_CREATION, 0, |c| {
            c.handle(signer).handle(object).password(signer_auth);
            c.param(&nonce)
                .param(&creation_hash)
                .param(&scheme)
                .param(ticket)
        })?;
        attestation(&rsp)
    }

    /// TPM2_Sign of `digest` by `key`. A restricted key (an AK) signs only a digest the TPM
    /// hashed itself, shown by `validation`; an unrestricted key takes
    /// [`HashcheckTicket::NULL`].
    pub fn sign(
        &mut self,
        (key, key_auth): (Handle, Auth<'_>),
        digest: Digest<'_>,
        scheme: SigScheme,
        validation: &HashcheckTicket<'_>,
    ) -> Result<Signature<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::SIGN, 0, |c| {
            c.handle(key).password(key_auth);
            c.param(&digest).param(&scheme).param(validation)
        })?;
        let mut p = rsp.parameters();
        let signature = Signature::decode(&mut p);
        p.finish()?;
        Ok(signature)
    }

    /// TPM2_ReadClock: the TPM's time, clock, reset and restart counts.
    pub fn read_clock(&mut self) -> Result<TimeInfo, Error<T::Error>> {
        let rsp = self.execute(CommandCode::READ_CLOCK, 0, |c| c)?;
        let mut p = rsp.parameters();
        let time = TimeInfo::decode(&mut p);
        p.finish()?;
        Ok(time)
    }

    /// TPM2_ActivateCredential: the EK `key` decrypts a credential a verifier made for the
    /// Name of `activate` (the AK), and releases its secret only if that object is loaded on
    /// this TPM. `activate` is authorized in the ADMIN role by its authValue; the EK (no
    /// userWithAuth) needs a policy session that targets it (see
    /// `InSession::for_handle` with the `sessions` feature).
    pub fn activate_credential(
        &mut self,
        (activate, activate_auth): (Handle, Auth<'_>),
        (key, key_auth): (Handle, Auth<'_>),
        credential: IdObject<'_>,
        secret: EncryptedSecret<'_>,
    ) -> Result<Digest<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::ACTIVATE_CREDENTIAL, 0, |c| {
            c.handle(activate).handle(key).sessions(&[
                AuthCommand::password(activate_auth),
                AuthCommand::password(key_auth),
            ]);
            c.param(&credential).param(&secret)
        })?;
        let mut p = rsp.parameters();
        let cert_info = Digest::decode(&mut p);
        p.finish()?;
        Ok(cert_info)
    }
}
