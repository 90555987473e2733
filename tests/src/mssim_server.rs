//! A server of the TCG simulator's mssim protocol fronting libtpms, behaving as the reference
//! simulator (ms-tpm-20-ref) does where the tests depend on it: one TPM for the server's
//! life, whose state and power outlive client connections; TPM2 commands refused with
//! TPM_RC_NV_UNAVAILABLE until NV_ON; a second POWER_ON while powered does not reset; each
//! port serves one client at a time (a second client waits, its reads block).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use tpm2_wire::Transport;

use crate::libtpms::Libtpms;

const POWER_ON: u32 = 1;
const POWER_OFF: u32 = 2;
const SEND_COMMAND: u32 = 8;
const NV_ON: u32 = 11;
const NV_OFF: u32 = 12;
const SESSION_END: u32 = 20;
const STOP: u32 = 21;

/// TPM_RC_NV_UNAVAILABLE, as the reference simulator answers before NV_ON.
const NV_UNAVAILABLE: [u8; 10] = [0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x09, 0x23];

/// What the platform port sets and the TPM port obeys.
#[derive(Debug, Default)]
struct Platform {
    powered: AtomicBool,
    nv_on: AtomicBool,
    /// A power-on after a power-off: the TPM resets before its next command.
    reset: AtomicBool,
    stop: AtomicBool,
}

/// The server: a TPM port and a platform port (the next one).
#[derive(Debug)]
pub struct MssimServer {
    addr: SocketAddr,
    platform: Arc<Platform>,
    threads: Vec<JoinHandle<()>>,
}

fn read_u32(s: &mut TcpStream) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    s.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

/// One client of the TPM port, until it ends its session or disconnects.
fn serve_tpm(s: &mut TcpStream, tpm: &mut Libtpms, p: &Platform) -> std::io::Result<()> {
    let mut buf = vec![0u8; 4096];
    loop {
        match read_u32(s)? {
            SEND_COMMAND => {
                let mut locality = [0u8; 1];
                s.read_exact(&mut locality)?;
                let len = read_u32(s)? as usize;
                let mut command = vec![0u8; len];
                s.read_exact(&mut command)?;
                if !p.powered.load(Ordering::SeqCst) {
                    s.write_all(&[0; 8])?;
                    continue;
                }
                if p.reset.swap(false, Ordering::SeqCst) {
                    tpm.power_cycle().map_err(std::io::Error::other)?;
                }
                let rsp = if p.nv_on.load(Ordering::SeqCst) {
                    tpm.set_locality(locality[0]);
                    buf[..len].copy_from_slice(&command);
                    tpm.transact(&mut buf, len).map_err(std::io::Error::other)?
                } else {
                    &NV_UNAVAILABLE[..]
                };
                s.write_all(&u32::try_from(rsp.len()).unwrap_or(0).to_be_bytes())?;
                s.write_all(rsp)?;
                s.write_all(&0u32.to_be_bytes())?;
            }
            SESSION_END | STOP => return Ok(()),
            _ => s.write_all(&1u32.to_be_bytes())?,
        }
    }
}

/// One client of the platform port.
fn serve_platform(s: &mut TcpStream, p: &Platform) -> std::io::Result<()> {
    loop {
        match read_u32(s)? {
            POWER_ON => {
                if !p.powered.swap(true, Ordering::SeqCst) {
                    p.reset.store(true, Ordering::SeqCst);
                }
            }
            POWER_OFF => p.powered.store(false, Ordering::SeqCst),
            NV_ON => p.nv_on.store(true, Ordering::SeqCst),
            NV_OFF => p.nv_on.store(false, Ordering::SeqCst),
            SESSION_END | STOP => return Ok(()),
            _ => {
                s.write_all(&1u32.to_be_bytes())?;
                return Ok(());
            }
        }
        s.write_all(&0u32.to_be_bytes())?;
    }
}

/// Accepts clients one after another until the server stops.
fn accept_loop(listener: &TcpListener, p: &Platform, mut serve: impl FnMut(&mut TcpStream)) {
    while let Ok((mut s, _)) = listener.accept() {
        if p.stop.load(Ordering::SeqCst) {
            return;
        }
        serve(&mut s);
    }
}

impl MssimServer {
    /// Listens on two consecutive loopback ports with a manufacture-fresh TPM, powered off.
    pub fn start() -> std::io::Result<Self> {
        let (tpm_port, platform_port) = loop {
            let tpm = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let port = tpm.local_addr()?.port();
            if let Ok(platform) = TcpListener::bind((Ipv4Addr::LOCALHOST, port.wrapping_add(1))) {
                break (tpm, platform);
            }
        };
        let addr = tpm_port.local_addr()?;
        let platform = Arc::new(Platform::default());
        let (p1, p2) = (Arc::clone(&platform), Arc::clone(&platform));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let tpm_thread = std::thread::spawn(move || {
            // libtpms is one instance per process, owned by this thread.
            let mut tpm = match Libtpms::start() {
                Ok(tpm) => tpm,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            let _ = ready_tx.send(Ok(()));
            accept_loop(&tpm_port, &p1, |s| drop(serve_tpm(s, &mut tpm, &p1)));
        });
        let platform_thread = std::thread::spawn(move || {
            accept_loop(&platform_port, &p2, |s| drop(serve_platform(s, &p2)));
        });
        ready_rx
            .recv()
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        Ok(Self {
            addr,
            platform,
            threads: vec![tpm_thread, platform_thread],
        })
    }

    /// The TPM port's address.
    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MssimServer {
    fn drop(&mut self) {
        self.platform.stop.store(true, Ordering::SeqCst);
        // Wake both accept loops; a client still connected is served to its end first.
        let mut platform = self.addr;
        platform.set_port(self.addr.port().wrapping_add(1));
        for addr in [self.addr, platform] {
            if let Ok(mut s) = TcpStream::connect(addr) {
                let _ = s.write_all(&STOP.to_be_bytes());
            }
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
