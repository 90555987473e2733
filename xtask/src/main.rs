//! The project's task runner: `cargo xtask <task>`.
//!
//! - `test [--mssim HOST:PORT]`: everything CI checks: formatting, clippy, docs, every test
//!   against the real peers, and the `no_std` builds of the library crates. Installs missing
//!   system packages and Rust targets first. Ends with one line `N passed, N failed, N
//!   skipped`. With `--mssim`, the command and doctor suites also run against that mssim
//!   simulator (a locally built TCG reference simulator), through `TPM2_TEST_MSSIM`.
//! - `demo [ARGS]`: the doctor against a simulated TPM behind the real FIFO driver (QEMU's
//!   tpm-tis backed by swtpm), installing what it needs; ARGS go to `tpm2-doctor`.
//! - `size`: the bare-metal firmware image: the no-panic link check and its flash figures.
//! - `fuzz [--seconds N] [--targets a,b]`: every cargo-fuzz target for N seconds (60 by
//!   default), with executions, coverage and crashes per target. `test` runs a 20 s smoke.
//! - `fuzz-corpus`: rewrites the seed corpus in `fuzz/seeds` from libtpms and QEMU.
//! - `faults`: the fault matrices of both drivers as tables.
//! - `bench [--seconds N]`: the codec benchmark: the firmware path's three commands encoded
//!   and decoded by this project, tpm2-protocol 1.2.3 and libtss2-mu, against a plain copy
//!   (N seconds of measurement per function, 3 by default).
//! - `deps`: only install what the tests and the demo need.
//!
//! It never changes the source tree.

mod bench;
mod chain;
mod deps;
mod fuzz;
mod run;
mod size;

use std::process::ExitCode;

use run::{Tally, cargo, cargo_test, step};

/// A program outside the workspace because it builds only for its own target.
struct Image {
    manifest: &'static str,
    target: &'static str,
}

/// The bare-metal firmware image and the UEFI application.
const OUTSIDE_WORKSPACE: &[Image] = &[
    Image {
        manifest: "firmware/Cargo.toml",
        target: "thumbv7em-none-eabihf",
    },
    Image {
        manifest: "examples/uefi/Cargo.toml",
        target: "x86_64-unknown-uefi",
    },
];

/// The library crates that must build for bare-metal targets.
const NO_STD_CRATES: &[&str] = &["tpm2-wire", "tpm2-tis", "tpm2-crb", "tpm2-cmds"];
/// The bare-metal targets they must build for.
const NO_STD_TARGETS: &[&str] = &["thumbv7em-none-eabihf", "x86_64-unknown-none"];

/// The environment variable the suites read for an external mssim simulator.
const MSSIM_ENV: &str = "TPM2_TEST_MSSIM";

fn test(args: &[String]) -> Result<(), String> {
    let mssim = match args {
        [] => None,
        [flag, endpoint] if flag == "--mssim" => Some(endpoint.as_str()),
        _ => return Err("usage: cargo xtask test [--mssim HOST:PORT]".into()),
    };
    let env: Vec<(&str, &str)> = mssim.map(|e| (MSSIM_ENV, e)).into_iter().collect();
    deps::ensure_all()?;
    step("format", || {
        cargo(&["fmt", "--all", "--", "--check"])?;
        let formatted = OUTSIDE_WORKSPACE.iter().map(|i| i.manifest);
        for manifest in formatted.chain(["bench/Cargo.toml", "fuzz/Cargo.toml"]) {
            let manifest = run::workspace_root().join(manifest);
            cargo(&[
                "fmt",
                "--manifest-path",
                &manifest.to_string_lossy(),
                "--",
                "--check",
            ])?;
        }
        Ok(())
    })?;
    step("clippy", || {
        let deny = ["--", "-D", "warnings"];
        cargo(&[&["clippy", "--workspace", "--all-targets"][..], &deny].concat())?;
        cargo(
            &[
                &["clippy", "-p", "tpm2-wire", "--features", "defmt"][..],
                &deny,
            ]
            .concat(),
        )?;
        let doctor_alone = ["clippy", "-p", "tpm2-examples", "--no-default-features"];
        cargo(&[&doctor_alone[..], &["--all-targets"], &deny].concat())?;
        for image in OUTSIDE_WORKSPACE {
            let manifest = run::workspace_root().join(image.manifest);
            let manifest = manifest.to_string_lossy();
            let args = ["clippy", "--release", "--manifest-path", &manifest];
            cargo(&[&args[..], &["--target", image.target], &deny].concat())?;
        }
        Ok(())
    })?;
    step("docs", || {
        let args = [
            "doc",
            "--workspace",
            "--no-deps",
            "--all-features",
            "--quiet",
        ];
        run::cargo_env(&args, &[("RUSTDOCFLAGS", "-D warnings")])
    })?;
    let mut tally = Tally::default();
    step("tests", || {
        tally = cargo_test(&["test", "--workspace"], &env)?;
        Ok(())
    })?;
    step("no_std builds", no_std_builds)?;
    step("doctor without simulators", doctor_without_simulators)?;
    step("library crates on the MSRV (Rust 1.85)", msrv_build)?;
    step("no-panic link check and flash size", size::report)?;
    step("miri", run_miri)?;
    step("fuzz smoke (20 s per target)", || {
        if fuzz::ensure_cargo_fuzz()? {
            fuzz::run(20, fuzz::TARGETS)
        } else {
            eprintln!(
                "no nightly toolchain: fuzz smoke skipped (rustup toolchain install nightly)"
            );
            Ok(())
        }
    })?;
    // The closing line CI reads: every libtest result of the run, summed.
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    Ok(())
}

/// The oldest Rust the library crates promise to build with (their `rust-version`).
const MSRV: &str = "1.85.0";

/// Builds the four library crates (with `std` and `defmt`) with the MSRV toolchain,
/// installing it when missing.
fn msrv_build() -> Result<(), String> {
    deps::ensure_toolchain(MSRV)?;
    let target_dir = run::workspace_root().join("target/msrv");
    let mut args = vec![format!("+{MSRV}"), "build".into(), "--quiet".into()];
    for krate in NO_STD_CRATES {
        args.extend(["-p".into(), (*krate).into()]);
    }
    args.extend([
        "--features".into(),
        "tpm2-cmds/std,tpm2-wire/defmt".into(),
        "--target-dir".into(),
        target_dir.to_string_lossy().into_owned(),
    ]);
    let mut cmd = std::process::Command::new("cargo");
    cmd.args(&args).current_dir(run::workspace_root());
    run::status(&mut cmd)
}

/// `cargo install --no-default-features` of the doctor into a scratch root: the binary an
/// admin installs for /dev/tpmrm0 must link neither libtpms nor libtss2.
fn doctor_without_simulators() -> Result<(), String> {
    let root = run::workspace_root();
    // Nothing that builds against libtpms or libtss2 (tpm2-tests' build script) is in the
    // graph, so the install needs neither libtpms-dev nor libtss2-dev.
    let tree =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "tree",
                "-p",
                "tpm2-examples",
                "--no-default-features",
                "-e",
                "normal,build",
                "--prefix",
                "none",
            ])
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cargo tree: {e}"))?;
    let tree = String::from_utf8_lossy(&tree.stdout);
    if let Some(line) = tree
        .lines()
        .find(|l| l.starts_with("tpm2-tests") || l.starts_with("pkg-config"))
    {
        return Err(format!(
            "tpm2-examples --no-default-features depends on {line}"
        ));
    }
    let scratch = root.join("target/doctor-install");
    let _ = std::fs::remove_dir_all(&scratch);
    cargo(&[
        "install",
        "--quiet",
        "--path",
        &root.join("examples").to_string_lossy(),
        "--no-default-features",
        "--root",
        &scratch.to_string_lossy(),
        "--target-dir",
        &root.join("target/doctor-build").to_string_lossy(),
    ])?;
    let binary = scratch.join("bin/tpm2-doctor");
    let ldd = std::process::Command::new("ldd")
        .arg(&binary)
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    let libraries = String::from_utf8_lossy(&ldd.stdout);
    if let Some(line) = libraries
        .lines()
        .find(|l| l.contains("libtpms") || l.contains("libtss2"))
    {
        return Err(format!("{} links {}", binary.display(), line.trim()));
    }
    let help = std::process::Command::new(&binary)
        .arg("--help")
        .output()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if !help.status.success() {
        return Err(format!(
            "{} --help exited with {}",
            binary.display(),
            help.status
        ));
    }
    println!(
        "{}: links {} libraries, neither libtpms nor libtss2; --help exits 0",
        binary.display(),
        libraries.lines().count()
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

/// Builds and runs the doctor against the simulator it names (`--backend qemu-tis` unless
/// the arguments name another), and exits with the doctor's own status: 0 all checks
/// passed, 1 warnings, 2 failures, 3 usage error.
fn demo(args: &[String]) -> Result<u8, String> {
    deps::ensure_all()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "tpm2-examples",
        "--bin",
        "tpm2-doctor",
        "--",
    ])
    .args(args)
    .current_dir(run::workspace_root());
    if !args
        .iter()
        .any(|a| a == "--backend" || a.starts_with("--backend="))
    {
        cmd.args(["--backend", "qemu-tis"]);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cargo could not start: {e}"))?;
    match status.code().and_then(|c| u8::try_from(c).ok()) {
        Some(code @ 0..=2) => {
            eprintln!(
                "\nMore: cargo xtask demo --scenario da-lockout | foreign-endorsement-auth | \
                 no-ek-cert | interface-0xf | tpm12 | no-tpm | failure-mode | healthy, \
                 --backend qemu-crb | qemu-tis+ovmf, --json;\n\
                 cargo run -p tpm2-examples --bin tpm2-doctor -- explain FILE (ESXi logs); \
                 cargo run -p tpm2-examples --bin tpm2-rc -- 0x921 0x18b 0x9a2"
            );
            Ok(code)
        }
        Some(code) => Ok(code),
        None => Err(format!("tpm2-doctor exited with {status}")),
    }
}

fn fuzz_task(args: &[String]) -> Result<(), String> {
    let mut seconds = 60;
    let mut targets: Vec<&str> = fuzz::TARGETS.to_vec();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match (arg.as_str(), it.next()) {
            ("--seconds", Some(n)) => {
                seconds = n.parse().map_err(|e| format!("--seconds {n}: {e}"))?;
            }
            ("--targets", Some(list)) => targets = list.split(',').collect(),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    fuzz::run(seconds, &targets)
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(&std::env::args().skip(2).collect::<Vec<_>>()),
        "deps" => deps::ensure_all(),
        "size" => deps::ensure_all().and_then(|()| size::report()),
        "demo" => {
            return match demo(&std::env::args().skip(2).collect::<Vec<_>>()) {
                Ok(code) => ExitCode::from(code),
                Err(e) => {
                    eprintln!("xtask demo: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        "fuzz" => fuzz_task(&std::env::args().skip(2).collect::<Vec<_>>()),
        "bench" => deps::ensure_all().and_then(|()| {
            let args: Vec<String> = std::env::args().skip(2).collect();
            match args.as_slice() {
                [] => bench::run(3),
                [flag, n] if flag == "--seconds" => n
                    .parse()
                    .map_err(|_| format!("--seconds {n}: not a number"))
                    .and_then(bench::run),
                _ => Err("usage: cargo xtask bench [--seconds N]".into()),
            }
        }),
        "fuzz-corpus" => deps::ensure_all().and_then(|()| {
            cargo(&[
                "test",
                "-p",
                "tpm2-tests",
                "--test",
                "fuzz_corpus",
                "--",
                "--ignored",
            ])
        }),
        "faults" => deps::ensure_all().and_then(|()| {
            cargo(&[
                "test",
                "-q",
                "-p",
                "tpm2-tests",
                "--test",
                "tis_faults",
                "--test",
                "crb_faults",
                "--",
                "--nocapture",
                "fault_matrix",
            ])
        }),
        _ => {
            eprintln!(
                "usage: cargo xtask <test [--mssim HOST:PORT]|demo [ARGS]|size|fuzz [--seconds N] [--targets a,b]|fuzz-corpus|faults|bench [--seconds N]|deps>"
            );
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
