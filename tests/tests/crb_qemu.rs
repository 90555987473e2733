//! The CRB driver against QEMU's tpm-crb device model backed by swtpm.

use tpm2_crb::{Config, Crb, CrbError};
use tpm2_tests::delay::CountingDelay;
use tpm2_tests::frames::{get_random, round_trip, startup};
use tpm2_tests::qemu::{Device, Minimum, QemuTpm, buffer_data, ek_round_trip_accesses};
use tpm2_tis::{Interface, LocalityPolicy, RegisterAccess, Tis, TisError};
use tpm2_wire::{
    Capability, CapabilityData, CommandCode, Property, Response, ResponseCode, Transport, Unmarshal,
};

fn qemu() -> QemuTpm {
    QemuTpm::start(Device::Crb).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn detection_picks_crb_for_tpm_crb_and_the_layout_is_qemus() {
    let mut bus = qemu();
    let probe = tpm2_tis::probe(&mut bus).unwrap();
    assert_eq!(probe.interface, Interface::Crb);
    assert_eq!(probe.interface_id.0, 0x0002_5811);
    assert_eq!(probe.vendor_id, 0x1014);
    let tis = Tis::new(
        &mut bus,
        CountingDelay::default(),
        tpm2_tis::Config::default(),
    );
    assert!(matches!(tis.err(), Some(TisError::NotFifo)));
    let crb = Crb::new(&mut bus, CountingDelay::default(), Config::default()).unwrap();
    let layout = crb.layout();
    assert_eq!((layout.cmd_offset, layout.cmd_size), (0x80, 0xF80));
    assert_eq!(
        (layout.rsp_offset, layout.rsp_size),
        (0x80, 0xF80),
        "one shared buffer"
    );
}

#[test]
fn startup_get_random_and_get_capability_round_trips() {
    let mut bus = qemu();
    let mut crb = Crb::new(&mut bus, CountingDelay::default(), Config::default()).unwrap();
    assert_eq!(startup(&mut crb), ResponseCode::SUCCESS);
    assert_eq!(get_random(&mut crb, 32).len(), 32);
    let mut buf = [0u8; 4096];
    let rsp = round_trip(&mut crb, &mut buf, CommandCode::GET_CAPABILITY, |c| {
        c.param(&Capability::TPM_PROPERTIES);
        c.param(&Property::FAMILY_INDICATOR);
        c.param(&8u32);
    });
    let rsp = Response::parse(&rsp, 0).unwrap();
    let mut params = rsp.parameters();
    params.bool();
    let CapabilityData::Properties(props) = CapabilityData::unmarshal(&mut params).unwrap() else {
        panic!("not properties");
    };
    let family = props.iter().next().unwrap();
    assert_eq!(family.property, Property::FAMILY_INDICATOR);
    assert_eq!(&family.value.to_be_bytes(), b"2.0\0");
}

#[test]
fn a_command_at_the_3968_byte_limit_goes_through_and_one_more_byte_is_refused_unsent() {
    let mut bus = qemu();
    let mut crb = Crb::new(&mut bus, CountingDelay::default(), Config::default()).unwrap();
    startup(&mut crb);
    // A GetRandom padded to the whole buffer: the TPM reads all 3968 bytes and refuses the
    // trailing ones with a response code, which proves the copy reached it.
    let mut buf = [0u8; 4096];
    let mut frame = vec![0x80, 0x01, 0, 0, 0x0F, 0x80, 0, 0, 0x01, 0x7B, 0, 8];
    frame.resize(3968, 0xA5);
    buf[..frame.len()].copy_from_slice(&frame);
    let rsp = crb.transact(&mut buf, 3968).unwrap();
    let code = Response::parse(rsp, 0).unwrap().code();
    assert!(!code.is_success(), "the TPM saw the trailing bytes: {code}");

    let writes_before = crb.bus_mut().counts().writes;
    let reads_before = crb.bus_mut().counts().reads;
    frame.push(0);
    frame[4..6].copy_from_slice(&3969u16.to_be_bytes());
    buf[..frame.len()].copy_from_slice(&frame);
    let err = crb.transact(&mut buf, 3969).err();
    assert!(
        matches!(
            err,
            Some(CrbError::CommandTooLarge {
                len: 3969,
                max: 3968
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        crb.bus_mut().counts().writes,
        writes_before,
        "no register written"
    );
    assert_eq!(
        crb.bus_mut().counts().reads,
        reads_before,
        "no register read either"
    );
    assert_eq!(
        startup(&mut crb),
        ResponseCode::INITIALIZE,
        "the TPM still answers"
    );
}

#[test]
fn tpm12_behind_crb_is_refused() {
    let mut bus = QemuTpm::start_tpm12(Device::Crb).unwrap_or_else(|e| panic!("{e}"));
    let mut crb = Crb::new(&mut bus, CountingDelay::default(), Config::default()).unwrap();
    let mut buf = [0u8; 64];
    let mut cmd = tpm2_wire::CommandWriter::new(&mut buf, CommandCode::STARTUP);
    cmd.param(&tpm2_wire::StartupType::CLEAR);
    let len = cmd.finish().unwrap();
    let err = crb.transact(&mut buf, len).err();
    assert!(
        matches!(err, Some(CrbError::Tpm12)),
        "the TPM 1.2 response tag is refused: {err:?}"
    );
}

/// The CRB round trip besides the locality: cmdReady, its acknowledgement and tpmIdle
/// cleared (EDK2's check), START and its clearing, CTRL_STS not fatal (Linux's check),
/// goIdle.
const CRB_EXCHANGE: &[&str] = &[
    "CTRL_REQ cmdReady",
    "CTRL_REQ acknowledged",
    "CTRL_STS not idle",
    "CTRL_START",
    "CTRL_START cleared",
    "CTRL_STS not fatal",
    "CTRL_REQ goIdle",
];

/// With locality 0 requested, granted and relinquished.
const CRB_RELEASED: Minimum = Minimum {
    interface: "CRB, locality relinquished",
    data: buffer_data,
    locality: &[
        "LOC_CTRL requestAccess",
        "LOC_STS granted",
        "LOC_CTRL relinquish",
    ],
    exchange: CRB_EXCHANGE,
};

/// With the locality held (as firmware that ran first leaves it): one LOC_STS read checks
/// it.
const CRB_HELD: Minimum = Minimum {
    interface: "CRB, locality held",
    data: buffer_data,
    locality: &["LOC_STS granted"],
    exchange: CRB_EXCHANGE,
};

/// Register accesses of the EK CreatePrimary round trip (355 bytes out, the RSA EK back),
/// not counting the completion polls that wait for key generation (one per pause): exactly
/// the CRB minimum, with the locality relinquished and with it held.
#[test]
fn ek_create_primary_bus_accesses_are_the_crb_minimum() {
    let mut bus = qemu();
    let mut crb = Crb::new(&mut bus, CountingDelay::default(), Config::default()).unwrap();
    assert_eq!(startup(&mut crb), ResponseCode::SUCCESS);
    // A driver whose delay counts the pauses of this round trip alone.
    let (bus, _) = crb.into_parts();
    let crb = Crb::new(&mut *bus, CountingDelay::default(), Config::default()).unwrap();
    assert!(
        !crb.holds_locality(),
        "no firmware ran: the locality is relinquished"
    );
    ek_round_trip_accesses(
        crb,
        |c| c.bus_mut().counts(),
        |c| c.into_parts().1.pauses,
        &CRB_RELEASED,
    );
    let keep = Config {
        locality_policy: LocalityPolicy::Keep,
        ..Config::default()
    };
    let crb = Crb::new(&mut *bus, CountingDelay::default(), keep).unwrap();
    ek_round_trip_accesses(
        crb,
        |c| c.bus_mut().counts(),
        |c| c.into_parts().1.pauses,
        &CRB_HELD,
    );
}

/// The CRB buffer is memory the host can read after the driver returns: a new owner
/// authValue in a HierarchyChangeAuth whose 19-byte response overwrote only the command's
/// start must not stay there.
#[test]
fn no_byte_of_a_command_outlives_it_in_the_crb_buffer() {
    let mut bus = qemu();
    let mut crb = Crb::new(&mut bus, CountingDelay::default(), Config::default()).unwrap();
    assert_eq!(startup(&mut crb), ResponseCode::SUCCESS);
    let secret = b"owner-auth-that-must-not-stay";
    let change = |crb: &mut Crb<&mut QemuTpm, CountingDelay>, from: &[u8], to: &[u8]| {
        let mut buf = [0u8; 4096];
        let mut cmd = tpm2_wire::CommandWriter::new(&mut buf, CommandCode::HIERARCHY_CHANGE_AUTH);
        cmd.handle(tpm2_wire::Handle::OWNER);
        cmd.password(tpm2_wire::Auth::new(from).unwrap());
        cmd.param(&tpm2_wire::Auth::new(to).unwrap());
        let len = cmd.finish().unwrap();
        let rsp = crb.transact(&mut buf, len).unwrap();
        let code = Response::parse(rsp, 0).unwrap().code();
        (len, rsp.len(), code)
    };
    let (len, rsp_len, code) = change(&mut crb, b"", secret);
    assert_eq!(code, ResponseCode::SUCCESS);
    assert!(
        rsp_len < len - secret.len(),
        "the response ends before the new authValue"
    );
    let (bus, _) = crb.into_parts();
    let left: Vec<u8> = (0..len as u32)
        .map(|i| bus.read8(0x80 + i).unwrap())
        .collect();
    assert!(
        left[rsp_len..].iter().all(|&b| b == 0),
        "the command's bytes past the response are zero: {left:02x?}"
    );
    assert!(!left.windows(secret.len()).any(|w| w == secret));
    // The owner authValue back to empty, through the same path.
    let mut crb = Crb::new(bus, CountingDelay::default(), Config::default()).unwrap();
    assert_eq!(change(&mut crb, secret, b"").2, ResponseCode::SUCCESS);
}
