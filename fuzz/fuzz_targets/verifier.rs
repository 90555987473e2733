//! The verifier fed what an attester sends, arbitrary: an event log, or a public area with a
//! quote and a signature. Nothing may panic; a log that parses must replay, and a log compared
//! with its own replay must show no PCR that differs; a quote over made-up bytes never
//! verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::PcrBank;
use tpm2_cmds::verify::{self, eventlog::EventLog};
use tpm2_fuzz::Counter;
use tpm2_wire::{AlgId, PcrBitmap, PcrSelection, Public, Reader, Signature, Unmarshal};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(log) = EventLog::parse(rest) else {
            return;
        };
        for bank in [AlgId::SHA1, AlgId::SHA256] {
            let Ok(replayed) = log.replay(bank) else {
                continue;
            };
            for e in log.events() {
                let _ = (e.to_string(), e.data_matches(bank));
            }
            let comparison = log.compare(&replayed).unwrap();
            assert!(comparison.mismatches.is_empty(), "{comparison:?}");
        }
    } else {
        // A public area, then a signature, then the quoted bytes.
        let mut r = Reader::new(rest);
        let Ok(public) = Public::unmarshal(&mut r) else {
            return;
        };
        let _ = verify::object_name(&public);
        let _ = verify::spki_der(&public);
        let Ok(signature) = Signature::unmarshal(&mut r) else {
            return;
        };
        let quoted = r.peek_rest();
        let bank = PcrBank::new(AlgId::SHA256);
        let expected = verify::Expected {
            nonce: b"nonce",
            selection: &[PcrSelection::new(AlgId::SHA256, &PcrBitmap::ALL)],
            pcrs: &[bank],
        };
        let verified = verify::verify_quote(&public, quoted, &signature, &expected);
        assert!(verified.is_err(), "a made-up quote verified");
        let _ =
            verify::make_credential(&public, b"\x00\x0bname", b"secret", &mut Counter::default());
    }
});
