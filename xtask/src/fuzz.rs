//! `cargo xtask fuzz`: runs every cargo-fuzz target for a fixed time and prints executions,
//! coverage and crashes per target.

use std::process::Command;

use crate::run::{status, succeeds, workspace_root};

/// The targets in `fuzz/fuzz_targets`.
pub(crate) const TARGETS: &[&str] = &[
    "responses",
    "rc",
    "commands",
    "tis",
    "crb",
    "mssim",
    "swtpm",
    "explain",
    "sessions",
    "verifier",
];

struct Outcome {
    target: String,
    runs: u64,
    seconds: u64,
    coverage: u64,
    corpus: u64,
    crash: Option<String>,
}

fn number_after(line: &str, key: &str) -> Option<u64> {
    let at = line.find(key)? + key.len();
    line[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn nightly_cargo() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo"]);
    cmd
}

/// Installs cargo-fuzz when missing; `false` when there is no nightly toolchain.
pub(crate) fn ensure_cargo_fuzz() -> Result<bool, String> {
    if !succeeds("rustup", &["run", "nightly", "rustc", "--version"]) {
        return Ok(false);
    }
    if !succeeds("rustup", &["run", "nightly", "cargo", "fuzz", "--version"]) {
        status(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(true)
}

fn run_one(target: &str, seconds: u64) -> Result<Outcome, String> {
    let dir = workspace_root().join("fuzz");
    let corpus = format!("corpus/{target}");
    std::fs::create_dir_all(dir.join(&corpus)).map_err(|e| e.to_string())?;
    let output = nightly_cargo()
        .args([
            "fuzz",
            "run",
            target,
            &corpus,
            &format!("seeds/{target}"),
            "--",
        ])
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cargo fuzz could not start: {e}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let mut out = Outcome {
        target: target.to_owned(),
        runs: 0,
        seconds,
        coverage: 0,
        corpus: 0,
        crash: None,
    };
    for line in log.lines() {
        if line.starts_with('#') && line.contains("cov:") {
            out.coverage = number_after(line, "cov:").unwrap_or(out.coverage);
            out.corpus = number_after(line, "corp:").unwrap_or(out.corpus);
        }
        if let Some(runs) = line.strip_prefix("Done ").and_then(|l| number_after(l, "")) {
            out.runs = runs;
        }
        if let Some(n) = number_after(line, "stat::number_of_executed_units:") {
            out.runs = n;
        }
        if line.contains("Test unit written to") {
            out.crash = Some(line.rsplit(' ').next().unwrap_or("").to_owned());
        }
    }
    if !output.status.success() && out.crash.is_none() {
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        out.crash = Some(format!(
            "exit {}: {}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(out)
}

/// Runs `targets` for `seconds` each and prints the table; fails on any crash.
pub(crate) fn run(seconds: u64, targets: &[&str]) -> Result<(), String> {
    if !ensure_cargo_fuzz()? {
        return Err("fuzzing needs a nightly toolchain: rustup toolchain install nightly".into());
    }
    let dir = workspace_root().join("fuzz");
    status(nightly_cargo().args(["fuzz", "build"]).current_dir(&dir))?;
    let mut results = Vec::new();
    for target in targets {
        eprintln!("fuzzing {target} for {seconds} s");
        results.push(run_one(target, seconds)?);
    }
    println!(
        "{:<10} {:>8} {:>12} {:>10} {:>9} {:>7}  crashes",
        "target", "seconds", "executions", "exec/s", "coverage", "corpus"
    );
    for r in &results {
        println!(
            "{:<10} {:>8} {:>12} {:>10} {:>9} {:>7}  {}",
            r.target,
            r.seconds,
            r.runs,
            r.runs / r.seconds.max(1),
            r.coverage,
            r.corpus,
            r.crash.as_deref().unwrap_or("0")
        );
    }
    let crashed: Vec<&str> = results
        .iter()
        .filter(|r| r.crash.is_some())
        .map(|r| r.target.as_str())
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("crashes in {}", crashed.join(", ")))
    }
}
