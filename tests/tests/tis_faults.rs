//! The FIFO driver against the fault-injecting register model: every fault ends in its typed
//! error within its deadline (exactly, on a virtual clock), with the TPM idle and the
//! locality released; tpmGo is never written after a failed transfer.

use core::convert::Infallible;

use tpm2_tests::delay::VirtualClock;
use tpm2_tests::fault_tis::{FaultTis, TisFault};
use tpm2_tis::{Config, FamilySource, Interface, LocalityPolicy, Tis, TisError, Wait};
use tpm2_wire::{CommandCode, CommandWriter, WireError};

const A: u64 = 750_000;
const C: u64 = 200_000;
const GET_RANDOM_DURATION: u64 = 2_000_000;

struct Row {
    fault: TisFault,
    /// Replaces the model's canned response.
    response: Option<Vec<u8>>,
    expected: Result<(), TisError<Infallible>>,
    /// Virtual microseconds the driver may wait, exactly.
    waited_us: u64,
    /// Whether tpmGo may have been written.
    go: bool,
    /// Whether the driver can leave the TPM idle: not after a seizure, when the TPM belongs
    /// to the seizing locality.
    idle: bool,
}

fn row(
    fault: TisFault,
    expected: Result<(), TisError<Infallible>>,
    waited_us: u64,
    go: bool,
) -> Row {
    Row {
        fault,
        response: None,
        expected,
        waited_us,
        go,
        idle: true,
    }
}

fn header(tag: u16, size: u32) -> Vec<u8> {
    let mut h = tag.to_be_bytes().to_vec();
    h.extend_from_slice(&size.to_be_bytes());
    h.extend_from_slice(&[0; 4]);
    h
}

fn run(
    row: &Row,
) -> (
    Result<(), TisError<Infallible>>,
    FaultTis,
    VirtualClock,
    Option<Interface>,
) {
    let mut model = FaultTis::new(row.fault);
    if let Some(r) = &row.response {
        model.response.clone_from(r);
    }
    let mut clock = VirtualClock::default();
    let mut interface = None;
    let result = (|| {
        let mut tis = Tis::new(&mut model, &mut clock, Config::default())?;
        interface = Some(tis.probe().interface);
        let mut buf = [0u8; 4096];
        let mut cmd = CommandWriter::new(&mut buf, CommandCode::GET_RANDOM);
        cmd.param(&16u16);
        let len = cmd.finish().unwrap();
        tpm2_wire::Transport::transact(&mut tis, &mut buf, len).map(drop)
    })();
    (result, model, clock, interface)
}

fn rows() -> Vec<Row> {
    use TisError::*;
    vec![
        row(TisFault::None, Ok(()), 0, true),
        row(TisFault::NoTpm, Err(NoTpm), 0, false),
        row(TisFault::StsAllOnes, Err(InvalidStatus(u32::MAX)), 0, false),
        row(
            TisFault::LocalityNeverGranted,
            Err(LocalityNotGranted { locality: 0 }),
            A,
            false,
        ),
        Row {
            idle: false,
            ..row(
                TisFault::SeizedAtGo,
                Err(LocalitySeized { locality: 0 }),
                0,
                true,
            )
        },
        row(
            TisFault::BurstCountStuckZero,
            Err(Timeout(Wait::BurstCount)),
            A,
            false,
        ),
        row(TisFault::BurstCountHuge, Ok(()), 0, true),
        row(
            TisFault::ExpectNeverClears,
            Err(ExpectMismatch {
                expected: false,
                sent: 12,
            }),
            0,
            false,
        ),
        row(
            TisFault::ExpectZeroTooEarly,
            Err(ExpectMismatch {
                expected: true,
                sent: 8,
            }),
            0,
            false,
        ),
        row(
            TisFault::DataAvailNeverSet,
            Err(Timeout(Wait::CommandCompletion)),
            GET_RANDOM_DURATION,
            true,
        ),
        row(TisFault::DataAvailStuck, Err(ResponseTransfer), 0, true),
        row(TisFault::InterfaceType0xF, Ok(()), 0, true),
        // The family probe's GetCapability is answered with tag 0x00C4.
        row(TisFault::Family12, Err(Tpm12), 0, true),
        // Family bits 00 on a TIS 1.3 part: the probe's response tag says TPM 2.0.
        row(TisFault::Tis13Family00, Ok(()), 0, true),
        // stsValid late beyond TIMEOUT_C once: the whole command is sent again.
        row(TisFault::StsValidLateOnce, Ok(()), C, true),
        Row {
            response: Some(header(0x8001, 5000)),
            ..row(
                TisFault::None,
                Err(ResponseTooLarge {
                    size: 5000,
                    capacity: 4096,
                }),
                0,
                true,
            )
        },
        Row {
            response: Some(header(0x8001, 4)),
            ..row(
                TisFault::None,
                Err(BadResponse(WireError::FrameTooShort { size: 4 })),
                0,
                true,
            )
        },
        Row {
            response: Some(header(0x00C4, 10)),
            ..row(TisFault::None, Err(Tpm12), 0, true)
        },
        Row {
            response: Some(header(0x1234, 10)),
            ..row(
                TisFault::None,
                Err(BadResponse(WireError::BadTag {
                    offset: 0,
                    tag: 0x1234,
                })),
                0,
                true,
            )
        },
    ]
}

#[test]
fn fault_matrix_for_the_fifo_driver() {
    let rows = rows();
    let mut failures = Vec::new();
    println!(
        "{:<22} {:<48} {:>10} {:>6} {:>8}",
        "fault", "result", "waited us", "idle", "released"
    );
    for r in &rows {
        let (result, model, clock, _) = run(r);
        let waited_us = clock.now_ns / 1000;
        let ok = result == r.expected
            && waited_us == r.waited_us
            && model.is_idle() == r.idle
            && model.released(0)
            && (r.go || model.go_count == 0);
        println!(
            "{:<22} {:<48} {:>10} {:>6} {:>8} {}",
            format!("{:?}", r.fault),
            format!("{result:?}"),
            waited_us,
            model.is_idle(),
            model.released(0),
            if ok { "pass" } else { "FAIL" }
        );
        if !ok {
            failures.push(format!(
                "{:?}: got {result:?} after {waited_us} us (go {}), want {:?} after {} us",
                r.fault, model.go_count, r.expected, r.waited_us
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn interface_type_0xf_is_driven_as_a_fifo_and_says_so() {
    let (result, model, _, interface) = run(&row(TisFault::InterfaceType0xF, Ok(()), 0, true));
    assert_eq!(result, Ok(()));
    assert_eq!(interface, Some(Interface::Tis13));
    assert_eq!(model.commands.len(), 1);
}

#[test]
fn expect_errors_resend_the_whole_command_then_give_up_without_go() {
    let (_, model, _, _) = run(&row(TisFault::ExpectNeverClears, Ok(()), 0, false));
    assert_eq!(model.go_count, 0);
    let (_, model, _, _) = run(&row(TisFault::DataAvailStuck, Ok(()), 0, true));
    assert_eq!(model.retry_count, 3, "responseRetry used up");
    let (_, model, _, _) = run(&row(TisFault::DataAvailNeverSet, Ok(()), 0, true));
    assert_eq!(
        model.cancel_count, 1,
        "the command was cancelled at its deadline"
    );
}

fn frame(code: u32, body: &[u8]) -> Vec<u8> {
    let size = u32::try_from(10 + body.len()).unwrap();
    [
        &0x8001u16.to_be_bytes()[..],
        &size.to_be_bytes(),
        &code.to_be_bytes(),
        body,
    ]
    .concat()
}

/// Rows through the whole stack (`tpm2-cmds` over the FIFO driver over the model): the
/// retry policy's bounds on the same virtual clock.
#[test]
fn full_stack_rows_retry_forever_and_testing_then_success() {
    use tpm2_cmds::{Failure, Tpm};

    let mut model = FaultTis::new(TisFault::None);
    model.response = frame(0x922, &[]);
    let (mut bus_clock, mut retry_clock) = (VirtualClock::default(), VirtualClock::default());
    let tis = Tis::new(&mut model, &mut bus_clock, Config::default()).unwrap();
    let mut tpm = Tpm::new(tis, &mut retry_clock);
    let err = tpm.get_random(16).unwrap_err();
    let _ = tpm.into_parts();
    let waited_ms = retry_clock.now_ns / 1_000_000;
    println!(
        "TPM_RC_RETRY forever      {err:?} after {waited_ms} ms, {} sends",
        model.commands.len()
    );
    assert!(err.is(Failure::RetriesExhausted), "{err:?}");
    assert_eq!(waited_ms, 20 + 40 + 80 + 160 + 320 + 640 + 1280);
    assert_eq!(model.commands.len(), 8);
    assert!(model.is_idle() && model.released(0));

    let mut model = FaultTis::new(TisFault::None);
    model.script.extend([frame(0x90A, &[]), frame(0x90A, &[])]);
    model.response = frame(0, &[&[0, 16][..], &[0xA5; 16]].concat());
    let (mut bus_clock, mut retry_clock) = (VirtualClock::default(), VirtualClock::default());
    let tis = Tis::new(&mut model, &mut bus_clock, Config::default()).unwrap();
    let mut tpm = Tpm::new(tis, &mut retry_clock);
    let random = tpm.get_random(16).map(|r| r.as_bytes().to_vec());
    let _ = tpm.into_parts();
    let waited_ms = retry_clock.now_ns / 1_000_000;
    println!(
        "TPM_RC_TESTING then ok    {random:?} after {waited_ms} ms, {} sends",
        model.commands.len()
    );
    assert_eq!(random.unwrap(), [0xA5; 16]);
    assert_eq!(waited_ms, 20 + 40);
    assert_eq!(model.commands.len(), 3);
    assert!(model.is_idle() && model.released(0));
}

#[test]
fn the_family_is_decided_by_protocol_where_sts_family_reads_00() {
    let (result, model, _, _) = run(&row(TisFault::Tis13Family00, Ok(()), 0, true));
    assert_eq!(result, Ok(()));
    // The probe command, then the test's GetRandom.
    assert_eq!(model.commands.len(), 2);
    assert_eq!(&model.commands[0][6..10], &0x17Au32.to_be_bytes());
    let mut model = FaultTis::new(TisFault::Tis13Family00);
    let tis = Tis::new(&mut model, VirtualClock::default(), Config::default()).unwrap();
    assert_eq!(tis.probe().interface, Interface::Tis13);
    assert_eq!(tis.probe().family_source, Some(FamilySource::ResponseTag));
    let mut model = FaultTis::new(TisFault::None);
    let tis = Tis::new(&mut model, VirtualClock::default(), Config::default()).unwrap();
    assert_eq!(tis.probe().family_source, Some(FamilySource::StsFamily));
}

#[test]
fn a_late_sts_valid_resends_the_command_a_bounded_number_of_times() {
    let (_, model, clock, _) = run(&row(TisFault::StsValidLateOnce, Ok(()), C, true));
    assert_eq!(model.go_count, 1, "tpmGo once, after the resent command");
    assert_eq!(clock.now_ns / 1000, C);
    // With no resends allowed the quirk is a typed timeout, not a hang.
    let mut model = FaultTis::new(TisFault::StsValidLateOnce);
    let mut clock = VirtualClock::default();
    let config = Config {
        retries: 0,
        ..Config::default()
    };
    let mut tis = Tis::new(&mut model, &mut clock, config).unwrap();
    let mut buf = [0u8; 64];
    let len = get_random(&mut buf);
    let err = tpm2_wire::Transport::transact(&mut tis, &mut buf, len).err();
    assert_eq!(err, Some(TisError::Timeout(Wait::StsValid)));
    assert_eq!(model.go_count, 0);
    assert!(model.is_idle() && model.released(0));
}

#[test]
fn a_locality_firmware_left_active_stays_active_unless_release_is_asked() {
    for (policy, active_after) in [
        (LocalityPolicy::AsFound, true),
        (LocalityPolicy::Release, false),
        (LocalityPolicy::Keep, true),
    ] {
        let mut model = FaultTis::new(TisFault::None);
        model.grant(0);
        let config = Config {
            locality_policy: policy,
            ..Config::default()
        };
        let mut tis = Tis::new(&mut model, VirtualClock::default(), config).unwrap();
        assert_eq!(tis.bus_mut().holds(0), active_after, "{policy:?} after new");
        let mut buf = [0u8; 64];
        let len = get_random(&mut buf);
        tpm2_wire::Transport::transact(&mut tis, &mut buf, len).unwrap();
        assert_eq!(
            tis.bus_mut().holds(0),
            active_after,
            "{policy:?} after a command"
        );
        assert!(tis.bus_mut().is_idle(), "{policy:?}: idle after a command");
        tis.release_locality().unwrap();
        assert!(tis.bus_mut().released(0), "{policy:?}: released on request");
        let len = get_random(&mut buf);
        tpm2_wire::Transport::transact(&mut tis, &mut buf, len).unwrap();
        assert!(
            tis.bus_mut().released(0),
            "{policy:?}: stays released after"
        );
    }
}

fn get_random(buf: &mut [u8]) -> usize {
    let mut cmd = CommandWriter::new(buf, CommandCode::GET_RANDOM);
    cmd.param(&16u16);
    cmd.finish().unwrap()
}

/// The TPM stops expecting bytes where the header's commandSize says, and the driver checks
/// Expect only at burst ends: a command whose size field is not its length would be cut
/// short or left hanging, so it is refused before a byte reaches the FIFO.
#[test]
fn a_command_whose_size_field_is_not_its_length_is_refused_unsent() {
    for (size_field, len) in [(12u32, 14usize), (14, 12), (0, 12)] {
        let mut model = FaultTis::new(TisFault::None);
        let mut tis = Tis::new(&mut model, VirtualClock::default(), Config::default()).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(get_random(&mut buf), 12);
        buf[2..6].copy_from_slice(&size_field.to_be_bytes());
        let err = tpm2_wire::Transport::transact(&mut tis, &mut buf, len).err();
        assert_eq!(
            err,
            Some(TisError::BadCommand { len }),
            "size {size_field}, {len} bytes"
        );
        let _ = tis.into_parts();
        assert!(
            model.commands.is_empty() && model.go_count == 0,
            "nothing sent"
        );
        assert!(
            model.is_idle() && model.released(0),
            "TPM idle, locality given back"
        );
    }
}

#[test]
fn new_in_builds_the_driver_in_the_slot_and_empties_it_when_opening_fails() {
    // Opening fails after the driver was placed in the slot: the slot is emptied, the
    // locality released, and the failure reported.
    let mut model = FaultTis::new(TisFault::LocalityNeverGranted);
    let mut slot = None;
    let opened = Tis::new_in(
        &mut slot,
        &mut model,
        VirtualClock::default(),
        Config::default(),
    );
    assert_eq!(
        opened.map(drop),
        Err(TisError::LocalityNotGranted { locality: 0 })
    );
    assert!(
        slot.is_none(),
        "a driver that failed to open was left in the slot"
    );
    assert!(model.released(0));

    // A working TPM: the driver returned is the one in the slot, and it carries a command.
    let mut model = FaultTis::new(TisFault::None);
    let mut slot = None;
    let tis = Tis::new_in(
        &mut slot,
        &mut model,
        VirtualClock::default(),
        Config::default(),
    )
    .expect("opens");
    let mut buf = [0u8; 4096];
    let len = get_random(&mut buf);
    let response = tpm2_wire::Transport::transact(tis, &mut buf, len).map(<[u8]>::to_vec);
    assert!(slot.is_some());
    assert_eq!(response, Ok(model.response.clone()));
}
