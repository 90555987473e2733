//! Sessions against a TPM whose every answer is fuzzer-chosen: StartAuthSession (unsalted,
//! bound, salted to a key whose ReadPublic is fuzzed too), then authorized and policy commands
//! in the session. Nothing may panic, a session whose response HMAC failed is never used
//! again, and the guard's flush is the last command sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::session::{SessionConfig, SessionError, SessionType};
use tpm2_cmds::{Error, RetryPolicy, Tpm};
use tpm2_fuzz::{Counter, Instant, Script};
use tpm2_wire::{Auth, CommandCode, Handle};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rsp)) = data.split_first() else {
        return;
    };
    let mut tpm = Tpm::new(Script::new(rsp), Instant).with_retry(RetryPolicy::NEVER);
    let config = match which % 4 {
        0 => SessionConfig::plain(SessionType::Hmac),
        1 => SessionConfig::plain(SessionType::Policy),
        2 => SessionConfig::salted_hmac(Handle(0x8000_0000)),
        _ => SessionConfig {
            bind: Some((Handle::OWNER, Auth::EMPTY)),
            ..SessionConfig::plain(SessionType::Hmac)
        },
    };
    let Ok(mut s) = tpm.start_session(&config, &mut Counter::default()) else {
        return;
    };
    let mut broken = false;
    let mut run = |r: Result<(), Error<tpm2_fuzz::Never>>| {
        if broken {
            assert!(
                matches!(r, Err(Error::Session(SessionError::Broken))),
                "a broken session was used again"
            );
        }
        if matches!(r, Err(Error::Session(SessionError::ResponseHmac))) {
            broken = true;
        }
    };
    run(s.dictionary_attack_lock_reset(Auth::EMPTY));
    run(s
        .nv_read(Handle(0x0150_0000), Auth::EMPTY, Handle(0x0150_0000), 16, 0)
        .map(drop));
    run(s.hierarchy_change_auth(Handle::OWNER, Auth::EMPTY, Auth::EMPTY));
    if which & 4 != 0 {
        drop(s.policy_secret(Handle::ENDORSEMENT, Auth::EMPTY));
        drop(s.policy_command_code(CommandCode::NV_READ));
        drop(s.policy_get_digest());
    }
    drop(s.end());
});
