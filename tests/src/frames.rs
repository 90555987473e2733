//! Building a command, sending it over any transport and parsing the answer, for driver
//! tests that do not need the typed commands of `tpm2-cmds`.

use core::fmt::Debug;

use tpm2_wire::{
    Auth, CommandCode, CommandWriter, Data, Handle, PcrSelectionList, Response, ResponseCode,
    SensitiveCreate, StartupType, Tpm2b, Transport,
};

/// Builds a command with `build`, sends it, and returns the response frame.
pub fn round_trip<T: Transport>(
    tpm: &mut T,
    buf: &mut [u8],
    code: CommandCode,
    build: impl FnOnce(&mut CommandWriter<'_>),
) -> Vec<u8>
where
    T::Error: Debug,
{
    let mut cmd = CommandWriter::new(buf, code);
    build(&mut cmd);
    let len = cmd.finish().unwrap();
    tpm.transact(buf, len).unwrap().to_vec()
}

/// Sends TPM2_Startup(CLEAR) and returns the response code.
pub fn startup<T: Transport>(tpm: &mut T) -> ResponseCode
where
    T::Error: Debug,
{
    let mut buf = [0u8; 64];
    let rsp = round_trip(tpm, &mut buf, CommandCode::STARTUP, |c| {
        c.param(&StartupType::CLEAR);
    });
    Response::parse(&rsp, 0).unwrap().code()
}

/// Sends TPM2_GetRandom(`n`) and returns the random bytes.
pub fn get_random<T: Transport>(tpm: &mut T, n: u16) -> Vec<u8>
where
    T::Error: Debug,
{
    let mut buf = [0u8; 4096];
    let rsp = round_trip(tpm, &mut buf, CommandCode::GET_RANDOM, |c| {
        c.param(&n);
    });
    let rsp = Response::parse(&rsp, 0).unwrap();
    assert!(rsp.code().is_success(), "GetRandom: {}", rsp.code());
    let mut params = rsp.parameters();
    let bytes = <tpm2_wire::Digest<'_> as tpm2_wire::Unmarshal>::unmarshal(&mut params).unwrap();
    params.finish().unwrap();
    bytes.as_bytes().to_vec()
}

/// The RSA EK CreatePrimary command (355 bytes, empty endorsement password) into `buf`, as
/// `Tpm::create_ek` writes it; its length.
///
/// # Panics
///
/// If `buf` is too small.
pub fn ek_create_primary(buf: &mut [u8]) -> usize {
    let mut cmd = CommandWriter::new(buf, CommandCode::CREATE_PRIMARY);
    cmd.handle(Handle::ENDORSEMENT);
    cmd.password(Auth::EMPTY);
    cmd.param(&Tpm2b(SensitiveCreate::default()));
    cmd.param(&Tpm2b(tpm2_cmds::ek::RSA_2048_TEMPLATE));
    cmd.param(&Data::EMPTY);
    cmd.param(&PcrSelectionList::empty());
    cmd.finish().unwrap()
}
