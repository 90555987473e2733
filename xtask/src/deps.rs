//! Installs what the tests and the demo need when it is missing: Debian packages for the real
//! peers, and Rust targets and components.

use std::process::Command;

use crate::run::{status, step, succeeds};

/// A system dependency: how to tell it is there, and the Debian package providing it.
struct Peer {
    what: &'static str,
    present: fn() -> bool,
    package: &'static str,
}

const PEERS: &[Peer] = &[
    Peer {
        what: "pkg-config",
        present: || succeeds("pkg-config", &["--version"]),
        package: "pkg-config",
    },
    Peer {
        what: "swtpm",
        present: || succeeds("swtpm", &["--version"]),
        package: "swtpm",
    },
    Peer {
        what: "QEMU (qemu-system-x86_64)",
        present: || succeeds("qemu-system-x86_64", &["--version"]),
        package: "qemu-system-x86",
    },
    Peer {
        what: "libtpms",
        present: || succeeds("pkg-config", &["--exists", "libtpms"]),
        package: "libtpms-dev",
    },
    Peer {
        what: "tpm2-tools (tpm2_createek)",
        present: || succeeds("tpm2_createek", &["--version"]),
        package: "tpm2-tools",
    },
    Peer {
        what: "OVMF (UEFI firmware for the in-guest tests)",
        present: || std::path::Path::new("/usr/share/OVMF/OVMF_CODE_4M.fd").is_file(),
        package: "ovmf",
    },
    Peer {
        what: "OpenSSL 3 (KBKDF and SSKDF, the KDFa and KDFe references)",
        present: || succeeds("openssl", &["kdf", "-help"]),
        package: "openssl",
    },
    Peer {
        what: "tpm2-tss (tss2-rc, tss2-mu)",
        present: || succeeds("pkg-config", &["--exists", "tss2-rc", "tss2-mu"]),
        package: "libtss2-dev",
    },
];

const TARGETS: &[&str] = &[
    "thumbv7em-none-eabihf",
    "x86_64-unknown-none",
    "x86_64-unknown-uefi",
];
/// Rust components and the cargo subcommand each provides.
const COMPONENTS: &[(&str, &str)] = &[("rustfmt", "fmt"), ("clippy", "clippy")];

/// Installs every missing peer, target and component; fails naming what could not be had.
pub(crate) fn ensure_all() -> Result<(), String> {
    step("system packages", ensure_packages)?;
    step("rust targets and components", ensure_rust)
}

fn ensure_packages() -> Result<(), String> {
    let missing: Vec<&Peer> = PEERS.iter().filter(|p| !(p.present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|p| p.package).collect();
    packages.dedup();
    let names: Vec<&str> = missing.iter().map(|p| p.what).collect();
    eprintln!(
        "missing: {}; installing {}",
        names.join(", "),
        packages.join(" ")
    );
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        status(&mut cmd)
    };
    apt(&["update", "-qq"])
        .and_then(|()| {
            apt(&[
                &["install", "-y", "-qq", "--no-install-recommends"][..],
                &packages,
            ]
            .concat())
        })
        .map_err(|e| {
            format!(
                "{e}\ninstall them by hand: apt-get install -y {}",
                packages.join(" ")
            )
        })?;
    let still: Vec<&str> = PEERS
        .iter()
        .filter(|p| !(p.present)())
        .map(|p| p.what)
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("still missing after install: {}", still.join(", ")))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn ensure_rust() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed to add targets: {e}"))?;
    let installed = String::from_utf8_lossy(&installed.stdout).into_owned();
    let missing: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l == *t))
        .collect();
    if !missing.is_empty() {
        status(Command::new("rustup").args([&["target", "add"][..], &missing].concat()))?;
    }
    for (component, subcommand) in COMPONENTS {
        if !succeeds("cargo", &[subcommand, "--version"]) {
            status(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    Ok(())
}

/// Installs the Rust toolchain `version` (minimal profile) when it is missing.
pub(crate) fn ensure_toolchain(version: &str) -> Result<(), String> {
    if succeeds("rustup", &["run", version, "rustc", "--version"]) {
        return Ok(());
    }
    status(Command::new("rustup").args(["toolchain", "install", version, "--profile", "minimal"]))
}

/// Whether a nightly toolchain is installed; if so, makes sure it has Miri.
pub(crate) fn nightly_with_miri() -> Result<bool, String> {
    let toolchains = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if !String::from_utf8_lossy(&toolchains.stdout)
        .lines()
        .any(|l| l.starts_with("nightly"))
    {
        return Ok(false);
    }
    if !succeeds("rustup", &["run", "nightly", "cargo", "miri", "--version"]) {
        status(Command::new("rustup").args([
            "component",
            "add",
            "--toolchain",
            "nightly",
            "miri",
            "rust-src",
        ]))?;
    }
    Ok(true)
}
