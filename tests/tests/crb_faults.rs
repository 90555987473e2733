//! The CRB driver against the fault-injecting CRB model: every fault ends in its typed error
//! within its deadline (exactly, on a virtual clock), with the TPM idle and the locality
//! relinquished.

use core::convert::Infallible;

use core::sync::atomic::Ordering;

use tpm2_crb::{BufferWindow, Config, Crb, CrbError, StartMethod, Wait};
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::fault_crb::ACPI_DSM_CALLS;
use tpm2_tests::fault_crb::{CrbFault, FaultCrb};
use tpm2_tis::LocalityPolicy;
use tpm2_wire::{CommandCode, CommandWriter, Transport};

const A: u64 = 750_000;
const B: u64 = 4_000_000;
const C: u64 = 200_000;
const GET_RANDOM_DURATION: u64 = 2_000_000;

struct Row {
    fault: CrbFault,
    config: Config,
    response: Option<Vec<u8>>,
    expected: Result<(), CrbError<Infallible>>,
    waited_us: u64,
}

fn row(fault: CrbFault, expected: Result<(), CrbError<Infallible>>, waited_us: u64) -> Row {
    Row {
        fault,
        config: Config::default(),
        response: None,
        expected,
        waited_us,
    }
}

fn run(row: &Row) -> (Result<(), CrbError<Infallible>>, FaultCrb, VirtualClock) {
    let mut model = FaultCrb::new(row.fault);
    if let Some(r) = &row.response {
        model.response.clone_from(r);
    }
    let mut clock = VirtualClock::default();
    let result = (|| {
        let mut crb = Crb::new(&mut model, &mut clock, row.config)?;
        let mut buf = [0u8; 4096];
        let mut cmd = CommandWriter::new(&mut buf, CommandCode::GET_RANDOM);
        cmd.param(&16u16);
        let len = cmd.finish().unwrap();
        crb.transact(&mut buf, len).map(drop)
    })();
    (result, model, clock)
}

/// The platform's `_DSM` evaluation, as firmware would plug it in.
fn dsm() -> bool {
    ACPI_DSM_CALLS.fetch_add(1, Ordering::SeqCst);
    true
}

fn random_response() -> Vec<u8> {
    let mut r = vec![0x80, 0x01, 0, 0, 0, 0x1C, 0, 0, 0, 0, 0, 0x10];
    r.extend(1..=16u8);
    r
}

fn rows() -> Vec<Row> {
    use CrbError::*;
    let big = [0x80, 0x01, 0, 0, 0x20, 0x00, 0, 0, 0, 0].to_vec();
    vec![
        row(CrbFault::None, Ok(()), 0),
        row(
            CrbFault::StartNeverClears,
            Err(Timeout(Wait::Cancel)),
            GET_RANDOM_DURATION + B,
        ),
        row(CrbFault::TpmStsFatal, Err(TpmFatal), 0),
        // cmdReady acknowledged by a TPM that stays idle: three attempts, START never
        // written, so the command is never read back as the response.
        row(CrbFault::StaysIdle, Err(Timeout(Wait::CmdReady)), 3 * C),
        row(
            CrbFault::CmdReadyNeverAcknowledged,
            Err(Timeout(Wait::CmdReady)),
            3 * C,
        ),
        row(
            CrbFault::BufferOutsideWindow,
            Err(BufferOutsideWindow {
                address: 0xFED4_6000,
                size: 0xF80,
            }),
            0,
        ),
        // Inside the mapped window, but over locality 1's registers: command bytes written
        // there would land in its LOC_CTRL, CTRL_CANCEL and CTRL_START.
        row(
            CrbFault::BufferOverLocality1,
            Err(BufferOutsideWindow {
                address: 0xFED4_1000,
                size: 0xF80,
            }),
            0,
        ),
        row(CrbFault::OverlappingBuffers, Err(OverlappingBuffers), 0),
        row(CrbFault::LocalityNeverGranted, Err(LocalityNotGranted), A),
        row(CrbFault::NoTpm, Err(NoTpm), 0),
        Row {
            response: Some([0x80, 0x01, 0, 0, 0, 4, 0, 0, 0, 0].to_vec()),
            ..row(
                CrbFault::None,
                Err(BadResponse(tpm2_wire::WireError::FrameTooShort { size: 4 })),
                0,
            )
        },
        Row {
            response: Some([0x12, 0x34, 0, 0, 0, 10, 0, 0, 0, 0].to_vec()),
            ..row(
                CrbFault::None,
                Err(BadResponse(tpm2_wire::WireError::BadTag {
                    offset: 0,
                    tag: 0x1234,
                })),
                0,
            )
        },
        Row {
            // GetRandom's 16 bytes behind the header, at an odd buffer offset: the body
            // starts at 0x8C, the transfers must split into aligned accesses.
            response: Some(random_response()),
            ..row(CrbFault::MisalignedBuffers, Ok(()), 0)
        },
        Row {
            // Buffers above 4 GiB, reached through the buffer window.
            response: Some(random_response()),
            config: Config {
                buffer_window: Some(BufferWindow {
                    base: 0x1_0000_0000,
                    len: 0x1000,
                }),
                ..Config::default()
            },
            ..row(CrbFault::BuffersAbove4G, Ok(()), 0)
        },
        // ... and without one: a typed error naming the buffer.
        row(
            CrbFault::BuffersAbove4G,
            Err(BufferOutsideWindow {
                address: 0x1_0000_0000,
                size: 0x1000,
            }),
            0,
        ),
        Row {
            config: Config {
                start_method: StartMethod::Acpi(dsm),
                ..Config::default()
            },
            response: Some(random_response()),
            ..row(CrbFault::AcpiStart, Ok(()), 0)
        },
        Row {
            response: Some(big),
            ..row(
                CrbFault::None,
                Err(ResponseTooLarge {
                    size: 0x2000,
                    capacity: 3968,
                }),
                0,
            )
        },
    ]
}

#[test]
fn fault_matrix_for_the_crb_driver() {
    let mut failures = Vec::new();
    println!(
        "{:<28} {:<58} {:>10} {:>6} {:>8}",
        "fault", "result", "waited us", "idle", "released"
    );
    for r in &rows() {
        let (result, model, clock) = run(r);
        let waited_us = clock.now_ns / 1000;
        let ok = result == r.expected
            && waited_us == r.waited_us
            && model.is_idle()
            && model.released()
            && model.misaligned == 0
            && model.forbidden_writes == 0;
        println!(
            "{:<28} {:<58} {:>10} {:>6} {:>8} {}",
            format!("{:?}", r.fault),
            format!("{result:?}"),
            waited_us,
            model.is_idle(),
            model.released(),
            if ok { "pass" } else { "FAIL" }
        );
        if !ok {
            failures.push(format!(
                "{:?}: got {result:?} after {waited_us} us, {} misaligned accesses",
                r.fault, model.misaligned
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_command_larger_than_the_buffer_is_refused_before_any_register_write() {
    let mut model = FaultCrb::new(CrbFault::None);
    let mut crb = Crb::new(&mut model, VirtualClock::default(), Config::default()).unwrap();
    let writes = crb.bus_mut().writes;
    let mut buf = [0u8; 4096];
    let err = crb.transact(&mut buf, 4000).err();
    assert_eq!(
        err,
        Some(CrbError::CommandTooLarge {
            len: 4000,
            max: 0xF80
        })
    );
    assert_eq!(crb.bus_mut().writes, writes);
    assert_eq!(crb.bus_mut().starts, 0);
}

#[test]
fn a_locality_firmware_left_granted_stays_granted_unless_release_is_asked() {
    for (policy, granted_after) in [
        (LocalityPolicy::AsFound, true),
        (LocalityPolicy::Release, false),
        (LocalityPolicy::Keep, true),
    ] {
        let mut model = FaultCrb::new(CrbFault::None);
        model.grant();
        let config = Config {
            locality_policy: policy,
            ..Config::default()
        };
        let mut crb = Crb::new(&mut model, VirtualClock::default(), config).unwrap();
        assert_eq!(
            crb.bus_mut().released(),
            !granted_after,
            "{policy:?} after new"
        );
        let mut buf = [0u8; 4096];
        let len = get_random(&mut buf);
        crb.transact(&mut buf, len).unwrap();
        assert_eq!(
            crb.bus_mut().released(),
            !granted_after,
            "{policy:?} after a command"
        );
        assert!(crb.bus_mut().is_idle(), "{policy:?}: idle after a command");
        crb.release_locality().unwrap();
        assert!(
            crb.bus_mut().released(),
            "{policy:?}: relinquish on request"
        );
        let len = get_random(&mut buf);
        crb.transact(&mut buf, len).unwrap();
        assert!(crb.bus_mut().released(), "{policy:?}: stays released after");
    }
    // Not granted when found: `Keep` holds it from the first command on.
    let mut model = FaultCrb::new(CrbFault::None);
    let config = Config {
        locality_policy: LocalityPolicy::Keep,
        ..Config::default()
    };
    let crb = Crb::new(&mut model, VirtualClock::default(), config).unwrap();
    assert!(crb.holds_locality());
}

fn get_random(buf: &mut [u8]) -> usize {
    let mut cmd = CommandWriter::new(buf, CommandCode::GET_RANDOM);
    cmd.param(&16u16);
    cmd.finish().unwrap()
}

#[test]
fn responses_arrive_intact_through_misaligned_and_remote_buffers() {
    let remote = Config {
        buffer_window: Some(BufferWindow {
            base: 0x1_0000_0000,
            len: 0x1000,
        }),
        ..Config::default()
    };
    for (fault, config) in [
        (CrbFault::MisalignedBuffers, Config::default()),
        (CrbFault::BuffersAbove4G, remote),
    ] {
        let mut model = FaultCrb::new(fault);
        model.response = random_response();
        let mut crb = Crb::new(&mut model, VirtualClock::default(), config).unwrap();
        let mut buf = [0u8; 4096];
        let len = get_random(&mut buf);
        let rsp = crb.transact(&mut buf, len).unwrap().to_vec();
        assert_eq!(rsp, random_response(), "{fault:?}");
        assert_eq!(crb.bus_mut().misaligned, 0, "{fault:?}");
    }
}

/// Whatever of a command the response did not overwrite leaves the TPM's buffer, and all of
/// it when the command failed: after a success the 12-byte GetRandom's last two bytes, after
/// a fatal error every byte (the response the TPM may have written included).
#[test]
fn no_byte_of_a_command_outlives_it_in_the_buffer_on_success_or_failure() {
    use tpm2_tis::RegisterAccess;
    for (fault, answered) in [(CrbFault::None, 10), (CrbFault::TpmStsFatal, 0)] {
        let (_, mut model, _) = run(&row(fault, Ok(()), 0));
        let left: Vec<u8> = (0..12).map(|i| model.read8(0x80 + i).unwrap()).collect();
        assert!(
            left[answered..].iter().all(|&b| b == 0),
            "{fault:?}: {left:02x?}"
        );
        assert_eq!(
            left[..answered],
            [0x80, 0x01, 0, 0, 0, 0x0A, 0, 0, 0, 0][..answered]
        );
    }
}

#[test]
fn new_in_builds_the_driver_in_the_slot_and_empties_it_when_opening_fails() {
    // Opening fails after the driver was placed in the slot: the slot is emptied, the
    // locality released, and the failure reported.
    let mut model = FaultCrb::new(CrbFault::CmdReadyNeverAcknowledged);
    let mut slot = None;
    let opened = Crb::new_in(
        &mut slot,
        &mut model,
        VirtualClock::default(),
        Config::default(),
    );
    assert_eq!(opened.map(drop), Err(CrbError::Timeout(Wait::CmdReady)));
    assert!(
        slot.is_none(),
        "a driver that failed to open was left in the slot"
    );
    assert!(model.released());

    // A working TPM: the driver returned is the one in the slot, and it carries a command.
    let mut model = FaultCrb::new(CrbFault::None);
    let mut slot = None;
    let crb = Crb::new_in(
        &mut slot,
        &mut model,
        VirtualClock::default(),
        Config::default(),
    )
    .expect("opens");
    let mut buf = [0u8; 4096];
    let len = get_random(&mut buf);
    let response = crb.transact(&mut buf, len).map(<[u8]>::to_vec);
    assert!(slot.is_some());
    assert_eq!(response, Ok(model.response.clone()));
}
