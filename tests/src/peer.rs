//! The TPM a suite runs against: libtpms in-process by default, or the mssim endpoint named
//! in `TPM2_TEST_MSSIM` (`HOST:PORT`; `cargo xtask test --mssim HOST:PORT` sets it), such as
//! a locally built TCG reference simulator. A simulator keeps its state between clients and
//! serves one at a time, so each test takes it in turn and starts from a known state: power
//! off and on, NV_ON, TPM2_Startup(CLEAR), TPM2_Clear through the platform hierarchy.

use core::fmt;
use core::time::Duration;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tpm2_cmds::host::{HostError, Mssim};
use tpm2_cmds::{StartupOutcome, Tpm};
use tpm2_wire::{Auth, Handle, StartupType, Transport, TransportError, TransportErrorKind};

use crate::delay::VirtualClock;
use crate::libtpms::{Libtpms, LibtpmsError};

/// The environment variable naming an mssim endpoint.
pub const MSSIM_ENV: &str = "TPM2_TEST_MSSIM";

/// One test at a time on an external simulator.
static SIMULATOR: Mutex<()> = Mutex::new(());

/// The TPM under test.
#[derive(Debug)]
pub enum Peer {
    /// libtpms in-process, manufacture-fresh.
    Libtpms(Libtpms),
    /// An external mssim simulator, held for this test.
    Mssim(Box<Mssim>, MutexGuard<'static, ()>),
}

/// Either peer's failure.
#[derive(Debug)]
pub enum PeerError {
    /// libtpms failed.
    Libtpms(LibtpmsError),
    /// The simulator connection failed.
    Mssim(HostError),
    /// Bringing the simulator to a known state failed.
    Reset(String),
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Libtpms(e) => e.fmt(f),
            Self::Mssim(e) => e.fmt(f),
            Self::Reset(e) => write!(f, "resetting the simulator: {e}"),
        }
    }
}

impl std::error::Error for PeerError {}

impl TransportError for PeerError {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::Libtpms(e) => e.kind(),
            Self::Mssim(e) => e.kind(),
            Self::Reset(_) => TransportErrorKind::Other,
        }
    }
}

impl Transport for Peer {
    type Error = PeerError;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], PeerError> {
        match self {
            Self::Libtpms(t) => t.transact(buf, len).map_err(PeerError::Libtpms),
            Self::Mssim(t, _) => t.transact(buf, len).map_err(PeerError::Mssim),
        }
    }
}

impl Peer {
    /// The endpoint in [`MSSIM_ENV`], if set.
    #[must_use]
    pub fn endpoint() -> Option<String> {
        std::env::var(MSSIM_ENV).ok().filter(|v| !v.is_empty())
    }

    /// Whether the suite runs against an external simulator.
    #[must_use]
    pub fn is_external() -> bool {
        Self::endpoint().is_some()
    }
}

/// A client of the peer, after TPM2_Startup(CLEAR) (which it asserts was needed: the TPM
/// was not started), with owner, endorsement and lockout hierarchies as manufactured.
pub fn started() -> Result<Tpm<Peer, VirtualClock>, PeerError> {
    let Some(endpoint) = Peer::endpoint() else {
        let mut tpm = Tpm::new(
            Peer::Libtpms(Libtpms::start().map_err(PeerError::Libtpms)?),
            VirtualClock::default(),
        );
        assert_started(&mut tpm)?;
        return Ok(tpm);
    };
    let turn = SIMULATOR.lock().unwrap_or_else(PoisonError::into_inner);
    let mut link =
        Mssim::connect(endpoint.as_str(), Duration::from_secs(10)).map_err(PeerError::Mssim)?;
    link.power_cycle().map_err(PeerError::Mssim)?;
    let mut tpm = Tpm::new(Peer::Mssim(Box::new(link), turn), VirtualClock::default());
    assert_started(&mut tpm)?;
    tpm.clear(Handle::PLATFORM, Auth::EMPTY)
        .map_err(|e| PeerError::Reset(format!("TPM2_Clear(platform) at {endpoint}: {e}")))?;
    Ok(tpm)
}

fn assert_started(tpm: &mut Tpm<Peer, VirtualClock>) -> Result<(), PeerError> {
    match tpm.startup(StartupType::CLEAR) {
        Ok(outcome) => {
            assert_eq!(outcome, StartupOutcome::Started, "a fresh or rebooted TPM");
            Ok(())
        }
        Err(tpm2_cmds::Error::Transport(e)) => Err(e),
        Err(e) => panic!("TPM2_Startup: {e}"),
    }
}

/// How many handles of the given types the TPM holds (transient objects, sessions loaded or
/// saved): what a test that must leave nothing behind counts afterwards.
///
/// # Panics
///
/// If the TPM refuses GetCapability.
pub fn handles_left<T: tpm2_wire::Transport, D: embedded_hal::delay::DelayNs>(
    tpm: &mut Tpm<T, D>,
    types: &[tpm2_wire::HandleType],
) -> usize
where
    T::Error: core::fmt::Debug,
{
    let mut n = 0;
    for &ht in types {
        tpm.for_each_capability(tpm2_wire::Capability::HANDLES, ht.first().0, |data| {
            if let tpm2_wire::CapabilityData::Handles(list) = data {
                n += list.iter().filter(|h| h.handle_type() == ht).count();
            }
        })
        .expect("GetCapability(HANDLES)");
    }
    n
}
