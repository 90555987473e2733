//! QEMU's `tpm-tis` / `tpm-crb` device models, backed by swtpm, driven over the qtest
//! protocol with the guest CPU stopped: an independent implementation of the TPM registers
//! at 0xFED40000 for our drivers to talk to. Either no firmware ever ran (`-S`), or SeaBIOS
//! or OVMF ran first under TCG and used the TPM, and the CPU was stopped over QMP once the
//! firmware reached its boot menu: the registers are then as the firmware left them.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tpm2_tis::RegisterAccess;

/// The TPM's physical base address on a PC.
pub const BASE: u64 = 0xFED4_0000;

/// OVMF's code and variable-store images as Debian's `ovmf` installs them.
pub const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
/// See [`OVMF_CODE`].
pub const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/// Fails with the install command if OVMF is missing.
pub fn require_ovmf() -> Result<(), QtestError> {
    for image in [OVMF_CODE, OVMF_VARS] {
        if !Path::new(image).is_file() {
            return Err(QtestError::Missing(format!(
                "{image} not found: install it with `apt-get install -y ovmf` \
                 (or run `cargo xtask test`, which installs every peer)"
            )));
        }
    }
    Ok(())
}

/// The firmware that runs before the driver attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// SeaBIOS (QEMU's default BIOS), until "No bootable device".
    SeaBios,
    /// OVMF, until its UEFI shell starts.
    Ovmf,
}

/// How long firmware may take to reach its boot menu under TCG.
const FIRMWARE_TIMEOUT: Duration = Duration::from_mins(2);

/// Which QEMU device model fronts the TPM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// `-device tpm-tis`: the FIFO interface.
    Tis,
    /// `-device tpm-crb`: the CRB interface.
    Crb,
}

/// A failure of the harness or of a qtest access.
#[derive(Debug)]
pub enum QtestError {
    /// A program is missing: the message names the install command.
    Missing(String),
    /// Starting or talking to a process failed.
    Io(std::io::Error),
    /// QEMU answered something other than `OK`.
    Protocol(String),
}

impl std::fmt::Display for QtestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(m) => f.write_str(m),
            Self::Io(e) => write!(f, "I/O: {e}"),
            Self::Protocol(l) => write!(f, "qtest answered {l:?}"),
        }
    }
}

impl std::error::Error for QtestError {}

impl From<std::io::Error> for QtestError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Register accesses made through the bus, by direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessCounts {
    /// Reads of any width.
    pub reads: u64,
    /// Writes of any width.
    pub writes: u64,
}

impl AccessCounts {
    /// Reads plus writes.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.reads + self.writes
    }
}

/// A running QEMU with a TPM device and its swtpm, implementing [`RegisterAccess`] over
/// qtest. Both processes are killed and the TPM state removed when it is dropped.
#[derive(Debug)]
pub struct QemuTpm {
    qemu: Child,
    swtpm: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    dir: PathBuf,
    counts: AccessCounts,
}

/// Fails with the install command if `program` is not on the PATH.
pub fn require_program(program: &str, package: &str) -> Result<(), QtestError> {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()));
    if found {
        Ok(())
    } else {
        Err(QtestError::Missing(format!(
            "{program} not found: install it with `apt-get install -y {package}` \
             (or run `cargo xtask test`, which installs every peer)"
        )))
    }
}

/// A fresh, unique directory under the system temp dir.
pub fn fresh_dir(tag: &str) -> std::io::Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tpm2-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn wait_for(path: &Path, child: &mut Child, what: &str) -> Result<(), QtestError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        if let Some(status) = child.try_wait()? {
            return Err(QtestError::Protocol(format!(
                "{what} exited early: {status}"
            )));
        }
        if Instant::now() > deadline {
            return Err(QtestError::Protocol(format!(
                "{what} did not create {}",
                path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

impl QemuTpm {
    /// Starts a manufacture-fresh TPM 2.0 behind `device`; no firmware runs.
    pub fn start(device: Device) -> Result<Self, QtestError> {
        Self::launch(device, true, None)
    }

    /// Starts a TPM 1.2 (swtpm without `--tpm2`) behind `device`.
    pub fn start_tpm12(device: Device) -> Result<Self, QtestError> {
        Self::launch(device, false, None)
    }

    /// Starts a manufacture-fresh TPM 2.0 behind `device`, lets `firmware` boot under TCG
    /// and use it, and stops the guest CPU when the firmware reached its boot menu.
    pub fn start_after(device: Device, firmware: Firmware) -> Result<Self, QtestError> {
        Self::launch(device, true, Some(firmware))
    }

    fn launch(device: Device, tpm2: bool, firmware: Option<Firmware>) -> Result<Self, QtestError> {
        require_program("swtpm", "swtpm")?;
        require_program("qemu-system-x86_64", "qemu-system-x86")?;
        let dir = fresh_dir("qemu")?;
        let sock = dir.join("swtpm.sock");
        let mut swtpm = Command::new("swtpm");
        swtpm.arg("socket");
        if tpm2 {
            swtpm.arg("--tpm2");
        }
        let mut swtpm = swtpm
            .arg("--tpmstate")
            .arg(format!("dir={}", dir.display()))
            .arg("--ctrl")
            .arg(format!("type=unixio,path={}", sock.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        if let Err(e) = wait_for(&sock, &mut swtpm, "swtpm") {
            let _ = swtpm.kill();
            return Err(e);
        }
        let model = match device {
            Device::Tis => "tpm-tis",
            Device::Crb => "tpm-crb",
        };
        let mut qemu = Command::new("qemu-system-x86_64");
        qemu.args(["-M", "q35", "-display", "none", "-nodefaults"]);
        match firmware {
            None => {
                qemu.arg("-S");
            }
            Some(firmware) => {
                qemu.args(["-accel", "tcg", "-qmp"])
                    .arg(format!(
                        "unix:{},server=on,wait=off",
                        dir.join("qmp").display()
                    ))
                    .arg("-serial")
                    .arg(format!("file:{}", dir.join("serial.log").display()))
                    .arg("-debugcon")
                    .arg(format!("file:{}", dir.join("debugcon.log").display()))
                    .args(["-global", "isa-debugcon.iobase=0x402"]);
                if firmware == Firmware::Ovmf {
                    require_ovmf()?;
                    let vars = dir.join("vars.fd");
                    std::fs::copy(OVMF_VARS, &vars)?;
                    qemu.arg("-drive")
                        .arg(format!("if=pflash,format=raw,readonly=on,file={OVMF_CODE}"))
                        .arg("-drive")
                        .arg(format!("if=pflash,format=raw,file={}", vars.display()));
                }
            }
        }
        let qemu = qemu
            .args(["-qtest", "stdio", "-qtest-log", "/dev/null"])
            .arg("-chardev")
            .arg(format!("socket,id=chr,path={}", sock.display()))
            .args(["-tpmdev", "emulator,id=dev,chardev=chr", "-device"])
            .arg(format!("{model},tpmdev=dev"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut qemu = match qemu {
            Ok(q) => q,
            Err(e) => {
                let _ = swtpm.kill();
                return Err(e.into());
            }
        };
        let (Some(stdin), Some(stdout)) = (qemu.stdin.take(), qemu.stdout.take()) else {
            let _ = (qemu.kill(), swtpm.kill());
            return Err(QtestError::Protocol("no stdio pipes".into()));
        };
        let mut tpm = Self {
            qemu,
            swtpm,
            stdin,
            stdout: BufReader::new(stdout),
            dir,
            counts: AccessCounts::default(),
        };
        if let Some(firmware) = firmware {
            tpm.stop_after(firmware)?;
        }
        // The first exchange proves the qtest channel works.
        tpm.command("readb 0xfed40000")?;
        tpm.counts = AccessCounts::default();
        Ok(tpm)
    }

    /// Waits until `firmware` reached its boot menu (its console says so), then stops the
    /// guest CPU over QMP so that only the driver touches the registers from then on.
    fn stop_after(&mut self, firmware: Firmware) -> Result<(), QtestError> {
        let (log, marker) = match firmware {
            Firmware::SeaBios => ("debugcon.log", "No bootable device"),
            Firmware::Ovmf => ("serial.log", "startup.nsh"),
        };
        let log = self.dir.join(log);
        let deadline = Instant::now() + FIRMWARE_TIMEOUT;
        loop {
            let text = std::fs::read(&log).unwrap_or_default();
            if String::from_utf8_lossy(&text).contains(marker) {
                break;
            }
            if let Some(status) = self.qemu.try_wait()? {
                return Err(QtestError::Protocol(format!("QEMU exited: {status}")));
            }
            if Instant::now() > deadline {
                return Err(QtestError::Protocol(format!(
                    "{firmware:?} did not print {marker:?} within {FIRMWARE_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let qmp = std::os::unix::net::UnixStream::connect(self.dir.join("qmp"))?;
        qmp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(qmp.try_clone()?);
        let mut writer = qmp;
        let mut line = String::new();
        reader.read_line(&mut line)?; // the greeting
        for command in ["qmp_capabilities", "stop"] {
            writeln!(writer, "{{\"execute\": \"{command}\"}}")?;
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Err(QtestError::Protocol("QMP closed".into()));
                }
                if line.contains("\"return\"") {
                    break;
                }
                if line.contains("\"error\"") {
                    return Err(QtestError::Protocol(format!("QMP {command}: {line}")));
                }
            }
        }
        Ok(())
    }

    /// The accesses made so far.
    #[must_use]
    pub const fn counts(&self) -> AccessCounts {
        self.counts
    }

    /// Sends one qtest line and returns the value of its `OK` answer (0 if none).
    fn command(&mut self, line: &str) -> Result<u64, QtestError> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        let mut answer = String::new();
        loop {
            answer.clear();
            if self.stdout.read_line(&mut answer)? == 0 {
                return Err(QtestError::Protocol("QEMU closed qtest".into()));
            }
            // Log echoes start with '['; answers with OK, FAIL or ERR.
            if !answer.starts_with('[') {
                break;
            }
        }
        let answer = answer.trim();
        let Some(rest) = answer.strip_prefix("OK") else {
            return Err(QtestError::Protocol(answer.to_owned()));
        };
        let value = rest.trim().trim_start_matches("0x");
        if value.is_empty() {
            return Ok(0);
        }
        u64::from_str_radix(value, 16).map_err(|_| QtestError::Protocol(answer.to_owned()))
    }

    fn read(&mut self, op: &str, offset: u32) -> Result<u64, QtestError> {
        self.counts.reads += 1;
        self.command(&format!("{op} {:#x}", BASE + u64::from(offset)))
    }

    fn write(&mut self, op: &str, offset: u32, value: u64) -> Result<(), QtestError> {
        self.counts.writes += 1;
        self.command(&format!("{op} {:#x} {value:#x}", BASE + u64::from(offset)))
            .map(drop)
    }
}

impl RegisterAccess for QemuTpm {
    type Error = QtestError;

    fn read8(&mut self, offset: u32) -> Result<u8, QtestError> {
        self.read("readb", offset).map(|v| v.to_le_bytes()[0])
    }
    fn read16(&mut self, offset: u32) -> Result<u16, QtestError> {
        self.read("readw", offset)
            .map(|v| u16::from_le_bytes([v.to_le_bytes()[0], v.to_le_bytes()[1]]))
    }
    fn read32(&mut self, offset: u32) -> Result<u32, QtestError> {
        self.read("readl", offset)
            .map(|v| u32::try_from(v & 0xFFFF_FFFF).unwrap_or(u32::MAX))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), QtestError> {
        self.write("writeb", offset, value.into())
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), QtestError> {
        self.write("writew", offset, value.into())
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), QtestError> {
        self.write("writel", offset, value.into())
    }
}

impl QemuTpm {
    /// Stops QEMU and swtpm and keeps the TPM state: a directory to start swtpm on again
    /// (for tpm2-tools on the same TPM), which the caller removes.
    pub fn into_state(mut self) -> std::io::Result<PathBuf> {
        self.stop();
        let kept = fresh_dir("tpm-state")?;
        // swtpm's state files: tpm2-00.permall (and tpm2-00.volatilestate).
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if let Some(name) = name.filter(|n| n.starts_with("tpm2-")) {
                std::fs::copy(&path, kept.join(name))?;
            }
        }
        Ok(kept)
    }

    fn stop(&mut self) {
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
        let _ = self.swtpm.kill();
        let _ = self.swtpm.wait();
    }
}

impl Drop for QemuTpm {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The least register accesses a round trip can make on one interface with the checks its
/// driver keeps: the data moved with the widest accesses the interface allows, and every
/// other access, by name, so that a check added or dropped shows in the test.
#[derive(Debug, Clone, Copy)]
pub struct Minimum {
    /// The interface, for the printed line.
    pub interface: &'static str,
    /// The accesses that move `n` bytes: [`fifo_data`] or [`buffer_data`].
    pub data: fn(u64) -> u64,
    /// The accesses that take and give back the locality (or check it, where it is held),
    /// one name each.
    pub locality: &'static [&'static str],
    /// Every other access of the round trip, one name each.
    pub exchange: &'static [&'static str],
}

/// The accesses that move `n` bytes through one FIFO register: 32-bit ones, then a 16-bit
/// and an 8-bit one for the tail (a FIFO takes every byte written, so no access may carry
/// padding).
#[must_use]
pub const fn fifo_data(n: u64) -> u64 {
    n / 4 + (n % 4) / 2 + n % 2
}

/// The accesses that move `n` bytes to or from a CRB buffer, which is memory: 32-bit ones,
/// the tail as one more (padding past the command, or bytes past the response, are never
/// the TPM's to read or the caller's to keep).
#[must_use]
pub const fn buffer_data(n: u64) -> u64 {
    n.div_ceil(4)
}

/// The register accesses of one EK CreatePrimary round trip (355 bytes out) through a
/// driver on [`QemuTpm`], without the completion polls (one access per pause, which `polls`
/// reads from the driver's delay). Prints them beside `minimum` and the 32-bit-word count,
/// checks that they are exactly the minimum, and returns them.
///
/// # Panics
///
/// If the round trip fails, the response is not the RSA EK's, or it took any access more
/// or fewer than the minimum.
pub fn ek_round_trip_accesses<T: tpm2_wire::Transport>(
    mut driver: T,
    counts: impl Fn(&mut T) -> AccessCounts,
    polls: impl FnOnce(T) -> u64,
    minimum: &Minimum,
) -> u64
where
    T::Error: core::fmt::Debug,
{
    let mut buf = [0u8; 4096];
    let len = crate::frames::ek_create_primary(&mut buf);
    assert_eq!(len, 355);
    let start = counts(&mut driver);
    let rsp_len = driver.transact(&mut buf, len).unwrap().len();
    let end = counts(&mut driver);
    assert!(rsp_len > 500, "the RSA EK's response");
    let polls = polls(driver);
    let accesses = end.total() - start.total();
    let fixed = accesses - polls;
    let (out, back) = (len as u64, rsp_len as u64);
    let data = (minimum.data)(out) + (minimum.data)(back);
    let names: Vec<&str> = minimum
        .locality
        .iter()
        .chain(minimum.exchange)
        .copied()
        .collect();
    let handshake = names.len() as u64;
    let interface = minimum.interface;
    println!(
        "{interface} EK CreatePrimary: {len} B out, {rsp_len} B back: {accesses} accesses \
         ({} reads, {} writes), of which {polls} completion polls; {fixed} without polls. \
         Minimum {}: {data} data + {handshake} handshake ({}); 32-bit words alone: {}",
        end.reads - start.reads,
        end.writes - start.writes,
        data + handshake,
        names.join(", "),
        out.div_ceil(4) + back.div_ceil(4),
    );
    assert_eq!(
        fixed,
        data + handshake,
        "{interface}: the round trip's accesses beyond the polls against its minimum"
    );
    fixed
}
