//! The host transports against real peers: swtpm's socket (with tpm2-tools' `tpm2_createek`
//! on the same TPM as a differential check) and the mssim protocol in front of libtpms.

use core::time::Duration;
use std::process::Command;

use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_cmds::host::{HostError, Mssim, Swtpm};
use tpm2_cmds::{Error, Outcome, ProvisionConfig, StartupOutcome, Tpm};
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::mssim_server::MssimServer;
use tpm2_tests::swtpm::SwtpmServer;
use tpm2_wire::{
    Auth, Data, Handle, PcrSelectionList, SensitiveCreate, StartupType, Unmarshal, reserved,
};

const TIMEOUT: Duration = Duration::from_mins(1);

#[test]
fn our_rsa_ek_and_tpm2_createeks_have_the_same_name() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let ours = {
        let mut tpm: Tpm<_, _> = Tpm::new(
            Swtpm::connect(swtpm.addr(), TIMEOUT).unwrap(),
            VirtualClock::default(),
        );
        assert_eq!(
            tpm.startup(StartupType::CLEAR).unwrap(),
            StartupOutcome::AlreadyStarted
        );
        let created = tpm
            .create_primary(
                Handle::ENDORSEMENT,
                Auth::EMPTY,
                &RSA_2048_TEMPLATE,
                &SensitiveCreate::default(),
                Data::EMPTY,
                &PcrSelectionList::empty(),
            )
            .unwrap();
        let (name, handle) = (created.name.as_bytes().to_vec(), created.handle);
        tpm.flush_context(handle).unwrap();
        name
    };
    tpm2_tests::qemu::require_program("tpm2_createek", "tpm2-tools")
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tpm2_tests::qemu::fresh_dir("createek").unwrap();
    let public = dir.join("ek.pub");
    let out = Command::new("tpm2_createek")
        .args(["-T", &swtpm.tcti(), "-G", "rsa", "-c", "0x81010001", "-u"])
        .arg(&public)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tpm2_createek: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut tpm: Tpm<_, _> = Tpm::new(
        Swtpm::connect(swtpm.addr(), TIMEOUT).unwrap(),
        VirtualClock::default(),
    );
    let theirs = tpm.read_public(reserved::RSA_EK).unwrap();
    assert_eq!(
        theirs.name.as_bytes(),
        ours,
        "same TPM, same template, same EK Name"
    );
    let bytes = std::fs::read(&public).unwrap();
    let file_public = tpm2_wire::Tpm2b::<tpm2_wire::Public<'_>>::from_bytes(&bytes)
        .unwrap()
        .0;
    assert_eq!(
        file_public, theirs.public,
        "tpm2-tools' TPM2B_PUBLIC decodes to the TPM's"
    );
    let report = tpm.provision_ek(&ProvisionConfig::rsa()).unwrap();
    assert_eq!(report.outcome, Outcome::AlreadyProvisioned);
    assert_eq!(&report.ek_name[..], ours);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_closed_swtpm_connection_is_a_typed_error() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let mut tpm: Tpm<_, _> = Tpm::new(
        Swtpm::connect(swtpm.addr(), TIMEOUT).unwrap(),
        VirtualClock::default(),
    );
    assert_eq!(tpm.get_random(8).unwrap().len(), 8);
    drop(swtpm);
    match tpm.get_random(8) {
        Err(Error::Transport(HostError::Closed | HostError::Io(_))) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn mssim_powers_on_then_runs_the_provisioning_flow() {
    let server = MssimServer::start().unwrap();
    let mut link = Mssim::connect(server.addr(), TIMEOUT).unwrap();
    let mut buf = [0u8; 64];
    let mut cmd =
        tpm2_wire::CommandWriter::new(&mut buf, tpm2_wire::CommandCode::GET_RANDOM).unwrap();
    cmd.param(&8u16).unwrap();
    let len = cmd.finish().unwrap();
    assert!(matches!(
        tpm2_wire::Transport::transact(&mut link, &mut buf, len),
        Err(HostError::PoweredOff)
    ));
    link.power_on().unwrap();
    let mut tpm: Tpm<_, _> = Tpm::new(link, VirtualClock::default());
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::Started
    );
    let report = tpm.provision_ek(&ProvisionConfig::rsa()).unwrap();
    assert_eq!(report.outcome, Outcome::Provisioned);
    drop(tpm);
    server.join();
}
