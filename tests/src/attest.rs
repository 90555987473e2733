//! What the attestation suites share: a Quote of SHA-256 PCRs by an AK, copied out of the
//! response buffer.

use embedded_hal::delay::DelayNs;
use tpm2_cmds::Tpm;
use tpm2_wire::{
    AlgId, Auth, Data, Handle, Marshal, PcrBitmap, PcrSelection, PcrSelectionList, SigScheme,
    Transport,
};

/// A Quote by `ak` (its own scheme, empty authValue) of the SHA-256 PCRs in `bitmap` over
/// `nonce`: the TPMS_ATTEST bytes and the marshaled TPMT_SIGNATURE.
///
/// # Panics
///
/// If the TPM refuses.
pub fn quote_sha256<T: Transport, D: DelayNs>(
    tpm: &mut Tpm<T, D>,
    ak: Handle,
    nonce: &[u8],
    bitmap: &PcrBitmap,
) -> (Vec<u8>, Vec<u8>)
where
    T::Error: core::fmt::Debug,
{
    let selection = [PcrSelection::new(AlgId::SHA256, bitmap)];
    let quote = tpm
        .quote(
            ak,
            Auth::EMPTY,
            Data::new(nonce).expect("a nonce of at most 66 bytes"),
            SigScheme::NULL,
            &PcrSelectionList::new(&selection).expect("one bank"),
        )
        .expect("Quote");
    (
        quote.bytes.as_bytes().to_vec(),
        quote.signature.to_vec().expect("a signature"),
    )
}
