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
use tpm2_wire::{Auth, StartupType, Unmarshal, reserved};

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
        let created = tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY).unwrap();
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

/// A peer on loopback that answers each connection's first command with `reply` and closes.
fn hostile_mssim(reply: Vec<u8>) -> core::net::SocketAddr {
    use std::io::{Read, Write};
    let (tpm, platform) = loop {
        let tpm = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tpm.local_addr().unwrap().port();
        if let Ok(p) = std::net::TcpListener::bind(("127.0.0.1", port + 1)) {
            break (tpm, p);
        }
    };
    let addr = tpm.local_addr().unwrap();
    std::thread::spawn(move || {
        let _platform = platform.accept();
        if let Ok((mut s, _)) = tpm.accept() {
            let mut head = [0u8; 9];
            let _ = s.read_exact(&mut head);
            let mut cmd = vec![0u8; u32::from_be_bytes(head[5..9].try_into().unwrap()) as usize];
            let _ = s.read_exact(&mut cmd);
            let _ = s.write_all(&reply);
        }
    });
    addr
}

fn mssim_get_random(addr: core::net::SocketAddr, capacity: usize) -> Result<usize, HostError> {
    let mut link = Mssim::connect(addr, TIMEOUT).unwrap();
    let mut buf = vec![0u8; capacity];
    let mut cmd =
        tpm2_wire::CommandWriter::new(&mut buf, tpm2_wire::CommandCode::GET_RANDOM).unwrap();
    cmd.param(&8u16).unwrap();
    let len = cmd.finish().unwrap();
    tpm2_wire::Transport::transact(&mut link, &mut buf, len).map(<[u8]>::len)
}

#[test]
fn hostile_mssim_framing_gives_typed_errors() {
    // A response larger than the caller's buffer.
    let big = [&5000u32.to_be_bytes()[..], &[0u8; 16]].concat();
    assert!(matches!(
        mssim_get_random(hostile_mssim(big), 4096),
        Err(HostError::ResponseTooLarge {
            size: 5000,
            capacity: 4096
        })
    ));
    // A response cut short by a closed connection.
    let short = [
        &20u32.to_be_bytes()[..],
        &[0x80, 0x01, 0, 0, 0, 20, 0, 0][..],
    ]
    .concat();
    assert!(matches!(
        mssim_get_random(hostile_mssim(short), 4096),
        Err(HostError::Closed)
    ));
    // A frame whose size field disagrees with the mssim length.
    let lying = [
        &10u32.to_be_bytes()[..],
        &[0x80, 0x01, 0, 0, 0, 0x40, 0, 0, 0, 0][..],
        &[0; 4],
    ]
    .concat();
    assert!(matches!(
        mssim_get_random(hostile_mssim(lying), 4096),
        Err(HostError::Malformed(_) | HostError::ResponseTooLarge { .. })
    ));
    // A non-zero trailing acknowledgement.
    let ack = [
        &10u32.to_be_bytes()[..],
        &[0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0][..],
        &7u32.to_be_bytes(),
    ]
    .concat();
    assert!(matches!(
        mssim_get_random(hostile_mssim(ack), 4096),
        Err(HostError::BadAck(7))
    ));
}

#[test]
fn a_missing_device_is_a_typed_io_error() {
    let err = tpm2_cmds::host::Device::open("/nonexistent/tpmrm0").unwrap_err();
    assert!(
        matches!(err, HostError::Io(ref e) if e.kind() == std::io::ErrorKind::NotFound),
        "{err}"
    );
    assert_eq!(
        tpm2_wire::TransportError::kind(&err),
        tpm2_wire::TransportErrorKind::Io
    );
}
