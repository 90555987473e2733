//! `tpm2-doctor`: why does this host fail TPM attestation?
//!
//! ```text
//! tpm2-doctor [--backend B] [--scenario S] [--json]
//! tpm2-doctor explain FILE...
//! ```
//! Exit status: 0 all checks pass, 1 warnings only, 2 failures (3 for usage errors).

use std::process::ExitCode;

use tpm2_examples::backend::BackendSpec;
use tpm2_examples::{Scenario, doctor, explain};

const USAGE: &str = "usage: tpm2-doctor [--backend qemu-tis|qemu-crb[+seabios|+ovmf]|libtpms|mssim:HOST:PORT|\
swtpm:HOST:PORT|dev:/dev/tpmrm0|mmio] [--scenario fresh|healthy|da-lockout|\
foreign-endorsement-auth|no-ek-cert|interface-0xf|tpm12|no-tpm|failure-mode] [--json]\n       \
tpm2-doctor explain FILE...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("explain") {
        return explain_files(&args[1..]);
    }
    let (mut backend, mut scenario, mut json) = ("qemu-tis".to_owned(), Scenario::Fresh, false);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match (arg.as_str(), it.clone().next()) {
            ("--json", _) => json = true,
            ("--backend", Some(v)) => {
                backend.clone_from(v);
                it.next();
            }
            ("--scenario", Some(v)) => match v.parse() {
                Ok(s) => {
                    scenario = s;
                    it.next();
                }
                Err(e) => return usage(&e),
            },
            _ => return usage(&format!("unexpected argument {arg:?}")),
        }
    }
    let spec: BackendSpec = match backend.parse() {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let report = doctor(&backend, &spec, scenario);
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    ExitCode::from(report.exit_code())
}

fn usage(message: &str) -> ExitCode {
    eprintln!("tpm2-doctor: {message}\n{USAGE}");
    ExitCode::from(3)
}

fn explain_files(files: &[String]) -> ExitCode {
    if files.is_empty() {
        return usage("explain needs at least one file");
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        match std::fs::read_to_string(file) {
            Ok(text) => {
                for a in explain::explain(&text) {
                    println!("{file}:{}: {}", a.line_no, a.line.trim());
                    for note in &a.notes {
                        println!("    -> {note}");
                    }
                }
            }
            Err(e) => {
                eprintln!("tpm2-doctor: {file}: {e}");
                status = ExitCode::from(3);
            }
        }
    }
    status
}
