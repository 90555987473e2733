//! HMAC, policy and salted sessions against libtpms (or the mssim simulator named in
//! `TPM2_TEST_MSSIM`): the commands that need an authorization run over them, a tampered
//! response HMAC is refused, encrypted parameters decrypt to the bytes sent in clear, and
//! policy digests computed in software equal the TPM's.

use tpm2_cmds::ek::{ECC_P256_TEMPLATE, POLICY_A_SHA256};
use tpm2_cmds::session::{PolicyDigest, Salt, SessionConfig, SessionError, SessionType};
use tpm2_cmds::{Error, Tpm};
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::peer::{Peer, handles_left};
use tpm2_tests::tap::{Access, Tap};
use tpm2_wire::{
    AlgId, Auth, CommandCode, Handle, HandleType, NvAttributes, NvPublic, PcrBitmap, PcrSelection,
    PcrSelectionList, Transport,
};

fn tpm() -> Tpm<Peer, VirtualClock> {
    tpm2_tests::peer::started().unwrap_or_else(|e| panic!("{e}"))
}

fn auth(bytes: &[u8]) -> Auth<'_> {
    Auth::new(bytes).unwrap()
}

/// The sessions the TPM holds (loaded or saved): none may be left behind.
fn sessions_left<T: Transport>(tpm: &mut Tpm<T, VirtualClock>) -> usize
where
    T::Error: core::fmt::Debug,
{
    handles_left(tpm, &[HandleType::HMAC_SESSION, HandleType::POLICY_SESSION])
}

/// The ECC EK, as the salt key (Linux salts with a primary in the NULL hierarchy; the EK
/// is what a TPM that refuses NULL primaries always has).
fn ecc_ek<T: Transport>(tpm: &mut Tpm<T, VirtualClock>) -> Handle {
    tpm.create_ek(&ECC_P256_TEMPLATE, Auth::EMPTY)
        .unwrap()
        .handle
}

#[test]
fn the_ek_policy_digest_is_computed_in_software_and_equals_a_trial_session() {
    let software = PolicyDigest::new().secret_of(Handle::ENDORSEMENT, &[]);
    // The TCG EK Credential Profile's PolicyA (SHA-256).
    assert_eq!(
        software.to_string(),
        "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa"
    );
    assert_eq!(software.as_bytes(), &POLICY_A_SHA256);

    let mut tpm = tpm();
    let mut rng = rand::rng();
    let mut trial = tpm
        .start_session(&SessionConfig::plain(SessionType::Trial), &mut rng)
        .unwrap();
    trial
        .policy_secret(Handle::ENDORSEMENT, Auth::EMPTY)
        .unwrap();
    assert_eq!(trial.policy_get_digest().unwrap(), software);
    trial.end().unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}

#[test]
fn policy_command_code_auth_value_pcr_and_or_digests_equal_the_tpm() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    let pcrs = PcrBitmap::of(&[0, 7]);
    let banks = [PcrSelection::new(AlgId::SHA256, &pcrs)];
    let selection = PcrSelectionList::new(&banks).unwrap();
    let pcr_digest = {
        let read = tpm.pcr_read(&selection).unwrap();
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        for v in read.values() {
            sha2::Digest::update(&mut h, v.digest.as_bytes());
        }
        sha2::Digest::finalize(h)
    };
    let a = PolicyDigest::new()
        .command_code(CommandCode::NV_READ)
        .auth_value();
    let b = PolicyDigest::new().pcr(&selection, &pcr_digest).unwrap();
    let either = PolicyDigest::or(&[a, b]);

    let mut trial = tpm
        .start_session(&SessionConfig::plain(SessionType::Trial), &mut rng)
        .unwrap();
    trial.policy_command_code(CommandCode::NV_READ).unwrap();
    trial.policy_auth_value().unwrap();
    assert_eq!(
        trial.policy_get_digest().unwrap(),
        a,
        "CommandCode, AuthValue"
    );
    trial.end().unwrap();

    let mut trial = tpm
        .start_session(&SessionConfig::plain(SessionType::Trial), &mut rng)
        .unwrap();
    trial.policy_pcr(&selection, &[]).unwrap(); // the current values
    assert_eq!(trial.policy_get_digest().unwrap(), b, "PCR");
    trial.policy_or(&[a, b]).unwrap();
    assert_eq!(trial.policy_get_digest().unwrap(), either, "OR");
    drop(trial); // the guard flushes
    assert_eq!(sessions_left(&mut tpm), 0);
}

#[test]
fn a_salted_encrypting_session_changes_and_uses_hierarchy_auth() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    let ek = ecc_ek(&mut tpm);
    {
        let mut s = tpm
            .start_session(&SessionConfig::salted_hmac(ek), &mut rng)
            .unwrap();
        // HierarchyChangeAuth: the new authValue travels encrypted, the old one as an HMAC.
        s.hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, auth(b"lockout secret"))
            .unwrap();
        // DictionaryAttackLockReset with the new value, over the session.
        s.dictionary_attack_lock_reset(auth(b"lockout secret"))
            .unwrap();
        // A wrong value fails with the TPM's own refusal, not a session error.
        let wrong = s.dictionary_attack_lock_reset(auth(b"guess")).unwrap_err();
        assert!(matches!(wrong, Error::Tpm(_)), "{wrong}");
        s.end().unwrap();
    }
    // The TPM took the new value: a password session with it works, and restores empty.
    tpm.clear(Handle::PLATFORM, Auth::EMPTY).unwrap();
    tpm.flush_context(ek).ok();
    assert_eq!(sessions_left(&mut tpm), 0);
}

#[test]
fn bound_and_unbound_hmac_sessions_authorize_owner_commands() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    tpm.hierarchy_change_auth(Handle::OWNER, Auth::EMPTY, auth(b"owner"))
        .unwrap();
    for bind in [None, Some((Handle::OWNER, auth(b"owner")))] {
        let config = SessionConfig {
            bind,
            ..SessionConfig::plain(SessionType::Hmac)
        };
        let mut s = tpm.start_session(&config, &mut rng).unwrap();
        // Bound to the owner: the authValue is in the session key, not in the HMAC key.
        s.hierarchy_change_auth(Handle::OWNER, auth(b"owner"), auth(b"owner"))
            .unwrap();
        s.end().unwrap();
    }
    tpm.hierarchy_change_auth(Handle::OWNER, auth(b"owner"), Auth::EMPTY)
        .unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}

#[test]
fn nv_read_with_an_auth_value_and_an_encrypted_response_equals_the_clear_read() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    let index = Handle(0x0150_0020);
    let data: Vec<u8> = (0u8..=200).collect();
    let public = NvPublic {
        index,
        name_alg: AlgId::SHA256,
        attributes: NvAttributes::OWNERWRITE
            | NvAttributes::OWNERREAD
            | NvAttributes::AUTHREAD
            | NvAttributes::AUTHWRITE,
        auth_policy: tpm2_wire::Digest::EMPTY,
        data_size: u16::try_from(data.len()).unwrap(),
    };
    tpm.nv_define_space(Handle::OWNER, Auth::EMPTY, auth(b"index pw"), &public)
        .unwrap();
    tpm.nv_write(index, auth(b"index pw"), index, 0, &data)
        .unwrap();
    let clear = tpm
        .nv_read(index, auth(b"index pw"), index, 64, 10)
        .unwrap()
        .as_bytes()
        .to_vec();
    let ek = ecc_ek(&mut tpm);
    {
        let mut s = tpm
            .start_session(&SessionConfig::salted_hmac(ek), &mut rng)
            .unwrap();
        let secret = s
            .nv_read(index, auth(b"index pw"), index, 64, 10)
            .unwrap()
            .as_bytes()
            .to_vec();
        assert_eq!(secret, clear);
        assert_eq!(secret, data[10..74]);
    }
    tpm.flush_context(ek).unwrap();
    tpm.nv_undefine_space(Handle::OWNER, Auth::EMPTY, index)
        .unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}

/// An 8-byte NV index holding `data`, authValue "pw", readable only under the policy
/// PolicyCommandCode(NV_Read) + PolicyAuthValue.
fn define_policy_read_index<T: Transport>(
    tpm: &mut Tpm<T, VirtualClock>,
    index: Handle,
    data: [u8; 8],
) where
    T::Error: core::fmt::Debug,
{
    let policy = PolicyDigest::new()
        .command_code(CommandCode::NV_READ)
        .auth_value();
    let public = NvPublic {
        index,
        name_alg: AlgId::SHA256,
        attributes: NvAttributes::OWNERWRITE | NvAttributes::POLICYREAD,
        auth_policy: tpm2_wire::Digest::new(policy.as_bytes()).unwrap(),
        data_size: 8,
    };
    tpm.nv_define_space(Handle::OWNER, Auth::EMPTY, auth(b"pw"), &public)
        .unwrap();
    tpm.nv_write(Handle::OWNER, Auth::EMPTY, index, 0, &data)
        .unwrap();
}

#[test]
fn a_policy_session_reads_an_index_whose_policy_asks_for_its_auth_value() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    let index = Handle(0x0150_0021);
    define_policy_read_index(&mut tpm, index, *b"12345678");
    {
        let mut s = tpm
            .start_session(&SessionConfig::plain(SessionType::Policy), &mut rng)
            .unwrap();
        s.policy_command_code(CommandCode::NV_READ).unwrap();
        s.policy_auth_value().unwrap();
        let got = s.nv_read(index, auth(b"pw"), index, 8, 0).unwrap();
        assert_eq!(got.as_bytes(), b"12345678");
        s.end().unwrap();
    }
    {
        // Without PolicyAuthValue the digest differs: the TPM refuses with a policy failure.
        let mut s = tpm
            .start_session(&SessionConfig::plain(SessionType::Policy), &mut rng)
            .unwrap();
        s.policy_command_code(CommandCode::NV_READ).unwrap();
        let refused = s.nv_read(index, auth(b"pw"), index, 8, 0).unwrap_err();
        assert!(refused.tpm().is_some(), "{refused}");
    }
    tpm.nv_undefine_space(Handle::OWNER, Auth::EMPTY, index)
        .unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}

/// A transport that keeps every command and response it carries.
struct Spy<T> {
    inner: T,
    seen: Vec<u8>,
}

impl<T: Transport> Transport for Spy<T> {
    type Error = T::Error;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], T::Error> {
        self.seen.extend_from_slice(&buf[..len]);
        let rsp = self.inner.transact(buf, len)?;
        self.seen.extend_from_slice(rsp);
        Ok(rsp)
    }
}

/// A transport that flips the last byte of the next response (the response HMAC's last
/// byte, when the session's entry is the last one).
struct Tamper<T> {
    inner: T,
    armed: bool,
}

impl<T: Transport> Transport for Tamper<T> {
    type Error = T::Error;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], T::Error> {
        let n = self.inner.transact(buf, len)?.len();
        if core::mem::take(&mut self.armed)
            && let Some(last) = buf.get_mut(n.wrapping_sub(1))
        {
            *last ^= 0x01;
        }
        Ok(&buf[..n])
    }
}

#[test]
fn a_tampered_response_hmac_is_a_typed_error_and_breaks_the_session() {
    let (peer, clock) = tpm().into_parts();
    let mut tpm = Tpm::new(
        Tamper {
            inner: peer,
            armed: false,
        },
        clock,
    );
    let mut rng = rand::rng();
    let ek = tpm
        .create_ek(&ECC_P256_TEMPLATE, Auth::EMPTY)
        .unwrap()
        .handle;
    {
        let mut s = tpm
            .start_session(&SessionConfig::salted_hmac(ek), &mut rng)
            .unwrap();
        s.transport_mut().armed = true;
        let err = s.dictionary_attack_lock_reset(Auth::EMPTY).unwrap_err();
        assert!(
            matches!(err, Error::Session(SessionError::ResponseHmac)),
            "{err}"
        );
        // Not used again once broken.
        let again = s.dictionary_attack_lock_reset(Auth::EMPTY).unwrap_err();
        assert!(
            matches!(again, Error::Session(SessionError::Broken)),
            "{again}"
        );
    }
    tpm.flush_context(ek).unwrap();
    let mut tpm = Tpm::new(tpm.into_parts().0.inner, VirtualClock::default());
    assert_eq!(sessions_left(&mut tpm), 0);
}

/// The bytes that crossed TIS's data FIFO (DATA_FIFO 0x24, XDATA_FIFO 0x80..0x84 of any
/// locality) in either direction since `tap` was last drained: what a logic analyser on the
/// LPC or SPI bus sees.
fn fifo_bytes<B>(tap: &mut Tap<B>) -> Vec<u8> {
    let fifo = |offset: u32| {
        let reg = offset & 0xFFF;
        reg == 0x24 || (0x80..0x84).contains(&reg)
    };
    core::mem::take(&mut tap.log)
        .iter()
        .filter(|a| fifo(a.offset))
        .flat_map(Access::bytes)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn on_the_tis_bus_a_salted_session_hides_the_auth_values_a_password_session_shows() {
    use tpm2_tests::qemu::{Device, QemuTpm};
    let mut qemu = QemuTpm::start(Device::Tis).unwrap_or_else(|e| panic!("{e}"));
    let tap = Tap::new(&mut qemu);
    let tis =
        tpm2_tis::Tis::new(tap, VirtualClock::default(), tpm2_tis::Config::default()).unwrap();
    let mut tpm = Tpm::new(tis, VirtualClock::default());
    tpm.startup(tpm2_wire::StartupType::CLEAR).unwrap();
    let mut rng = rand::rng();
    let first = b"lockout-secret-one";
    let second = b"lockout-secret-two";

    // Password sessions: the new value, then the value itself, cross the bus in clear.
    fifo_bytes(tpm.transport_mut().bus_mut());
    tpm.hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, auth(first))
        .unwrap();
    tpm.dictionary_attack_lock_reset(auth(first)).unwrap();
    let clear = fifo_bytes(tpm.transport_mut().bus_mut());
    assert!(
        contains(&clear, first),
        "a password session shows the authValue"
    );

    // A salted session with parameter encryption: the same two commands succeed and
    // neither value, old or new, is on the bus.
    let ek = ecc_ek(&mut tpm);
    fifo_bytes(tpm.transport_mut().bus_mut());
    {
        let mut s = tpm
            .start_session(&SessionConfig::salted_hmac(ek), &mut rng)
            .unwrap();
        s.hierarchy_change_auth(Handle::LOCKOUT, auth(first), auth(second))
            .unwrap();
        s.dictionary_attack_lock_reset(auth(second)).unwrap();
        s.end().unwrap();
    }
    let protected = fifo_bytes(tpm.transport_mut().bus_mut());
    assert!(
        protected.len() > 200,
        "the tap saw the commands: {} bytes",
        protected.len()
    );
    eprintln!(
        "tap: {} bytes in clear, {} protected",
        clear.len(),
        protected.len()
    );
    assert!(
        !contains(&protected, first),
        "the old authValue stayed off the bus"
    );
    assert!(
        !contains(&protected, second),
        "the new authValue stayed off the bus"
    );
    tpm.dictionary_attack_lock_reset(auth(second)).unwrap();
    tpm.flush_context(ek).unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}

/// Runs a tpm2-tools command against `server`, failing with its stderr.
fn tpm2_tool(server: &tpm2_tests::swtpm::SwtpmServer, tool: &str, args: &[&str]) {
    let out = std::process::Command::new(tool)
        .args(["-T", &server.tcti()])
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} not found ({e}): apt-get update && apt-get install -y tpm2-tools")
        });
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// tpm2-tools invocations: the tool and its arguments (CTX: the session file, OUT: the
/// policy file).
type ToolSteps<'a> = &'a [(&'a str, &'a [&'a str])];

#[test]
fn policy_digests_equal_tpm2_tools_trial_sessions() {
    let server = tpm2_tests::swtpm::SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempdir();
    let ctx = dir.join("session.ctx");
    let ctx = ctx.to_str().unwrap();
    let cases: [(&str, PolicyDigest, ToolSteps<'_>); 2] = [
        (
            "PolicySecret(endorsement)",
            PolicyDigest::new().secret_of(Handle::ENDORSEMENT, &[]),
            &[("tpm2_policysecret", &["-S", "CTX", "-c", "e", "-L", "OUT"])],
        ),
        (
            "PolicyCommandCode(NV_Read), PolicyAuthValue",
            PolicyDigest::new()
                .command_code(CommandCode::NV_READ)
                .auth_value(),
            &[
                ("tpm2_policycommandcode", &["-S", "CTX", "TPM2_CC_NV_Read"]),
                ("tpm2_policyauthvalue", &["-S", "CTX", "-L", "OUT"]),
            ],
        ),
    ];
    for (what, ours, steps) in cases {
        let out = dir.join("policy.bin");
        let out_s = out.to_str().unwrap();
        tpm2_tool(&server, "tpm2_startauthsession", &["-S", ctx]); // a trial session
        for (tool, args) in steps {
            let args: Vec<&str> = args
                .iter()
                .map(|a| match *a {
                    "CTX" => ctx,
                    "OUT" => out_s,
                    other => other,
                })
                .collect();
            tpm2_tool(&server, tool, &args);
        }
        tpm2_tool(&server, "tpm2_flushcontext", &[ctx]);
        let theirs = std::fs::read(&out).unwrap();
        assert_eq!(theirs.as_slice(), ours.as_bytes(), "{what}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn tempdir() -> std::path::PathBuf {
    tpm2_tests::qemu::fresh_dir("policy").unwrap()
}

#[test]
fn every_salt_type_is_accepted_and_a_key_of_the_other_kind_is_refused() {
    salt_types(&mut tpm());
}

#[test]
fn every_salt_type_is_accepted_by_swtpm_over_its_socket() {
    let server = tpm2_tests::swtpm::SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let socket =
        tpm2_cmds::host::Swtpm::connect(server.addr(), core::time::Duration::from_secs(30))
            .unwrap();
    salt_types(&mut Tpm::new(socket, VirtualClock::default()));
}

/// ECC and RSA salts each give a working session; a key of the other kind is refused.
fn salt_types<T: Transport>(tpm: &mut Tpm<T, VirtualClock>)
where
    T::Error: core::fmt::Debug,
{
    let mut rng = rand::rng();
    let ecc = ecc_ek(tpm);
    let rsa = tpm
        .create_ek(&tpm2_cmds::ek::RSA_2048_TEMPLATE, Auth::EMPTY)
        .unwrap()
        .handle;
    for salt in [Salt::Ecc(ecc), Salt::Rsa(rsa)] {
        let config = SessionConfig {
            salt,
            ..SessionConfig::salted_hmac(ecc)
        };
        let mut s = tpm.start_session(&config, &mut rng).unwrap();
        // The session key came out the same on both sides: the HMACs verify.
        s.dictionary_attack_lock_reset(Auth::EMPTY)
            .unwrap_or_else(|e| panic!("{salt:?}: {e}"));
        s.end().unwrap();
    }
    for salt in [Salt::Ecc(rsa), Salt::Rsa(ecc)] {
        let config = SessionConfig {
            salt,
            ..SessionConfig::salted_hmac(ecc)
        };
        let err = tpm.start_session(&config, &mut rng).unwrap_err();
        assert!(
            matches!(err, Error::Session(SessionError::UnsuitableSaltKey)),
            "{salt:?}: {err}"
        );
    }
    tpm.flush_context(ecc).unwrap();
    tpm.flush_context(rsa).unwrap();
    assert_eq!(sessions_left(tpm), 0);
}

#[test]
fn a_policy_session_inside_a_salted_one_authorizes_while_the_salted_one_encrypts() {
    let (peer, clock) = tpm().into_parts();
    let mut tpm = Tpm::new(
        Spy {
            inner: peer,
            seen: Vec::new(),
        },
        clock,
    );
    let mut rng = rand::rng();
    let ek = ecc_ek(&mut tpm);
    let index = Handle(0x0150_0022);
    define_policy_read_index(&mut tpm, index, *b"abcdefgh");
    tpm.transport_mut().seen.clear();
    {
        let mut salted = tpm
            .start_session(&SessionConfig::salted_hmac(ek), &mut rng)
            .unwrap();
        // PolicySecret names the trial session, so the salted session authorizes the
        // endorsement hierarchy for it.
        let mut trial = salted
            .start_session(&SessionConfig::plain(SessionType::Trial), &mut rng)
            .unwrap();
        trial
            .policy_secret(Handle::ENDORSEMENT, Auth::EMPTY)
            .unwrap();
        assert_eq!(
            trial.policy_get_digest().unwrap().as_bytes(),
            &POLICY_A_SHA256
        );
        trial.end().unwrap();

        // The policy session authorizes NV_Read; the salted one joins to encrypt the data.
        let mut p = salted
            .start_session(&SessionConfig::plain(SessionType::Policy), &mut rng)
            .unwrap();
        p.policy_command_code(CommandCode::NV_READ).unwrap();
        p.policy_auth_value().unwrap();
        let got = p.nv_read(index, auth(b"pw"), index, 8, 0).unwrap();
        assert_eq!(got.as_bytes(), b"abcdefgh");
        // A third session does not fit.
        let third = p
            .start_session(&SessionConfig::plain(SessionType::Hmac), &mut rng)
            .unwrap_err();
        assert!(matches!(
            third,
            Error::Session(SessionError::TooManySessions)
        ));
    }
    let seen = core::mem::take(&mut tpm.transport_mut().seen);
    assert!(
        !contains(&seen, b"abcdefgh"),
        "the NV data crossed encrypted"
    );
    tpm.flush_context(ek).unwrap();
    tpm.nv_undefine_space(Handle::OWNER, Auth::EMPTY, index)
        .unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}

/// TPM2_Create of a sealed-data object under `parent`, hand-framed through `Tpm::execute`
/// (the parent's authorization goes into whatever session is installed).
fn create_sealed_under<T: Transport>(
    tpm: &mut Tpm<T, VirtualClock>,
    parent: Handle,
) -> Result<(), Error<T::Error>> {
    use tpm2_wire::{
        AuthCommand, Data, ObjectAttributes, Public, PublicParameters, Scheme, SensitiveCreate,
        SensitiveData, Tpm2b,
    };
    let template = Public {
        name_alg: AlgId::SHA256,
        attributes: ObjectAttributes::FIXED_TPM
            | ObjectAttributes::FIXED_PARENT
            | ObjectAttributes::USER_WITH_AUTH,
        auth_policy: tpm2_wire::Digest::EMPTY,
        parameters: PublicParameters::KeyedHash {
            scheme: Scheme::NULL,
            unique: tpm2_wire::Digest::EMPTY,
        },
    };
    let sensitive = SensitiveCreate {
        user_auth: Auth::EMPTY,
        data: SensitiveData::new(b"sealed under the EK").unwrap(),
    };
    let session = [AuthCommand::password(Auth::EMPTY)];
    tpm.execute(CommandCode::CREATE, 0, |c| {
        c.handle(parent).sessions(&session);
        c.param(&Tpm2b(sensitive)).param(&Tpm2b(template));
        c.param(&Data::EMPTY).param(&PcrSelectionList::empty())
    })
    .map(drop)
}

#[test]
fn a_policy_session_with_policy_secret_satisfies_the_ek_policy() {
    let mut tpm = tpm();
    let mut rng = rand::rng();
    let ek = tpm
        .create_ek(&tpm2_cmds::ek::RSA_2048_TEMPLATE, Auth::EMPTY)
        .unwrap()
        .handle;
    // Without a policy session the EK (adminWithPolicy, no userWithAuth) refuses.
    let refused = create_sealed_under(&mut tpm, ek).unwrap_err();
    assert!(refused.tpm().is_some(), "{refused}");
    {
        let mut p = tpm
            .start_session(&SessionConfig::plain(SessionType::Policy), &mut rng)
            .unwrap();
        p.policy_secret(Handle::ENDORSEMENT, Auth::EMPTY).unwrap();
        create_sealed_under(&mut p, ek).unwrap();
        p.end().unwrap();
    }
    {
        // A policy session without PolicySecret does not satisfy it.
        let mut p = tpm
            .start_session(&SessionConfig::plain(SessionType::Policy), &mut rng)
            .unwrap();
        let refused = create_sealed_under(&mut p, ek).unwrap_err();
        assert!(refused.tpm().is_some(), "{refused}");
    }
    tpm.flush_context(ek).unwrap();
    assert_eq!(sessions_left(&mut tpm), 0);
}
