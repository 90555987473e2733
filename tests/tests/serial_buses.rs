//! The FIFO driver over the TPM SPI protocol and the TCG I2C interface, against device models
//! that forward every register access to QEMU's tpm-tis (so the FIFO behaviour comes from the
//! real device model): Startup, GetRandom and the EK CreatePrimary, wait states and bus
//! errors, NACKs and guard times, and the transactions per EK round trip against the
//! minimum for each bus.

use core::cell::RefCell;
use std::rc::Rc;

use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_cmds::{StartupOutcome, Tpm};
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::i2c_model::{I2cTpm, SharedClock};
use tpm2_tests::qemu::{Device, QemuTpm};
use tpm2_tests::spi_model::{SpiFault, SpiTpm, WaitStates};
use tpm2_tis::i2c::{I2c, I2cError};
use tpm2_tis::spi::{Spi, SpiError};
use tpm2_tis::{Config, Tis, TisError};
use tpm2_wire::{Auth, StartupType};

fn qemu() -> QemuTpm {
    QemuTpm::start(Device::Tis).unwrap_or_else(|e| panic!("{e}"))
}

type SpiModel = Rc<RefCell<SpiTpm<QemuTpm>>>;
type SpiBus =
    Spi<tpm2_tests::spi_model::SpiTpmBus<QemuTpm>, tpm2_tests::spi_model::SpiTpmCs<QemuTpm>>;
type SpiResult =
    Result<Tis<SpiBus, VirtualClock>, TisError<SpiError<SpiFault, core::convert::Infallible>>>;

fn spi_driver(waits: WaitStates) -> (SpiModel, SpiResult) {
    let (model, bus, cs) = SpiTpm::new(qemu());
    model.borrow_mut().wait_states = waits;
    let tis = Tis::new(
        Spi::new(bus, cs),
        VirtualClock::default(),
        Config::default(),
    );
    (model, tis)
}

/// Startup, GetRandom and the RSA EK through `tis`; the EK's Name.
fn flow<T: tpm2_wire::Transport>(transport: T) -> Vec<u8> {
    let mut tpm = Tpm::new(transport, VirtualClock::default());
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::Started
    );
    assert_eq!(tpm.get_random(16).unwrap().len(), 16);
    let ek = tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY).unwrap();
    let (handle, name) = (ek.handle, ek.name.as_bytes().to_vec());
    tpm.flush_context(handle).unwrap();
    name
}

/// The EK Name `tpm2_createek -G rsa` gives on the TPM state behind `window`.
fn tpm2_createek_name(window: QemuTpm) -> Vec<u8> {
    let state = window.into_state().unwrap();
    tpm2_tests::swtpm::SwtpmServer::tpm2_createek_name(state).unwrap_or_else(|e| panic!("{e}"))
}

/// The EK Name the same TPM gives over the MMIO path (qtest, no serial bus).
fn direct_ek_name(window: &mut QemuTpm) -> Vec<u8> {
    let tis = Tis::new(window, VirtualClock::default(), Config::default()).unwrap();
    let mut tpm = Tpm::new(tis, VirtualClock::default());
    let ek = tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY).unwrap();
    let (handle, name) = (ek.handle, ek.name.as_bytes().to_vec());
    tpm.flush_context(handle).unwrap();
    name
}

#[test]
fn spi_with_and_without_wait_states_runs_the_ek_flow() {
    for waits in [
        WaitStates::None,
        WaitStates::Polls(1),
        WaitStates::Polls(20),
    ] {
        let (model, tis) = spi_driver(waits);
        let name = flow(tis.unwrap());
        assert!(!model.borrow().selected, "chip select released");
        let direct = direct_ek_name(&mut model.borrow_mut().window);
        assert_eq!(
            name, direct,
            "{waits:?}: the same EK over SPI and over MMIO"
        );
        if waits == WaitStates::None {
            let model = Rc::try_unwrap(model).ok().unwrap().into_inner();
            assert_eq!(name, tpm2_createek_name(model.window), "tpm2_createek's EK");
        }
    }
}

#[test]
fn spi_wait_states_without_end_and_bus_errors_are_typed_and_release_chip_select() {
    let (model, tis) = spi_driver(WaitStates::Never);
    assert!(matches!(
        tis.err(),
        Some(TisError::Bus(SpiError::WaitStates { polls: 50 }))
    ));
    assert!(!model.borrow().selected);
    let (model, tis) = spi_driver(WaitStates::None);
    let mut tis = tis.unwrap();
    let frames = model.borrow().frames;
    model.borrow_mut().fail_after_frames = Some(frames + 3);
    let mut buf = [0u8; 64];
    buf[..12].copy_from_slice(&[0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8]);
    let err = tpm2_wire::Transport::transact(&mut tis, &mut buf, 12).unwrap_err();
    assert!(
        matches!(err, TisError::Bus(SpiError::Bus(SpiFault))),
        "{err:?}"
    );
    assert!(!model.borrow().selected);
}

fn i2c_driver(nacks: u32) -> Tis<I2c<I2cTpm<QemuTpm>, SharedClock>, VirtualClock> {
    let clock = SharedClock::default();
    let mut model = I2cTpm::new(qemu(), clock.clone());
    model.nack_next = nacks;
    let bus = I2c::new(model, clock, tpm2_tis::i2c::DEFAULT_ADDRESS);
    Tis::new(bus, VirtualClock::default(), Config::default()).unwrap()
}

#[test]
fn i2c_runs_the_ek_flow_within_guard_times_and_through_nacks() {
    for nacks in [0, 3] {
        let mut tis = i2c_driver(nacks);
        // STS.tpmFamily reads 00 on I2C: the family is decided by protocol.
        assert_eq!(
            tis.probe().family_source,
            Some(tpm2_tis::FamilySource::ResponseTag)
        );
        let name = flow(&mut tis);
        let (bus, _) = tis.into_parts();
        let (model, _) = bus.into_parts();
        assert_eq!(model.guard_violations, 0, "guard time kept");
        let mut window = model.window;
        assert_eq!(
            name,
            direct_ek_name(&mut window),
            "the same EK over I2C and MMIO"
        );
        if nacks == 0 {
            assert_eq!(name, tpm2_createek_name(window), "tpm2_createek's EK");
        }
    }
}

/// A TPM that needs more than the guard time it announces NACKs the messages that come
/// too early; the layer tries them again after 250 µs, and the flow completes.
#[test]
fn guard_time_violations_are_nacked_and_retried() {
    let clock = SharedClock::default();
    let mut model = I2cTpm::new(qemu(), clock.clone());
    model.extra_guard_us = 120;
    let bus = I2c::new(model, clock, tpm2_tis::i2c::DEFAULT_ADDRESS);
    let mut tis = Tis::new(bus, VirtualClock::default(), Config::default()).unwrap();
    flow(&mut tis);
    let (bus, _) = tis.into_parts();
    let (model, _) = bus.into_parts();
    assert!(model.guard_violations > 0, "violations were injected");
}

#[test]
fn endless_i2c_nacks_are_a_typed_error() {
    let clock = SharedClock::default();
    let mut model = I2cTpm::new(qemu(), clock.clone());
    model.nack_next = u32::MAX;
    let bus = I2c::new(model, clock, tpm2_tis::i2c::DEFAULT_ADDRESS);
    let err = Tis::new(bus, VirtualClock::default(), Config::default()).err();
    assert!(
        matches!(err, Some(TisError::Bus(I2cError::Nack { tries: 10 }))),
        "{err:?}"
    );
}

/// The 355-byte EK CreatePrimary, for counting bus transactions.
fn ek_command(buf: &mut [u8]) -> usize {
    use tpm2_wire::{AuthCommand, CommandCode, CommandWriter, Handle};
    let mut cmd = CommandWriter::new(buf, CommandCode::CREATE_PRIMARY);
    cmd.handle(Handle::ENDORSEMENT);
    cmd.sessions(&[AuthCommand::password(Auth::EMPTY)]);
    cmd.param(&tpm2_wire::Tpm2b(tpm2_wire::SensitiveCreate::default()));
    cmd.param(&tpm2_wire::Tpm2b(RSA_2048_TEMPLATE));
    cmd.param(&tpm2_wire::Data::EMPTY);
    cmd.param(&tpm2_wire::PcrSelectionList::empty());
    cmd.finish().unwrap()
}

#[test]
fn transactions_per_ek_round_trip_against_the_minimum() {
    let mut buf = [0u8; 4096];
    // SPI: one frame per register access, FIFO data in frames of up to 64 bytes. Reported
    // apart from the STS reads, whose number follows the TPM's execution time.
    let (model, tis) = spi_driver(WaitStates::None);
    let mut tis = tis.unwrap();
    Tpm::new(&mut tis, VirtualClock::default())
        .startup(StartupType::CLEAR)
        .unwrap();
    let len = ek_command(&mut buf) as u64;
    let (frames0, sts0) = (model.borrow().frames, model.borrow().sts_reads);
    let rsp = tpm2_wire::Transport::transact(&mut tis, &mut buf, len as usize)
        .unwrap()
        .len() as u64;
    let sts = u64::from(model.borrow().sts_reads - sts0);
    let spi = u64::from(model.borrow().frames - frames0) - sts;
    // Locality request (write, read), the command in 64-byte frames, tpmGo, the header, the
    // rest in 64-byte frames, commandReady, release.
    let spi_min = 2 + len.div_ceil(64) + 1 + 1 + (rsp - 10).div_ceil(64) + 1 + 1;
    // I2C: a register read is two messages, a write one; data in 32-byte messages (31 after
    // the register number on writes).
    let mut tis = i2c_driver(0);
    Tpm::new(&mut tis, VirtualClock::default())
        .startup(StartupType::CLEAR)
        .unwrap();
    let messages0 = tis.bus_mut().messages();
    let len = ek_command(&mut buf) as u64;
    let sts_before = sts_reads(&mut tis);
    tpm2_wire::Transport::transact(&mut tis, &mut buf, len as usize).unwrap();
    let i2c_sts = sts_reads(&mut tis) - sts_before;
    let i2c = u64::from(tis.bus_mut().messages() - messages0) - 2 * i2c_sts;
    let i2c_min = 1 + 2 + len.div_ceil(31) + 1 + 2 + 2 * (rsp - 10).div_ceil(32) + 1 + 1;
    println!(
        "EK CreatePrimary ({len} B out, {rsp} B back): SPI {spi} frames besides {sts} STS \
         reads (minimum {spi_min}); I2C {i2c} messages besides {i2c_sts} STS reads \
         (minimum {i2c_min})"
    );
    assert_eq!(spi, spi_min, "SPI frames at the minimum");
    // The TPM's burstCount can end a burst inside a 31-byte message: one more message.
    assert!(
        i2c <= i2c_min + 2,
        "I2C messages {i2c} vs the minimum {i2c_min}"
    );
}

/// The STS reads the I2C model has seen.
fn sts_reads(tis: &mut Tis<I2c<I2cTpm<QemuTpm>, SharedClock>, VirtualClock>) -> u64 {
    u64::from(tis.bus_mut().bus_mut().sts_reads)
}

/// A part that never inserts wait states, behind an `SpiDevice` (chip select handled by the
/// device): each frame one transaction. A wait state there is a typed error.
#[test]
fn spi_device_without_wait_states_runs_the_flow_and_refuses_a_wait_state() {
    use embedded_hal_bus::spi::ExclusiveDevice;
    use tpm2_tis::spi::SpiNoWait;
    let (model, bus, cs) = SpiTpm::new(qemu());
    let device = ExclusiveDevice::new(bus, cs, VirtualClock::default()).unwrap();
    let tis = Tis::new(
        SpiNoWait::new(device),
        VirtualClock::default(),
        Config::default(),
    );
    let name = flow(tis.unwrap());
    assert!(!model.borrow().selected);
    assert_eq!(name, direct_ek_name(&mut model.borrow_mut().window));

    let (model, bus, cs) = SpiTpm::new(qemu());
    model.borrow_mut().wait_states = WaitStates::Polls(1);
    let device = ExclusiveDevice::new(bus, cs, VirtualClock::default()).unwrap();
    let err = Tis::new(
        SpiNoWait::new(device),
        VirtualClock::default(),
        Config::default(),
    )
    .err();
    assert!(
        matches!(err, Some(TisError::Bus(SpiError::WaitStateNotSupported))),
        "{err:?}"
    );
    assert!(!model.borrow().selected);
}
