//! Boots the UEFI application of `examples/uefi` under OVMF (Debian `ovmf`) in QEMU with TCG,
//! swtpm behind `-device tpm-tis` or `-device tpm-crb`: the drivers touch the registers from
//! the guest CPU, after the firmware's own TPM stack used them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::qemu::{
    Device, OVMF_CODE, OVMF_VARS, QtestError, fresh_dir, require_ovmf, require_program,
};
/// The target the application is built for.
const UEFI_TARGET: &str = "x86_64-unknown-uefi";
/// The longest a boot may take: OVMF under TCG boots in seconds; a hung guest is killed.
const BOOT_TIMEOUT: Duration = Duration::from_mins(4);

/// What one boot left: the guest's console (OVMF copies it to the serial port) and the
/// swtpm state directory, for a differential check on the same TPM afterwards.
#[derive(Debug)]
pub struct Boot {
    /// The serial console, carriage returns removed.
    pub serial: String,
    /// The swtpm state the guest used; the caller removes it.
    pub state: PathBuf,
}

impl Boot {
    /// The text after `tpm2-uefi: <step> ` on the line of that step, if the guest printed it.
    #[must_use]
    pub fn step(&self, step: &str) -> Option<&str> {
        self.serial.lines().find_map(|l| {
            let rest = l
                .trim_end()
                .strip_prefix("tpm2-uefi: ")?
                .strip_prefix(step)?;
            match rest.strip_prefix(' ') {
                Some(text) => Some(text),
                None => rest.is_empty().then_some(rest),
            }
        })
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the UEFI application once per test process and returns the `.efi` path.
pub fn uefi_app() -> Result<PathBuf, QtestError> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_uefi_app().map_err(|e| e.to_string()))
        .clone()
        .map_err(QtestError::Missing)
}

fn build_uefi_app() -> Result<PathBuf, QtestError> {
    let root = workspace_root();
    let manifest = root.join("examples/uefi/Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(UEFI_TARGET));
    if !installed {
        return Err(QtestError::Missing(format!(
            "the {UEFI_TARGET} target is missing: install it with `rustup target add \
             {UEFI_TARGET}` (or run `cargo xtask test`, which installs every peer)"
        )));
    }
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--release", "--target", UEFI_TARGET])
        .arg("--manifest-path")
        .arg(&manifest)
        .env_remove("RUSTFLAGS")
        .output()?;
    if !out.status.success() {
        return Err(QtestError::Protocol(format!(
            "building the UEFI application failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(root.join(format!(
        "examples/uefi/target/{UEFI_TARGET}/release/tpm2-uefi-app.efi"
    )))
}

/// Boots `efi` as the removable-media boot loader under OVMF with a fresh swtpm behind
/// `device`, and waits for the guest to power off (at most four minutes).
pub fn boot(efi: &Path, device: Device) -> Result<Boot, QtestError> {
    require_program("swtpm", "swtpm")?;
    require_program("qemu-system-x86_64", "qemu-system-x86")?;
    require_ovmf()?;
    let dir = fresh_dir("ovmf")?;
    let esp = dir.join("esp/EFI/BOOT");
    std::fs::create_dir_all(&esp)?;
    std::fs::copy(efi, esp.join("BOOTX64.EFI"))?;
    let vars = dir.join("vars.fd");
    std::fs::copy(OVMF_VARS, &vars)?;
    let state = dir.join("state");
    std::fs::create_dir_all(&state)?;
    let sock = dir.join("swtpm.sock");
    let serial = dir.join("serial.log");
    let mut swtpm = Command::new("swtpm")
        .args(["socket", "--tpm2", "--tpmstate"])
        .arg(format!("dir={}", state.display()))
        .arg("--ctrl")
        .arg(format!("type=unixio,path={}", sock.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let model = match device {
        Device::Tis => "tpm-tis",
        Device::Crb => "tpm-crb",
    };
    let qemu = Command::new("qemu-system-x86_64")
        .args(["-M", "q35", "-accel", "tcg", "-m", "256", "-nodefaults"])
        .args(["-display", "none", "-no-reboot", "-serial"])
        .arg(format!("file:{}", serial.display()))
        .arg("-drive")
        .arg(format!("if=pflash,format=raw,readonly=on,file={OVMF_CODE}"))
        .arg("-drive")
        .arg(format!("if=pflash,format=raw,file={}", vars.display()))
        .arg("-drive")
        .arg(format!(
            "format=raw,file=fat:rw:{}",
            dir.join("esp").display()
        ))
        .arg("-chardev")
        .arg(format!("socket,id=chr,path={}", sock.display()))
        .args(["-tpmdev", "emulator,id=tpm,chardev=chr", "-device"])
        .arg(format!("{model},tpmdev=tpm"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let result = qemu.map_err(QtestError::from).and_then(|mut qemu| {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        loop {
            if let Some(status) = qemu.try_wait()? {
                break Ok(status);
            }
            if Instant::now() > deadline {
                let _ = qemu.kill();
                let _ = qemu.wait();
                break Err(QtestError::Protocol(format!(
                    "the guest did not power off within {BOOT_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let _ = swtpm.kill();
    let _ = swtpm.wait();
    let console = std::fs::read(&serial).unwrap_or_default();
    let console = String::from_utf8_lossy(&console).replace('\r', "");
    let status = result.map_err(|e| QtestError::Protocol(format!("{e}; console:\n{console}")))?;
    if !status.success() {
        return Err(QtestError::Protocol(format!(
            "QEMU exited with {status}; console:\n{console}"
        )));
    }
    // Keep only the TPM state: the caller may start swtpm on it again.
    let kept = fresh_dir("ovmf-state")?;
    std::fs::rename(&state, &kept).or_else(|_| {
        std::fs::remove_dir(&kept)?;
        std::fs::rename(&state, &kept)
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Boot {
        serial: console,
        state: kept,
    })
}

impl Boot {
    /// The firmware event log the guest printed (`tpm2-uefi: eventlog <hex>` lines), if any.
    #[must_use]
    pub fn event_log(&self) -> Option<Vec<u8>> {
        let hex: String = self
            .serial
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("tpm2-uefi: eventlog "))
            .filter(|l| l.bytes().all(|b| b.is_ascii_hexdigit()))
            .collect();
        if hex.is_empty() {
            return None;
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|d| u8::from_str_radix(d, 16).ok())
            })
            .collect()
    }

    /// The PCRs of `bank` (`sha1`, `sha256`) the guest read after the log.
    #[must_use]
    pub fn pcrs(&self, bank: &str, alg: tpm2_wire::AlgId) -> tpm2_cmds::PcrBank {
        let mut out = tpm2_cmds::PcrBank::new(alg);
        let prefix = format!("tpm2-uefi: pcr {bank} ");
        for line in self.serial.lines() {
            let Some(rest) = line.trim_end().strip_prefix(&prefix) else {
                continue;
            };
            let Some((index, hex)) = rest.split_once(' ') else {
                continue;
            };
            let value: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|d| u8::from_str_radix(d, 16).ok())
                })
                .collect();
            if let (Ok(index), Some(value)) = (index.parse(), value) {
                out.set(index, &value);
            }
        }
        out
    }
}
