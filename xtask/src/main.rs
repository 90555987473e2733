//! The project's task runner: `cargo xtask <task>`.
//!
//! - `test`: everything CI checks: formatting, clippy, docs, every test against the real
//!   peers, and the `no_std` builds of the library crates. Installs missing system packages
//!   and Rust targets first. Ends with one line `N passed, N failed, N skipped`.
//! - `deps`: only install what the tests and the demo need.
//!
//! It never changes the source tree.

mod deps;
mod run;

use std::process::ExitCode;

use run::{Tally, cargo, cargo_test, step};

/// The library crates that must build for bare-metal targets.
const NO_STD_CRATES: &[&str] = &["tpm2-wire", "tpm2-tis", "tpm2-crb", "tpm2-cmds"];
/// The bare-metal targets they must build for.
const NO_STD_TARGETS: &[&str] = &["thumbv7em-none-eabihf", "x86_64-unknown-none"];

fn test() -> Result<(), String> {
    deps::ensure_all()?;
    step("format", || cargo(&["fmt", "--all", "--", "--check"]))?;
    step("clippy", || {
        let deny = ["--", "-D", "warnings"];
        cargo(&[&["clippy", "--workspace", "--all-targets"][..], &deny].concat())?;
        cargo(
            &[
                &["clippy", "-p", "tpm2-wire", "--features", "defmt"][..],
                &deny,
            ]
            .concat(),
        )
    })?;
    step("docs", || {
        let args = ["doc", "--workspace", "--no-deps", "--quiet"];
        run::cargo_env(&args, &[("RUSTDOCFLAGS", "-D warnings")])
    })?;
    let mut tally = Tally::default();
    step("tests", || {
        tally = cargo_test(&["test", "--workspace"])?;
        Ok(())
    })?;
    step("no_std builds", no_std_builds)?;
    step("miri", run_miri)?;
    // The closing line CI reads: every libtest result of the run, summed.
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    Ok(())
}

fn no_std_builds() -> Result<(), String> {
    for target in NO_STD_TARGETS {
        for krate in NO_STD_CRATES {
            cargo(&["build", "--release", "-p", krate, "--target", target])?;
        }
    }
    let target = NO_STD_TARGETS[0];
    for krate in NO_STD_CRATES {
        cargo(&[
            "build",
            "--release",
            "-p",
            krate,
            "--features",
            "defmt",
            "--target",
            target,
        ])?;
    }
    Ok(())
}

/// Miri over the MMIO module (against a RAM window) and the wire crate's tests, when a
/// nightly toolchain is installed; installs the miri component when missing.
fn run_miri() -> Result<(), String> {
    if !deps::nightly_with_miri()? {
        eprintln!("no nightly toolchain: Miri skipped (rustup toolchain install nightly)");
        return Ok(());
    }
    let miri = |args: &[&str]| {
        let mut cmd = std::process::Command::new("rustup");
        cmd.args([&["run", "nightly", "cargo", "miri", "test"][..], args].concat());
        cmd.env("MIRIFLAGS", "-Zmiri-strict-provenance")
            .current_dir(run::workspace_root());
        run::status(&mut cmd)
    };
    miri(&["-p", "tpm2-tis", "--lib"])?;
    miri(&["-p", "tpm2-wire"])
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "deps" => deps::ensure_all(),
        _ => {
            eprintln!("usage: cargo xtask <test|deps>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}
