//! The frames the operations produce and read, built by this project's encoder (and checked
//! against the others in [`crate::check`]), and a CreatePrimary response captured from libtpms.

use tpm2_wire::{
    Auth, CommandCode, CommandWriter, Data, Handle, Marshal, Name, NvAttributes, NvPublic,
    PcrSelectionList, SensitiveCreate, Tpm2b, Writer,
};

/// libtpms' answer to the RSA EK CreatePrimary, as the fuzz seed corpus holds it (a selector
/// byte and a length before the frame).
const EK_SEED: &[u8] = include_bytes!("../../fuzz/seeds/responses/libtpms-07");

/// The 538-byte CreatePrimary response.
#[must_use]
pub fn ek_response() -> &'static [u8] {
    EK_SEED.get(3..).unwrap_or_default()
}

fn encoded(f: impl FnOnce(&mut [u8]) -> usize) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let n = f(&mut buf);
    buf.truncate(n);
    buf
}

/// The RSA 2048 EK CreatePrimary command (355 bytes).
#[must_use]
pub fn ek_command() -> Vec<u8> {
    encoded(crate::ours::encode_ek)
}

/// DictionaryAttackLockReset with the empty lockoutAuth (27 bytes).
#[must_use]
pub fn da_command() -> Vec<u8> {
    encoded(crate::ours::encode_da)
}

/// NV_ReadPublic(0x01C00002) (14 bytes).
#[must_use]
pub fn nv_command() -> Vec<u8> {
    encoded(crate::ours::encode_nv)
}

/// DictionaryAttackLockReset's answer: success, no parameters, the password session's entry.
#[must_use]
pub fn da_response() -> Vec<u8> {
    vec![
        0x80, 0x02, 0, 0, 0, 19, 0, 0, 0, 0, // header, success
        0, 0, 0, 0, // parameterSize
        0, 0, 1, 0, 0, // nonce, continueSession, hmac
    ]
}

/// NV_ReadPublic's answer for an RSA EK certificate index: TPM2B_NV_PUBLIC, then its Name.
#[must_use]
pub fn nv_response() -> Vec<u8> {
    let public = NvPublic {
        index: Handle(0x01C0_0002),
        name_alg: tpm2_wire::AlgId::SHA256,
        attributes: NvAttributes::from_bits_retain(0x1A0F_0002),
        auth_policy: tpm2_wire::Digest::EMPTY,
        data_size: 1_200,
    };
    let name = [0x5Au8; 34];
    encoded(|buf| {
        let mut w = Writer::new(buf);
        let header = [0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        w.bytes(&header);
        Tpm2b(public).marshal(&mut w);
        Name::new(&name).unwrap_or_default().marshal(&mut w);
        let len = w.position();
        w.patch(2, &u32::try_from(len).unwrap_or(0).to_be_bytes());
        w.result().unwrap_or(0)
    })
}

/// The CreatePrimary command's parameters, for the encoders that take them apart.
pub(crate) fn ek_parameters(w: &mut CommandWriter<'_>) {
    w.handle(Handle::ENDORSEMENT)
        .password(Auth::EMPTY)
        .param(&Tpm2b(SensitiveCreate::default()))
        .param(&Tpm2b(tpm2_cmds::ek::RSA_2048_TEMPLATE))
        .param(&Data::EMPTY)
        .param(&PcrSelectionList::empty());
}

/// A command built by `f` with code `code` in `buf`; its length, or 0 if it failed.
pub(crate) fn command(
    buf: &mut [u8],
    code: CommandCode,
    f: impl FnOnce(&mut CommandWriter<'_>),
) -> usize {
    let mut w = CommandWriter::new(buf, code);
    f(&mut w);
    w.finish().unwrap_or(0)
}
