//! This project's encoders and decoders, as the library's command methods use them.

use tpm2_wire::{
    Auth, CommandCode, CreationData, CreationTicket, Digest, Handle, Name, NvPublic, Public,
    Response, Tpm2b, Unmarshal, WireError,
};

use crate::frames::{command, ek_parameters};

/// The EK CreatePrimary command into `buf`; its length.
pub fn encode_ek(buf: &mut [u8]) -> usize {
    command(buf, CommandCode::CREATE_PRIMARY, ek_parameters)
}

/// DictionaryAttackLockReset into `buf`.
pub fn encode_da(buf: &mut [u8]) -> usize {
    command(buf, CommandCode::DICTIONARY_ATTACK_LOCK_RESET, |w| {
        w.handle(Handle::LOCKOUT).password(Auth::EMPTY);
    })
}

/// NV_ReadPublic(0x01C00002) into `buf`.
pub fn encode_nv(buf: &mut [u8]) -> usize {
    command(buf, CommandCode::NV_READ_PUBLIC, |w| {
        w.handle(Handle(0x01C0_0002));
    })
}

/// The CreatePrimary response, every field decoded (as `Tpm::create_primary` does); returns
/// the public area's type so that nothing is optimised away.
pub fn decode_ek(rsp: &[u8]) -> Result<u16, WireError> {
    let rsp = Response::parse(rsp, 1)?;
    let mut p = rsp.parameters();
    let public = Tpm2b::<Public<'_>>::decode(&mut p).0;
    let creation = Tpm2b::<CreationData<'_>>::decode(&mut p).0;
    let _hash = Digest::decode(&mut p);
    let _ticket = CreationTicket::decode(&mut p);
    let name = Name::decode(&mut p);
    p.finish()?;
    let handle = rsp.handle(0).map_or(0, |h| h.0);
    Ok(public.parameters.object_type().0
        ^ creation.parent_name_alg.0
        ^ (name.len() as u16)
        ^ (handle as u16))
}

/// DictionaryAttackLockReset's response: the code checked, the session area parsed.
pub fn decode_da(rsp: &[u8]) -> Result<u16, WireError> {
    let rsp = Response::parse(rsp, 0)?;
    rsp.parameters().finish()?;
    Ok(u16::from(rsp.code().is_success()) ^ rsp.sessions().count() as u16)
}

/// NV_ReadPublic's response: the NV public area and the Name.
pub fn decode_nv(rsp: &[u8]) -> Result<u16, WireError> {
    let rsp = Response::parse(rsp, 0)?;
    let mut p = rsp.parameters();
    let public = Tpm2b::<NvPublic<'_>>::decode(&mut p).0;
    let name = Name::decode(&mut p);
    p.finish()?;
    Ok(public.data_size ^ name.len() as u16)
}
