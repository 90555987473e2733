//! Command building from arbitrary field values: a public area decoded from fuzzer bytes must
//! re-encode to the same bytes, and building a CreatePrimary with it into a buffer of any size
//! must either succeed or fail with a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_wire::{
    Auth, AuthCommand, CommandCode, CommandWriter, Data, Handle, Marshal, NvPublic,
    PcrSelectionList, Public, SensitiveCreate, Tpm2b, Unmarshal, Writer,
};

fuzz_target!(|data: &[u8]| {
    let Some((&size, rest)) = data.split_first() else {
        return;
    };
    let (auth, rest) = rest.split_at(rest.len().min(usize::from(size % 80)));
    if let Ok(public) = Public::from_bytes(rest) {
        let mut again = vec![0u8; rest.len() + 16];
        let mut w = Writer::new(&mut again);
        public.marshal(&mut w);
        let n = w.result().unwrap();
        assert_eq!(&again[..n], rest, "decode then encode changed the bytes");
        let mut buf = vec![0u8; usize::from(size) * 4];
        let result = (|| {
            let mut cmd = CommandWriter::new(&mut buf, CommandCode::CREATE_PRIMARY);
            cmd.handle(Handle::ENDORSEMENT);
            let auth = Auth::new(auth).unwrap_or(Auth::EMPTY);
            cmd.sessions(&[AuthCommand::password(auth)]);
            cmd.param(&Tpm2b(SensitiveCreate::default()))
                .param(&Tpm2b(public));
            cmd.param(&Data::EMPTY).param(&PcrSelectionList::empty());
            cmd.finish()
        })();
        if let Ok(len) = result {
            assert_eq!(
                u32::from_be_bytes(buf[2..6].try_into().unwrap()) as usize,
                len
            );
        }
    }
    if let Ok(nv) = NvPublic::from_bytes(rest) {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        nv.marshal(&mut w);
        let n = w.result().unwrap();
        assert_eq!(&buf[..n], rest);
    }
    let _ = tpm2_wire::CapabilityData::from_bytes(rest);
    let _ = tpm2_wire::CreationData::from_bytes(rest);
    let _ = Tpm2b::<Public<'_>>::unmarshal(&mut tpm2_wire::Reader::new(rest));
});
