//! Behaviour no real TPM shows on demand: transient warnings for the retry policy, and what
//! stays in the buffer after a command with a password.

extern crate std;

use std::vec::Vec;

use embedded_hal::delay::DelayNs;
use tpm2_wire::{Auth, Handle, Transport, TransportError, TransportErrorKind};

use crate::{Failure, RetryPolicy, Tpm};

#[derive(Debug)]
struct Never;

impl core::fmt::Display for Never {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("never")
    }
}

impl TransportError for Never {
    fn kind(&self) -> TransportErrorKind {
        TransportErrorKind::Other
    }
}

/// Answers each command with the next response code of a script (the last one repeats),
/// keeping a copy of every command.
struct Scripted {
    codes: Vec<u32>,
    sent: Vec<Vec<u8>>,
}

impl Transport for Scripted {
    type Error = Never;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], Never> {
        self.sent.push(buf[..len].to_vec());
        let code = if self.codes.len() > 1 {
            self.codes.remove(0)
        } else {
            self.codes[0]
        };
        buf[..6].copy_from_slice(&[0x80, 0x01, 0, 0, 0, 10]);
        buf[6..10].copy_from_slice(&code.to_be_bytes());
        Ok(&buf[..10])
    }
}

#[derive(Default)]
struct Clock {
    pauses_ms: Vec<u32>,
}

impl DelayNs for Clock {
    fn delay_ns(&mut self, ns: u32) {
        self.pauses_ms.push(ns / 1_000_000);
    }
    fn delay_ms(&mut self, ms: u32) {
        self.pauses_ms.push(ms);
    }
}

fn client(codes: &[u32]) -> Tpm<Scripted, Clock, 256> {
    Tpm::with_buffer(
        Scripted {
            codes: codes.to_vec(),
            sent: Vec::new(),
        },
        Clock::default(),
    )
}

#[test]
fn retry_and_testing_are_resent_after_20_ms_doubling() {
    let mut tpm = client(&[0x922, 0x90A, 0x908, 0x920, 0]);
    tpm.self_test(false).unwrap();
    let (transport, clock) = tpm.into_parts();
    assert_eq!(transport.sent.len(), 5);
    assert_eq!(clock.pauses_ms, [20, 40, 80, 160]);
}

#[test]
fn a_tpm_that_always_says_retry_is_given_up_on_within_the_bounds() {
    let mut tpm = client(&[0x922]);
    let err = tpm.get_random(8).unwrap_err();
    assert!(err.is(Failure::RetriesExhausted), "{err:?}");
    let (transport, clock) = tpm.into_parts();
    let total: u32 = clock.pauses_ms.iter().sum();
    assert!(transport.sent.len() <= usize::from(RetryPolicy::DEFAULT.max_attempts));
    assert!(total <= RetryPolicy::DEFAULT.max_total_ms, "{total} ms");
    assert_eq!(clock.pauses_ms, [20, 40, 80, 160, 320, 640, 1280]);
}

#[test]
fn other_warnings_and_errors_are_not_retried() {
    for code in [0x921_u32, 0x9A2, 0x100, 0x909] {
        let mut tpm = client(&[code, 0]);
        assert!(tpm.get_random(8).is_err(), "{code:#x}");
        assert_eq!(tpm.into_parts().0.sent.len(), 1, "{code:#x} sent once");
    }
    let mut tpm = client(&[0x922, 0]).with_retry(RetryPolicy::NEVER);
    assert!(tpm.get_random(8).is_err());
}

#[test]
fn the_password_is_wiped_from_the_buffer_after_the_command() {
    let mut tpm = client(&[0x921]);
    let secret = b"correct horse battery staple";
    let _ = tpm.dictionary_attack_lock_reset(Auth::new(secret).unwrap());
    let sent = &tpm.transport_mut().sent[0];
    assert!(
        sent.windows(secret.len()).any(|w| w == secret),
        "the password was sent"
    );
    assert!(
        !tpm.buf.windows(secret.len()).any(|w| w == secret),
        "the password is gone from the buffer"
    );
}

#[test]
fn a_primary_objects_sensitive_area_is_wiped_after_success_and_after_a_tpm_error() {
    let user_auth = b"the-new-key-password";
    let data = b"data-sealed-in-the-key";
    for rc in [0u32, 0x9A2] {
        let mut tpm = client(&[rc]);
        let sensitive = tpm2_wire::SensitiveCreate {
            user_auth: Auth::new(user_auth).unwrap(),
            data: tpm2_wire::SensitiveData::new(data).unwrap(),
        };
        let _ = tpm.create_primary(
            Handle::OWNER,
            Auth::EMPTY,
            &crate::templates::SRK_ECC_P256,
            &sensitive,
            tpm2_wire::Data::EMPTY,
            &tpm2_wire::PcrSelectionList::empty(),
        );
        let sent = tpm.transport_mut().sent[0].clone();
        for s in [&user_auth[..], &data[..]] {
            assert!(sent.windows(s.len()).any(|w| w == s), "sent");
            assert!(
                !tpm.buf.windows(s.len()).any(|w| w == s),
                "rc {rc:#x}: {:?} left in the buffer",
                core::str::from_utf8(s)
            );
        }
    }
}

#[test]
fn secret_parameters_are_wiped_after_success_and_after_a_tpm_error() {
    let secret = b"the-new-owner-password";
    let index_auth = b"the-nv-index-password";
    for rc in [0u32, 0x9A2] {
        let mut tpm = client(&[rc, rc]);
        let _ = tpm.hierarchy_change_auth(Handle::OWNER, Auth::EMPTY, Auth::new(secret).unwrap());
        let public = tpm2_wire::NvPublic {
            index: Handle(0x0150_0000),
            name_alg: tpm2_wire::AlgId::SHA256,
            attributes: tpm2_wire::NvAttributes::AUTHREAD | tpm2_wire::NvAttributes::AUTHWRITE,
            auth_policy: tpm2_wire::Digest::EMPTY,
            data_size: 8,
        };
        let _ = tpm.nv_define_space(
            Handle::OWNER,
            Auth::EMPTY,
            Auth::new(index_auth).unwrap(),
            &public,
        );
        let sent = &tpm.transport_mut().sent;
        assert!(sent[0].windows(secret.len()).any(|w| w == secret), "sent");
        assert!(
            sent[1].windows(index_auth.len()).any(|w| w == index_auth),
            "sent"
        );
        for s in [&secret[..], &index_auth[..]] {
            assert!(
                !tpm.buf.windows(s.len()).any(|w| w == s),
                "rc {rc:#x}: {:?} left in the buffer",
                core::str::from_utf8(s)
            );
        }
    }
}

#[test]
fn the_default_ek_is_created_with_the_bytes_of_create_ek_and_the_default_template() {
    use crate::ek::EkKind;
    let open = || {
        let transport = Scripted {
            codes: std::vec![0x9A2],
            sent: Vec::new(),
        };
        Tpm::<_, _, 1024>::with_buffer(transport, Clock::default())
    };
    for (kind, len) in [(EkKind::Rsa2048, 355), (EkKind::EccP256, 163)] {
        for auth in [&b""[..], b"endorsement-password"] {
            let auth = Auth::new(auth).unwrap();
            let (mut default, mut explicit) = (open(), open());
            let _ = default.create_default_ek(kind, auth);
            let _ = explicit.create_ek(&kind.default_template(), auth);
            let sent = &default.transport_mut().sent;
            assert_eq!(sent, &explicit.transport_mut().sent, "{kind:?}");
            assert_eq!(sent[0].len(), len + auth.len(), "{kind:?}");
        }
    }
}
