//! swtpm serving a TPM 2.0 on loopback TCP, spawned per test.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::qemu::{QtestError, fresh_dir, require_program};

/// A running `swtpm socket --server type=tcp` with its control channel on the next port,
/// as tpm2-tss's swtpm TCTI expects. Killed, and its state removed, on drop.
#[derive(Debug)]
pub struct SwtpmServer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// Two consecutive free loopback ports.
fn free_port_pair() -> std::io::Result<u16> {
    for _ in 0..50 {
        let a = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = a.local_addr()?.port();
        if port < u16::MAX && TcpListener::bind((Ipv4Addr::LOCALHOST, port + 1)).is_ok() {
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no two consecutive free ports"))
}

impl SwtpmServer {
    /// Starts a manufacture-fresh swtpm that has run TPM2_Startup(CLEAR) itself.
    pub fn start() -> Result<Self, QtestError> {
        Self::start_in(fresh_dir("swtpm")?)
    }

    /// Starts swtpm on the TPM state in `dir` (manufactured there if empty), after
    /// TPM2_Startup(CLEAR). `dir` is removed on drop.
    pub fn start_in(dir: PathBuf) -> Result<Self, QtestError> {
        /// Held from choosing the ports until swtpm listens on them: tests run in parallel
        /// threads, and a port checked free by one could otherwise be chosen by another
        /// before either swtpm binds it (then both tests talk to the one that bound it, and
        /// the first to finish kills it under the other).
        static CHOOSING_PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());
        require_program("swtpm", "swtpm")?;
        let _choosing = CHOOSING_PORTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let port = free_port_pair()?;
        let child = Command::new("swtpm")
            .args(["socket", "--tpm2", "--flags", "not-need-init,startup-clear"])
            .arg("--tpmstate")
            .arg(format!("dir={}", dir.display()))
            .arg("--server")
            .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
            .arg("--ctrl")
            .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", port + 1))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = Self { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(server.addr()).is_err() {
            if Instant::now() > deadline {
                return Err(QtestError::Protocol("swtpm did not listen".into()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(server)
    }

    /// The command socket.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to the swtpm process.
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status();
    }

    /// Runs `tpm2_createek -G rsa` (tpm2-tools) on this TPM: the RSA EK persisted at
    /// 0x81010001, its TPM2B_PUBLIC written to `public`.
    pub fn tpm2_createek(&self, public: &std::path::Path) -> Result<(), QtestError> {
        require_program("tpm2_createek", "tpm2-tools")?;
        let out = Command::new("tpm2_createek")
            .args(["-T", &self.tcti(), "-G", "rsa", "-c", "0x81010001", "-u"])
            .arg(public)
            .output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(QtestError::Protocol(format!(
                "tpm2_createek: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// The Name `tpm2_createek -G rsa` gives the RSA EK on the TPM state in `state` (swtpm
    /// started there, the EK persisted by tpm2-tools, its Name read back).
    pub fn tpm2_createek_name(state: PathBuf) -> Result<Vec<u8>, QtestError> {
        let swtpm = Self::start_in(state)?;
        let public = swtpm.dir.join("ek.pub");
        swtpm.tpm2_createek(&public)?;
        let link = tpm2_cmds::host::Swtpm::connect(swtpm.addr(), Duration::from_secs(30))
            .map_err(|e| QtestError::Protocol(e.to_string()))?;
        let mut tpm = tpm2_cmds::Tpm::new(link, crate::delay::VirtualClock::default());
        let public = tpm
            .read_public(tpm2_wire::reserved::RSA_EK)
            .map_err(|e| QtestError::Protocol(e.to_string()))?;
        Ok(public.name.as_bytes().to_vec())
    }

    /// The tpm2-tss TCTI string for tpm2-tools.
    #[must_use]
    pub fn tcti(&self) -> String {
        format!("swtpm:host=127.0.0.1,port={}", self.port)
    }
}

impl Drop for SwtpmServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
