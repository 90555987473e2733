//! tpm2-protocol 1.2.3: its commands marshaled from owned structures (built once, from the
//! same bytes), its responses validated zero-copy (`TpmResponse::cast` + `validate`), its
//! fastest forms.

use tpm2_protocol::data::{TpmCc, TpmSt, TpmsAuthCommand};
use tpm2_protocol::frame::{
    TpmCommand, TpmCreatePrimaryCommand, TpmDictionaryAttackLockResetCommand,
    TpmNvReadPublicCommand, TpmResponse, TpmUnmarshalBody, tpm_marshal_command,
};
use tpm2_protocol::{TpmUnmarshal, TpmWriter};

/// The commands as tpm2-protocol's owned structures, with the password session.
#[derive(Debug)]
pub struct Prepared {
    ek: TpmCreatePrimaryCommand,
    da: TpmDictionaryAttackLockResetCommand,
    nv: TpmNvReadPublicCommand,
    password: TpmsAuthCommand,
}

fn owned<R: TpmUnmarshalBody>(frame: &[u8]) -> R {
    TpmCommand::cast(frame)
        .and_then(|c| c.unmarshal::<R>())
        .unwrap_or_else(|e| panic!("tpm2-protocol refused our command: {e:?}"))
}

/// The structures, decoded once from this project's frames.
///
/// # Panics
///
/// If tpm2-protocol refuses one of them.
#[must_use]
pub fn prepare() -> Prepared {
    let ek_frame = crate::frames::ek_command();
    let area = TpmCommand::cast(&ek_frame)
        .and_then(|c| c.auth_area())
        .expect("an authorization area");
    // The area as the accessor returns it, with or without its size field.
    let password = TpmsAuthCommand::unmarshal(area)
        .or_else(|_| TpmsAuthCommand::unmarshal(area.get(4..).unwrap_or_default()))
        .map(|(a, _)| a)
        .expect("a password session");
    Prepared {
        ek: owned(&ek_frame),
        da: owned(&crate::frames::da_command()),
        nv: owned(&crate::frames::nv_command()),
        password,
    }
}

fn marshal<C: tpm2_protocol::frame::TpmFrame>(
    command: &C,
    sessions: &[TpmsAuthCommand],
    buf: &mut [u8],
) -> usize {
    let tag = if sessions.is_empty() {
        TpmSt::NoSessions
    } else {
        TpmSt::Sessions
    };
    let mut w = TpmWriter::new(buf);
    match tpm_marshal_command(command, tag, sessions, &mut w) {
        Ok(()) => w.len(),
        Err(_) => 0,
    }
}

/// The EK CreatePrimary into `buf`.
pub fn encode_ek(p: &Prepared, buf: &mut [u8]) -> usize {
    marshal(&p.ek, core::slice::from_ref(&p.password), buf)
}

/// DictionaryAttackLockReset into `buf`.
pub fn encode_da(p: &Prepared, buf: &mut [u8]) -> usize {
    marshal(&p.da, core::slice::from_ref(&p.password), buf)
}

/// NV_ReadPublic into `buf`.
pub fn encode_nv(p: &Prepared, buf: &mut [u8]) -> usize {
    marshal(&p.nv, &[], buf)
}

/// A response of `cc` validated in place.
#[must_use]
pub fn decode(cc: TpmCc, rsp: &[u8]) -> bool {
    TpmResponse::cast(rsp).and_then(|r| r.validate(cc)).is_ok()
}

/// The command codes, for [`decode`].
pub const CREATE_PRIMARY: TpmCc = TpmCc::CreatePrimary;
/// DictionaryAttackLockReset.
pub const DA_RESET: TpmCc = TpmCc::DictionaryAttackLockReset;
/// NV_ReadPublic.
pub const NV_READ_PUBLIC: TpmCc = TpmCc::NvReadPublic;
