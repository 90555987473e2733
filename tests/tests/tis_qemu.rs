//! The FIFO driver against QEMU's tpm-tis device model backed by swtpm.

use sha2::{Digest as _, Sha256};
use tpm2_tests::delay::CountingDelay;
use tpm2_tests::frames::{get_random, round_trip, startup};
use tpm2_tests::qemu::{Device, Minimum, QemuTpm, ek_round_trip_accesses, fifo_data};
use tpm2_tis::regs::fifo::{ACCESS, access};
use tpm2_tis::{
    Config, Interface, Locality, LocalityPolicy, RegisterAccess, Timeouts, Tis, TisError,
};
use tpm2_wire::{
    AlgId, Capability, CapabilityData, CommandCode, Digest, Handle, MaxBuffer, Property, Response,
    ResponseCode, Unmarshal,
};

fn qemu() -> QemuTpm {
    QemuTpm::start(Device::Tis).unwrap_or_else(|e| panic!("{e}"))
}

fn driver(bus: &mut QemuTpm, config: Config) -> Tis<&mut QemuTpm, CountingDelay> {
    Tis::new(bus, CountingDelay::default(), config).unwrap()
}

#[test]
fn probe_reads_qemu_identification_registers() {
    let mut bus = qemu();
    let probe = tpm2_tis::probe(&mut bus).unwrap();
    assert_eq!(probe.interface, Interface::Fifo);
    assert_eq!(probe.interface_id.0, 0x0000_2100);
    assert_eq!(
        (probe.vendor_id, probe.device_id, probe.revision),
        (0x1014, 0x0001, 0x01)
    );
    assert_eq!(
        probe
            .capability
            .map(tpm2_tis::IntfCapability::interface_version),
        Some(3)
    );
    assert_eq!(probe.family_hint, Some(tpm2_tis::Family::Tpm20));
    assert!(probe.interface_id.five_localities() && probe.interface_id.cap_fifo());
}

#[test]
fn startup_get_random_and_get_capability_round_trips() {
    let mut bus = qemu();
    let mut tis = driver(&mut bus, Config::default());
    assert_eq!(startup(&mut tis), ResponseCode::SUCCESS);
    assert_eq!(
        startup(&mut tis),
        ResponseCode::INITIALIZE,
        "second Startup is refused"
    );

    assert_eq!(get_random(&mut tis, 32).len(), 32);

    let mut buf = [0u8; 4096];
    let rsp = round_trip(&mut tis, &mut buf, CommandCode::GET_CAPABILITY, |c| {
        c.param(&Capability::TPM_PROPERTIES);
        c.param(&Property::MANUFACTURER);
        c.param(&1u32);
    });
    let rsp = Response::parse(&rsp, 0).unwrap();
    let mut params = rsp.parameters();
    let _more = params.bool();
    let CapabilityData::Properties(props) = CapabilityData::unmarshal(&mut params).unwrap() else {
        panic!("not properties");
    };
    params.finish().unwrap();
    let first = props.iter().next().unwrap();
    assert_eq!(first.property, Property::MANUFACTURER);
    assert_eq!(&first.value.to_be_bytes(), b"IBM\0", "swtpm reports IBM");
}

#[test]
fn a_1k_command_in_64_byte_bursts_arrives_intact() {
    let mut bus = qemu();
    let config = Config {
        max_burst: 64,
        ..Config::default()
    };
    let mut tis = driver(&mut bus, config);
    startup(&mut tis);
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut buf = [0u8; 4096];
    let rsp = round_trip(&mut tis, &mut buf, CommandCode::HASH, |c| {
        c.param(&MaxBuffer::new(&data).unwrap());
        c.param(&AlgId::SHA256);
        c.param(&Handle::OWNER);
    });
    assert!(rsp.len() > 40);
    let rsp = Response::parse(&rsp, 0).unwrap();
    assert!(rsp.code().is_success(), "{}", rsp.code());
    let digest = Digest::unmarshal(&mut rsp.parameters()).unwrap();
    assert_eq!(
        digest.as_bytes(),
        Sha256::digest(&data).as_slice(),
        "the TPM hashed all 1024 bytes"
    );
}

#[test]
fn a_command_waits_for_another_locality_then_gets_through() {
    let mut bus = qemu();
    // Locality 1 takes the TPM with raw register writes, as another agent would.
    let l1 = Locality::new(1).unwrap().reg(ACCESS);
    bus.write8(l1, access::REQUEST_USE).unwrap();
    assert_eq!(
        bus.read8(l1).unwrap() & access::ACTIVE_LOCALITY,
        access::ACTIVE_LOCALITY
    );

    let fast = Timeouts {
        a_us: 50_000,
        ..Timeouts::PTP
    };
    let config = Config {
        timeouts: fast,
        ..Config::default()
    };
    let err = Tis::new(&mut bus, CountingDelay::default(), config).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some(TisError::<()>::LocalityNotGranted { locality: 0 }.to_string())
    );
    let l0 = Locality::ZERO.reg(ACCESS);
    assert_eq!(
        bus.read8(l0).unwrap() & access::REQUEST_USE,
        0,
        "the pending request was withdrawn"
    );

    // Locality 1 lets go; locality 0 now works, and releases the TPM afterwards.
    bus.write8(l1, access::ACTIVE_LOCALITY).unwrap();
    let mut tis = driver(&mut bus, config);
    assert_eq!(startup(&mut tis), ResponseCode::SUCCESS);
    let _ = tis.into_parts();
    assert_eq!(
        bus.read8(l0).unwrap() & access::ACTIVE_LOCALITY,
        0,
        "locality 0 released"
    );
}

#[test]
fn two_localities_take_turns() {
    let mut bus = qemu();
    let mut tis = driver(&mut bus, Config::default());
    startup(&mut tis);
    for l in [2u8, 0, 3, 0] {
        tis.set_locality(Locality::new(l).unwrap());
        let mut buf = [0u8; 64];
        let rsp = round_trip(&mut tis, &mut buf, CommandCode::GET_RANDOM, |c| {
            c.param(&8u16);
        });
        assert!(
            Response::parse(&rsp, 0).unwrap().code().is_success(),
            "locality {l}"
        );
    }
}

#[test]
fn tpm12_behind_tis_is_refused() {
    let mut bus = QemuTpm::start_tpm12(Device::Tis).unwrap_or_else(|e| panic!("{e}"));
    let probe = tpm2_tis::probe(&mut bus).unwrap();
    assert_eq!(
        probe.interface,
        Interface::Tis13,
        "QEMU reports INTERFACE_ID all-ones for 1.2"
    );
    let err = Tis::new(&mut bus, CountingDelay::default(), Config::default()).err();
    assert!(matches!(err, Some(TisError::Tpm12)), "{err:?}");
    let l0 = Locality::ZERO.reg(ACCESS);
    assert_eq!(
        bus.read8(l0).unwrap() & access::ACTIVE_LOCALITY,
        0,
        "locality released"
    );
}

/// The FIFO round trip besides the locality: commandReady seen in the first STS read (whose
/// burstCount takes the whole command), one stsValid after it (Expect clear), tpmGo, the
/// completion STS (whose burstCount takes the whole response), the final STS, commandReady.
const FIFO_EXCHANGE: &[&str] = &[
    "STS commandReady",
    "STS Expect clear",
    "STS tpmGo",
    "STS dataAvail",
    "STS dataAvail clear",
    "STS commandReady",
];

/// With the locality requested, granted and given back.
const FIFO_RELEASED: Minimum = Minimum {
    interface: "FIFO, locality given back",
    data: fifo_data,
    locality: &["ACCESS requestUse", "ACCESS granted", "ACCESS release"],
    exchange: FIFO_EXCHANGE,
};

/// With the locality held between commands (as firmware that ran first leaves it): one
/// ACCESS read checks it.
const FIFO_HELD: Minimum = Minimum {
    interface: "FIFO, locality held",
    data: fifo_data,
    locality: &["ACCESS still active"],
    exchange: FIFO_EXCHANGE,
};

/// Register accesses of the EK CreatePrimary round trip (355 bytes out, the RSA EK back),
/// not counting the STS polls that wait for key generation (one per pause): exactly the
/// FIFO minimum, with the locality given back and with it held.
#[test]
fn ek_create_primary_bus_accesses_are_the_fifo_minimum() {
    let mut bus = qemu();
    let mut tis = driver(&mut bus, Config::default());
    startup(&mut tis);
    let (bus_ref, _) = tis.into_parts();
    let before = bus_ref.counts();
    let mut tis = Tis::new(&mut *bus_ref, CountingDelay::default(), Config::default()).unwrap();
    let probe_accesses = tis.bus_mut().counts().total() - before.total();
    println!("Tis::new probe: {probe_accesses} accesses");
    assert!(
        !tis.holds_locality(),
        "no firmware ran: the locality is given back"
    );
    ek_round_trip_accesses(
        tis,
        |t| t.bus_mut().counts(),
        |t| t.into_parts().1.pauses,
        &FIFO_RELEASED,
    );
    let keep = Config {
        locality_policy: LocalityPolicy::Keep,
        ..Config::default()
    };
    let tis = Tis::new(&mut *bus_ref, CountingDelay::default(), keep).unwrap();
    ek_round_trip_accesses(
        tis,
        |t| t.bus_mut().counts(),
        |t| t.into_parts().1.pauses,
        &FIFO_HELD,
    );
}
