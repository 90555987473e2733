//! A small server of the TCG simulator's mssim protocol fronting libtpms, to test the mssim
//! transport against a real TPM behind the real framing.

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
const SESSION_END: u32 = 20;

/// The server: a TPM port and a platform port (the next one), one client each.
#[derive(Debug)]
pub struct MssimServer {
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

fn read_u32(s: &mut TcpStream) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    s.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn serve_tpm(mut s: TcpStream, powered: &AtomicBool) -> std::io::Result<()> {
    let mut tpm = Libtpms::start().map_err(std::io::Error::other)?;
    let mut buf = vec![0u8; 4096];
    loop {
        match read_u32(&mut s)? {
            SEND_COMMAND => {
                let mut locality = [0u8; 1];
                s.read_exact(&mut locality)?;
                let len = read_u32(&mut s)? as usize;
                let mut command = vec![0u8; len];
                s.read_exact(&mut command)?;
                if !powered.load(Ordering::SeqCst) {
                    s.write_all(&[0; 8])?;
                    continue;
                }
                tpm.set_locality(locality[0]);
                buf[..len].copy_from_slice(&command);
                let rsp = tpm.transact(&mut buf, len).map_err(std::io::Error::other)?;
                s.write_all(&u32::try_from(rsp.len()).unwrap_or(0).to_be_bytes())?;
                s.write_all(rsp)?;
                s.write_all(&0u32.to_be_bytes())?;
            }
            SESSION_END => return Ok(()),
            _ => s.write_all(&1u32.to_be_bytes())?,
        }
    }
}

fn serve_platform(mut s: TcpStream, powered: &AtomicBool) -> std::io::Result<()> {
    loop {
        match read_u32(&mut s)? {
            POWER_ON => powered.store(true, Ordering::SeqCst),
            POWER_OFF => powered.store(false, Ordering::SeqCst),
            NV_ON => {}
            SESSION_END => return Ok(()),
            _ => {
                s.write_all(&1u32.to_be_bytes())?;
                return Ok(());
            }
        }
        s.write_all(&0u32.to_be_bytes())?;
    }
}

impl MssimServer {
    /// Listens on two consecutive loopback ports and serves one client.
    pub fn start() -> std::io::Result<Self> {
        let (tpm, platform) = loop {
            let tpm = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let port = tpm.local_addr()?.port();
            if let Ok(platform) = TcpListener::bind((Ipv4Addr::LOCALHOST, port.wrapping_add(1))) {
                break (tpm, platform);
            }
        };
        let addr = tpm.local_addr()?;
        let powered = Arc::new(AtomicBool::new(false));
        let p = Arc::clone(&powered);
        let tpm_thread = std::thread::spawn(move || {
            if let Ok((s, _)) = tpm.accept() {
                let _ = serve_tpm(s, &powered);
            }
        });
        let platform_thread = std::thread::spawn(move || {
            if let Ok((s, _)) = platform.accept() {
                let _ = serve_platform(s, &p);
            }
        });
        Ok(Self {
            addr,
            threads: vec![tpm_thread, platform_thread],
        })
    }

    /// The TPM port's address.
    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for both connections to end.
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}
