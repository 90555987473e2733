//! `tpm2_crb::Device`, the transport that drives whichever interface the probe finds, over
//! the fault-injecting register models: it picks the driver from the window, builds it in
//! the caller's slot, and leaves nothing half-open when the driver fails to open.

use tpm2_crb::{CrbError, Device, DeviceError};
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::fault_crb::{CrbFault, FaultCrb};
use tpm2_tests::fault_tis::{FaultTis, TisFault};
use tpm2_tests::frames::round_trip;
use tpm2_tests::tap::Tap;
use tpm2_tis::{Interface, RegisterAccess, TisError};
use tpm2_wire::CommandCode;

/// `Device::open_in` with both drivers' default configurations.
fn open_in<B: RegisterAccess>(
    slot: &mut Option<Device<B, VirtualClock>>,
    bus: B,
) -> Result<&mut Device<B, VirtualClock>, DeviceError<B::Error>> {
    let (fifo, crb) = (tpm2_tis::Config::default(), tpm2_crb::Config::default());
    Device::open_in(slot, bus, VirtualClock::default(), fifo, crb)
}

fn get_random(device: &mut Device<impl RegisterAccess, VirtualClock>) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    round_trip(device, &mut buf, CommandCode::GET_RANDOM, |c| {
        c.param(&16u16);
    })
}

#[test]
fn open_in_drives_the_crb_driver_for_a_crb_window_and_the_fifo_driver_for_a_fifo_one() {
    let mut crb = FaultCrb::new(CrbFault::None);
    let mut slot = None;
    let device = open_in(&mut slot, &mut crb).expect("opens");
    assert!(matches!(device, Device::Crb(_)));
    assert_eq!(device.probe().interface, Interface::Crb);
    let answer = get_random(device);
    assert!(slot.is_some(), "the device stays in the slot");
    assert_eq!(answer, crb.response);

    let mut fifo = FaultTis::new(TisFault::None);
    let mut slot = None;
    let device = open_in(&mut slot, &mut fifo).expect("opens");
    assert!(matches!(device, Device::Fifo(_)));
    assert_ne!(device.probe().interface, Interface::Crb);
    let answer = get_random(device);
    assert_eq!(answer, fifo.response);
}

#[test]
fn open_in_empties_the_slot_and_reports_the_drivers_error_when_opening_fails() {
    let mut crb = FaultCrb::new(CrbFault::CmdReadyNeverAcknowledged);
    let mut slot = None;
    let opened = open_in(&mut slot, &mut crb);
    assert_eq!(
        opened.map(drop),
        Err(DeviceError::Crb(CrbError::Timeout(
            tpm2_crb::Wait::CmdReady
        )))
    );
    assert!(slot.is_none(), "a CRB driver that failed to open was kept");
    assert!(crb.released());

    let mut fifo = FaultTis::new(TisFault::LocalityNeverGranted);
    // A device left in the slot by an earlier call goes too.
    let mut spare = FaultTis::new(TisFault::None);
    let mut slot = Some(
        Device::open(
            &mut spare,
            VirtualClock::default(),
            tpm2_tis::Config::default(),
            tpm2_crb::Config::default(),
        )
        .expect("opens"),
    );
    let opened = open_in(&mut slot, &mut fifo);
    assert_eq!(
        opened.map(drop),
        Err(DeviceError::Fifo(TisError::LocalityNotGranted {
            locality: 0
        }))
    );
    assert!(slot.is_none(), "a FIFO driver that failed to open was kept");
    assert!(fifo.released(0));
}

#[test]
fn open_in_probes_the_window_once_for_either_driver() {
    let mut crb = FaultCrb::new(CrbFault::None);
    let mut fifo = FaultTis::new(TisFault::None);
    let buses: [&mut dyn RegisterAccess<Error = _>; 2] = [&mut crb, &mut fifo];
    for bus in buses {
        let mut tap = Tap::new(bus);
        let mut slot = None;
        open_in(&mut slot, &mut tap).expect("opens");
        let probes = tap
            .log
            .iter()
            .filter(|a| !a.write && a.offset == tpm2_tis::regs::INTERFACE_ID);
        assert_eq!(probes.count(), 1, "INTERFACE_ID read once");
    }
}

#[test]
fn open_returns_the_same_device_by_value() {
    let mut crb = FaultCrb::new(CrbFault::None);
    let mut device = Device::open(
        &mut crb,
        VirtualClock::default(),
        tpm2_tis::Config::default(),
        tpm2_crb::Config::default(),
    )
    .expect("opens");
    assert!(matches!(device, Device::Crb(_)));
    assert_eq!(get_random(&mut device), crb.response);
}
