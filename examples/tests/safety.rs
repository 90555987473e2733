//! The doctor never harms the TPM it examines: it does not guess a lockoutAuth, writes
//! nothing to a device unless asked, and stops at the first dead transport.

use core::time::Duration;
use std::io::{Read, Write};

use serde_json::Value;
use tpm2_cmds::Tpm;
use tpm2_cmds::host::{StdDelay, Swtpm};
use tpm2_examples::backend::BackendSpec;
use tpm2_examples::{Options, doctor};
use tpm2_tests::swtpm::SwtpmServer;
use tpm2_wire::{Auth, Handle};

fn run(backend: &str, options: &Options) -> Value {
    let spec: BackendSpec = backend.parse().unwrap();
    let json = doctor(backend, &spec, options).to_json();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("invalid JSON ({e}): {json}"))
}

fn check<'a>(r: &'a Value, id: &str) -> Option<&'a Value> {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
}

fn client(swtpm: &SwtpmServer) -> Tpm<Swtpm, StdDelay> {
    Tpm::new(
        Swtpm::connect(swtpm.addr(), Duration::from_secs(10)).unwrap(),
        StdDelay,
    )
}

#[test]
fn with_lockout_auth_set_the_owners_reset_still_works_after_the_doctor() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let owner = Auth::new(b"the-owners-lockout-password").unwrap();
    client(&swtpm)
        .hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, owner)
        .unwrap();
    let backend = format!("swtpm:{}", swtpm.addr());
    for provision in [None, Some(true)] {
        let r = run(
            &backend,
            &Options {
                provision,
                ..Options::default()
            },
        );
        let da = check(&r, "da-reset").unwrap_or_else(|| panic!("{r:#}"));
        assert_eq!(da["status"], "warn", "{r:#}");
        assert!(
            da["summary"].as_str().unwrap().contains("not sent"),
            "{da:#}"
        );
        // The lockout hierarchy is not locked: the owner's own reset works.
        client(&swtpm)
            .dictionary_attack_lock_reset(owner)
            .unwrap_or_else(|e| panic!("after the doctor (provision {provision:?}): {e}"));
    }
}

/// A swtpm-protocol peer that answers the first command (Startup: TPM_RC_INITIALIZE) and
/// then dies: closes the connection.
fn dying_peer() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut cmd = [0u8; 12];
            let _ = s.read_exact(&mut cmd);
            let _ = s.write_all(&[0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x00]);
        }
    });
    format!("swtpm:{addr}")
}

#[test]
fn a_dead_peer_ends_the_checks_with_one_clear_failure() {
    let r = run(&dying_peer(), &Options::default());
    let checks = r["checks"].as_array().unwrap();
    let failed: Vec<&Value> = checks.iter().filter(|c| c["status"] == "fail").collect();
    assert_eq!(check(&r, "startup").unwrap()["status"], "ok", "{r:#}");
    let last = checks.last().unwrap();
    assert_eq!(last["id"], "transport", "{r:#}");
    assert!(
        last["summary"]
            .as_str()
            .unwrap()
            .contains("stopped answering"),
        "{last:#}"
    );
    // The check that met the closed connection, then the transport line: nothing after.
    assert!(failed.len() <= 2, "{r:#}");
    assert!(check(&r, "ek").is_none(), "{r:#}");
}

/// The doctor over `dev:` as an admin runs it, against a character-device stand-in (FUSE,
/// one write per command, one read per response) in front of swtpm.
#[test]
fn the_device_backend_is_read_only_unless_provision_is_given() {
    let device = tpm2_tests::chardev::FuseTpm::start().unwrap_or_else(|e| panic!("{e}"));
    let backend = format!("dev:{}", device.path().display());
    let r = run(&backend, &Options::default());
    let mode = check(&r, "mode").unwrap()["summary"].as_str().unwrap();
    assert!(mode.starts_with("read-only"), "{r:#}");
    assert_eq!(check(&r, "startup").unwrap()["status"], "ok", "{r:#}");
    let ek = check(&r, "ek").unwrap_or_else(|| panic!("{r:#}"));
    assert!(
        ek["summary"].as_str().unwrap().contains("would persist"),
        "{ek:#}"
    );
    assert!(check(&r, "evict-control").is_none(), "{r:#}");
    assert!(
        device.commands() > 5,
        "the doctor went through the device file"
    );
    // Nothing stays behind: no persistent EK, no transient object. (Through the device
    // file: swtpm serves one connection, the device's.)
    let mut tpm = through(&device);
    assert!(tpm.read_public(tpm2_wire::reserved::RSA_EK).is_err());
    let transient = tpm
        .get_capability(tpm2_wire::Capability::HANDLES, 0x8000_0000, 16)
        .unwrap();
    assert!(
        matches!(transient.data, tpm2_wire::CapabilityData::Handles(h) if h.is_empty()),
        "{transient:?}"
    );
    drop(tpm);

    let r = run(
        &backend,
        &Options {
            provision: Some(true),
            ..Options::default()
        },
    );
    assert_eq!(check(&r, "evict-control").unwrap()["status"], "ok", "{r:#}");
    let mut tpm = through(&device);
    assert!(tpm.read_public(tpm2_wire::reserved::RSA_EK).is_ok());
}

fn through(device: &tpm2_tests::chardev::FuseTpm) -> Tpm<tpm2_cmds::host::Device, StdDelay> {
    Tpm::new(
        tpm2_cmds::host::Device::open(device.path()).unwrap(),
        StdDelay,
    )
}

/// The attestation dry run through `dev:` (salted, as on a device) creates an EK, an AK, two
/// policy sessions and a salt key, and leaves none of them behind, nor anything persistent.
#[test]
fn the_attestation_dry_run_on_a_device_leaves_nothing_behind() {
    let device = tpm2_tests::chardev::FuseTpm::start().unwrap_or_else(|e| panic!("{e}"));
    let backend = format!("dev:{}", device.path().display());
    let r = run(
        &backend,
        &Options {
            attest: true,
            ..Options::default()
        },
    );
    assert_eq!(check(&r, "session").unwrap()["status"], "ok", "{r:#}");
    for id in ["attest-ak", "attest-credential", "attest-quote"] {
        assert_eq!(check(&r, id).unwrap()["status"], "ok", "{id}: {r:#}");
    }
    // dev: reads the kernel's log by default; this machine's securityfs is not the device's.
    assert!(check(&r, "attest-eventlog").is_some(), "{r:#}");
    let mut tpm = through(&device);
    assert!(tpm.read_public(tpm2_wire::reserved::RSA_EK).is_err());
    for first in [0x8000_0000, 0x0200_0000, 0x0300_0000] {
        let left = tpm
            .get_capability(tpm2_wire::Capability::HANDLES, first, 16)
            .unwrap();
        assert!(
            matches!(left.data, tpm2_wire::CapabilityData::Handles(h) if h.iter().all(|h| h.0 >> 24 != first >> 24)),
            "{first:#x}: {left:?}"
        );
    }
}

/// Each scenario reboots and clears a simulator that keeps its state, so the same scenario
/// twice, and one after another, gives the same diagnosis.
fn scenarios_repeat(backend: &str) {
    use tpm2_examples::Scenario;
    let with = |scenario, lockout: Option<&str>| {
        run(
            backend,
            &Options {
                scenario,
                lockout_auth: lockout.map(|a| tpm2_examples::cli::auth_value(a).unwrap()),
                ..Options::default()
            },
        )
    };
    for round in 0..2 {
        let r = with(Scenario::DaLockout, Some("a-guess"));
        let da = check(&r, "da-reset").unwrap_or_else(|| panic!("{r:#}"));
        assert_eq!(da["code"]["raw"], "0x921", "round {round}: {r:#}");
        let r = with(Scenario::ForeignEndorsementAuth, None);
        let cp = check(&r, "create-primary").unwrap_or_else(|| panic!("{r:#}"));
        assert_eq!(cp["code"]["raw"], "0x9a2", "round {round}: {r:#}");
        let r = with(Scenario::Healthy, None);
        assert_eq!(check(&r, "ek-cert-match").unwrap()["status"], "ok", "{r:#}");
        assert_eq!(check(&r, "ek").unwrap()["status"], "ok", "{r:#}");
    }
}

#[test]
fn scenarios_repeat_on_swtpm() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    scenarios_repeat(&format!("swtpm:{}", swtpm.addr()));
}

/// The mssim simulator in `TPM2_TEST_MSSIM` (a locally built reference simulator), or the
/// in-house one that keeps state, power and NV_ON as the reference simulator does.
#[test]
fn scenarios_repeat_on_an_mssim_simulator() {
    if let Some(endpoint) = tpm2_tests::peer::Peer::endpoint() {
        scenarios_repeat(&format!("mssim:{endpoint}"));
    } else {
        let server = tpm2_tests::mssim_server::MssimServer::start().unwrap();
        scenarios_repeat(&format!("mssim:{}", server.addr()));
    }
}
