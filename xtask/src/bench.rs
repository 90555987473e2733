//! `cargo xtask bench`: the codec benchmark (`bench/`), this project side by side with
//! tpm2-protocol 1.2.3 and libtss2-mu on the same bytes, and a plain copy of those bytes; then
//! one table of mean times and ratios to the copy, read from criterion's estimates.

use core::fmt::Write as _;
use std::path::Path;

use crate::run::{cargo, workspace_root};

/// The operations (criterion groups) and the implementations (functions), as `bench/` names
/// them.
const OPS: &[&str] = &[
    "ek-encode",
    "ek-decode",
    "da-reset-encode",
    "da-reset-decode",
    "nv-read-public-encode",
    "nv-read-public-decode",
];
const WHO: &[&str] = &["copy", "tpm2-cmds", "tpm2-protocol", "tss2-mu"];

/// The mean time in nanoseconds criterion estimated for `op`/`who`.
fn mean_ns(dir: &Path, op: &str, who: &str) -> Option<f64> {
    let json = std::fs::read_to_string(dir.join(op).join(who).join("new/estimates.json")).ok()?;
    let at = json.find("\"mean\"")?;
    let rest = json.get(at..)?;
    let value = rest.get(rest.find("\"point_estimate\":")? + 17..)?;
    let end = value.find([',', '}'])?;
    value.get(..end)?.trim().parse().ok()
}

/// Runs the benchmark (`seconds` of measurement per function) and prints the table.
pub(crate) fn run(seconds: u32) -> Result<(), String> {
    let manifest = workspace_root().join("bench/Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let measure = seconds.to_string();
    cargo(&[
        "bench",
        "--quiet",
        "--manifest-path",
        &manifest,
        "--bench",
        "codec",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        &measure,
        "--noplot",
    ])?;
    let dir = workspace_root().join("bench/target/criterion");
    println!(
        "\n{:<24} {:>9} {:>18} {:>18} {:>18}",
        "operation (mean ns, x copy)", "copy", "tpm2-cmds", "tpm2-protocol", "tss2-mu"
    );
    for op in OPS {
        let floor = mean_ns(&dir, op, "copy").ok_or(format!("no estimate for {op}/copy"))?;
        let mut line = format!("{op:<24} {floor:>9.2}");
        for who in WHO.iter().skip(1) {
            let t = mean_ns(&dir, op, who).ok_or(format!("no estimate for {op}/{who}"))?;
            let _ = write!(line, " {:>9.2} {:>7.1}x", t, t / floor);
        }
        println!("{line}");
    }
    Ok(())
}
