//! The host transports against real peers: swtpm's socket (with tpm2-tools' `tpm2_createek`
//! on the same TPM as a differential check) and the mssim protocol in front of libtpms.

use core::time::Duration;

use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_cmds::host::{Mssim, Reason, Swtpm};
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
        let mut tpm = Tpm::new(
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
    let dir = tpm2_tests::qemu::fresh_dir("createek").unwrap();
    let public = dir.join("ek.pub");
    swtpm
        .tpm2_createek(&public)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tpm = Tpm::new(
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
    let mut tpm = Tpm::new(
        Swtpm::connect(swtpm.addr(), TIMEOUT).unwrap(),
        VirtualClock::default(),
    );
    assert_eq!(tpm.get_random(8).unwrap().len(), 8);
    drop(swtpm);
    match tpm.get_random(8) {
        Err(Error::Transport(e)) if matches!(e.reason(), Reason::Closed | Reason::Io(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn mssim_powers_on_then_runs_the_provisioning_flow() {
    let server = MssimServer::start().unwrap();
    let mut link = Mssim::connect(server.addr(), TIMEOUT).unwrap();
    let mut buf = [0u8; 64];
    let mut cmd = tpm2_wire::CommandWriter::new(&mut buf, tpm2_wire::CommandCode::GET_RANDOM);
    cmd.param(&8u16);
    let len = cmd.finish().unwrap();
    let off = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap_err();
    assert!(matches!(off.reason(), Reason::PoweredOff), "{off}");
    link.power_on().unwrap();
    let mut tpm = Tpm::new(link, VirtualClock::default());
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::Started
    );
    let report = tpm.provision_ek(&ProvisionConfig::rsa()).unwrap();
    assert_eq!(report.outcome, Outcome::Provisioned);
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

fn mssim_get_random(addr: core::net::SocketAddr, capacity: usize) -> Result<usize, Reason> {
    let mut link = Mssim::connect(addr, TIMEOUT).unwrap();
    let mut buf = vec![0u8; capacity];
    let mut cmd = tpm2_wire::CommandWriter::new(&mut buf, tpm2_wire::CommandCode::GET_RANDOM);
    cmd.param(&8u16);
    let len = cmd.finish().unwrap();
    let result = tpm2_wire::Transport::transact(&mut link, &mut buf, len).map(<[u8]>::len);
    result.map_err(|e| {
        assert!(e.to_string().starts_with(&format!("mssim {addr}: ")), "{e}");
        // The stream broke mid-frame: never used again.
        let again = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap_err();
        assert!(matches!(again.reason(), Reason::Broken), "{again}");
        match e.reason() {
            Reason::ResponseTooLarge { size, capacity } => Reason::ResponseTooLarge {
                size: *size,
                capacity: *capacity,
            },
            Reason::Closed => Reason::Closed,
            Reason::Malformed(w) => Reason::Malformed(*w),
            Reason::BadAck(v) => Reason::BadAck(*v),
            other => panic!("{other}"),
        }
    })
}

#[test]
fn hostile_mssim_framing_gives_typed_errors() {
    // A response larger than the caller's buffer.
    let big = [&5000u32.to_be_bytes()[..], &[0u8; 16]].concat();
    assert!(matches!(
        mssim_get_random(hostile_mssim(big), 4096),
        Err(Reason::ResponseTooLarge {
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
        Err(Reason::Closed)
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
        Err(Reason::Malformed(_) | Reason::ResponseTooLarge { .. })
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
        Err(Reason::BadAck(7))
    ));
}

#[test]
fn a_missing_device_is_a_typed_io_error() {
    let err = tpm2_cmds::host::Device::open("/nonexistent/tpmrm0").unwrap_err();
    assert!(
        matches!(err.reason(), Reason::Connect(e) if e.kind() == std::io::ErrorKind::NotFound),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("/nonexistent/tpmrm0: "),
        "{err}"
    );
    assert_eq!(
        tpm2_wire::TransportError::kind(&err),
        tpm2_wire::TransportErrorKind::NoDevice
    );
}

/// A swtpm-protocol peer on loopback that answers each command only after `delay`, with a
/// response carrying `tag` in its last byte so that answers can be told apart.
fn late_swtpm(delay: Duration) -> core::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut tag = 0u8;
        for conn in listener.incoming().take(2) {
            let Ok(mut s) = conn else { return };
            let mut cmd = [0u8; 12];
            while s.read_exact(&mut cmd).is_ok() {
                tag += 1;
                std::thread::sleep(delay);
                let rsp = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0, 0, 0, tag];
                if s.write_all(&rsp).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

fn get_random_frame(buf: &mut [u8]) -> usize {
    let mut cmd = tpm2_wire::CommandWriter::new(buf, tpm2_wire::CommandCode::GET_RANDOM);
    cmd.param(&8u16);
    cmd.finish().unwrap()
}

#[test]
fn a_late_answer_never_reaches_a_later_command() {
    // GetRandom's duration class is 2 s; the peer answers after 2.6 s.
    let addr = late_swtpm(Duration::from_millis(2_600));
    let mut link = Swtpm::connect(addr, TIMEOUT).unwrap();
    link.margin = Duration::ZERO;
    let mut buf = [0u8; 64];
    let len = get_random_frame(&mut buf);
    let started = std::time::Instant::now();
    let late = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(late.reason(), Reason::Timeout { after_ms: 2_000 }),
        "{late}"
    );
    assert!(late.to_string().contains(&addr.to_string()), "{late}");
    assert_eq!(
        tpm2_wire::TransportError::kind(&late),
        tpm2_wire::TransportErrorKind::Timeout
    );
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_millis(2_500),
        "{waited:?}"
    );
    // The first answer arrives meanwhile; the stream is not read again.
    std::thread::sleep(Duration::from_millis(800));
    let len = get_random_frame(&mut buf);
    let broken = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap_err();
    assert!(matches!(broken.reason(), Reason::Broken), "{broken}");
    // A new connection gets its own, fresh answer (tag 2), not the stale one (tag 1).
    link.reconnect().unwrap();
    link.margin = Duration::from_secs(5);
    let len = get_random_frame(&mut buf);
    let rsp = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap();
    assert_eq!(rsp[11], 2, "the answer to this command");
}

#[test]
fn a_stopped_peer_is_one_clear_timeout_within_the_deadline() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let mut link = Swtpm::connect(swtpm.addr(), TIMEOUT).unwrap();
    link.margin = Duration::from_millis(200);
    let mut buf = [0u8; 64];
    let len = get_random_frame(&mut buf);
    assert!(tpm2_wire::Transport::transact(&mut link, &mut buf, len).is_ok());
    swtpm.signal("STOP");
    let started = std::time::Instant::now();
    let len = get_random_frame(&mut buf);
    let err = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap_err();
    let waited = started.elapsed();
    swtpm.signal("CONT");
    assert!(
        matches!(err.reason(), Reason::Timeout { after_ms: 2_200 }),
        "{err}"
    );
    assert!(waited < Duration::from_millis(2_700), "{waited:?}");
    let again = tpm2_wire::Transport::transact(&mut link, &mut buf, len).unwrap_err();
    assert!(matches!(again.reason(), Reason::Broken), "{again}");
}

#[test]
fn host_names_resolve_and_a_refused_connection_names_the_peer() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let port = swtpm.addr().port();
    let mut tpm = Tpm::new(
        Swtpm::connect(("localhost", port), TIMEOUT).unwrap(),
        VirtualClock::default(),
    );
    assert_eq!(tpm.get_random(8).unwrap().len(), 8);
    drop(tpm);
    drop(swtpm);
    let err = Swtpm::connect(("127.0.0.1", port), Duration::from_secs(2)).unwrap_err();
    assert!(matches!(err.reason(), Reason::Connect(_)), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_transport_chosen_at_run_time_is_boxed() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let transport: Box<dyn tpm2_wire::Transport<Error = tpm2_cmds::host::HostError>> =
        Box::new(Swtpm::connect(swtpm.addr(), TIMEOUT).unwrap());
    let mut tpm = Tpm::new(transport, VirtualClock::default());
    assert_eq!(tpm.get_random(8).unwrap().len(), 8);
}

fn mssim(server: &MssimServer) -> Tpm<Mssim, VirtualClock> {
    Tpm::new(
        Mssim::connect(server.addr(), TIMEOUT).unwrap(),
        VirtualClock::default(),
    )
}

#[test]
fn mssim_needs_nv_on_before_startup_as_the_reference_simulator() {
    let server = MssimServer::start().unwrap();
    let mut tpm = mssim(&server);
    tpm.transport_mut().platform(1).unwrap(); // POWER_ON without NV_ON
    let e = tpm.startup(StartupType::CLEAR).unwrap_err();
    assert_eq!(e.tpm().map(|t| t.code.raw()), Some(0x923), "{e}");
    tpm.transport_mut().platform(11).unwrap(); // NV_ON
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::Started
    );
}

#[test]
fn mssim_keeps_power_and_state_across_connections() {
    let server = MssimServer::start().unwrap();
    {
        let mut tpm = mssim(&server);
        tpm.transport_mut().power_on().unwrap();
        tpm.startup(StartupType::CLEAR).unwrap();
        let report = tpm.provision_ek(&ProvisionConfig::rsa()).unwrap();
        assert_eq!(report.outcome, Outcome::Provisioned);
    }
    // A new client finds the TPM powered, started and provisioned; a second POWER_ON does
    // not reset it.
    let mut tpm = mssim(&server);
    tpm.transport_mut().power_on().unwrap();
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::AlreadyStarted
    );
    assert!(tpm.read_public(reserved::RSA_EK).is_ok());
    // A power cycle resets the TPM (Startup again) and keeps NV (the persistent EK).
    tpm.transport_mut().power_cycle().unwrap();
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::Started
    );
    assert!(tpm.read_public(reserved::RSA_EK).is_ok());
}

#[test]
fn mssim_serves_one_client_at_a_time() {
    let server = MssimServer::start().unwrap();
    let mut first = Mssim::connect(server.addr(), TIMEOUT).unwrap();
    first.power_on().unwrap();
    let mut second = Mssim::connect(server.addr(), TIMEOUT).unwrap();
    second.margin = Duration::from_millis(100);
    let mut buf = [0u8; 64];
    let mut cmd = tpm2_wire::CommandWriter::new(&mut buf, tpm2_wire::CommandCode::GET_RANDOM);
    cmd.param(&8u16);
    let len = cmd.finish().unwrap();
    let mut copy = buf;
    // The second client's command waits behind the first client: its read times out.
    let waiting = tpm2_wire::Transport::transact(&mut second, &mut copy, len).unwrap_err();
    assert!(
        matches!(waiting.reason(), Reason::Timeout { .. }),
        "{waiting}"
    );
    // The first is served.
    assert!(tpm2_wire::Transport::transact(&mut first, &mut buf, len).is_ok());
}
