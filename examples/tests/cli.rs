//! The two programs as an admin runs them: help, exit codes, explain on stdin with invalid
//! UTF-8 and as JSON, usage errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

const DOCTOR: &str = env!("CARGO_BIN_EXE_tpm2-doctor");
const RC: &str = env!("CARGO_BIN_EXE_tpm2-rc");

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_exits_0_and_documents_the_exit_codes() {
    for program in [DOCTOR, RC] {
        let o = run(program, &["--help"], b"");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(text(&o).contains("3  usage error"), "{}", text(&o));
    }
}

#[test]
fn usage_errors_exit_3_and_say_why() {
    for (program, args, says) in [
        (DOCTOR, &["--backend"][..], "a value is required"),
        (DOCTOR, &["--backend", "nowhere"][..], "unknown backend"),
        (
            DOCTOR,
            &["--backend", "dev:/dev/null", "--scenario", "tpm12"][..],
            "tpm12",
        ),
        (DOCTOR, &["--scenario", "no-such"][..], "unknown scenario"),
        (DOCTOR, &["explain"][..], "FILE"),
        (RC, &["zz"][..], "not a 32-bit number"),
        (RC, &[][..], "CODE"),
    ] {
        let o = run(program, args, b"");
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
}

#[test]
fn explain_reads_stdin_through_invalid_utf8_and_prints_json() {
    let log = b"2026-11-29T09:00:00Z hostd \xff\xfe TPM: NV_ReadPublic: (0x18b) Unknown\n\
                ordinary line\n\
                DictionaryAttackLockReset: (0x921) Unknown\n";
    let o = run(DOCTOR, &["explain", "-"], log);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("-:1:"), "{out}");
    assert!(out.contains("TPM_RC_HANDLE"), "{out}");
    assert!(out.contains("-:3:"), "{out}");
    let o = run(DOCTOR, &["explain", "--json", "-"], log);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lines: Vec<u64> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["line_no"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 3]);
    // A file that cannot be read is an input error, after the others were explained.
    let o = run(DOCTOR, &["explain", "-", "/nonexistent/hostd.log"], log);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("-:1:"));
}

#[test]
fn an_unreachable_simulator_is_a_failure_naming_the_peer() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let backend = format!("mssim:localhost:{port}");
    let o = run(DOCTOR, &["--backend", &backend], b"");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(&format!(":{port}")), "{}", text(&o));
}

#[test]
fn tpm2_rc_decodes_the_field_codes() {
    let o = run(RC, &["0x921", "0x18b", "2466"], b"");
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    for name in ["TPM_RC_LOCKOUT", "TPM_RC_HANDLE", "TPM_RC_BAD_AUTH"] {
        assert!(out.contains(name), "{out}");
    }
}
