//! Where the doctor finds a TPM: a Linux device (the default, read-only), hardware through
//! /dev/mem, an mssim or swtpm socket, and with the `sim` feature QEMU's device models behind
//! our drivers and libtpms in-process.

use core::fmt;
use core::str::FromStr;
use core::time::Duration;
use std::path::PathBuf;

use tpm2_cmds::host::{Device, HostError, Mssim, StdDelay, Swtpm};
use tpm2_crb::{CrbError, Device as RegisterDevice, DeviceError};
use tpm2_tis::{Mmio, Probe, RegisterAccess, TisError};
use tpm2_wire::{Transport, TransportError, TransportErrorKind};

use crate::Scenario;

/// How long connecting to a simulator may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The firmware that boots before the doctor attaches to QEMU's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// SeaBIOS.
    SeaBios,
    /// OVMF.
    Ovmf,
}

/// A backend named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendSpec {
    /// The FIFO driver over QEMU's tpm-tis, backed by swtpm; with firmware, SeaBIOS or OVMF
    /// boots first and uses the TPM (`qemu-tis+seabios`, `qemu-tis+ovmf`).
    QemuTis(Option<Firmware>),
    /// The CRB driver over QEMU's tpm-crb, likewise (`qemu-crb`, `+seabios`, `+ovmf`).
    QemuCrb(Option<Firmware>),
    /// libtpms in-process.
    Libtpms,
    /// A TCG simulator (mssim protocol) at HOST:PORT.
    Mssim(String),
    /// swtpm's socket at HOST:PORT.
    Swtpm(String),
    /// A Linux TPM device.
    Dev(PathBuf),
    /// Real hardware through /dev/mem.
    Mmio,
}

impl BackendSpec {
    /// Whether the backend is a simulator that keeps its state between runs.
    #[must_use]
    pub const fn keeps_state(&self) -> bool {
        matches!(self, Self::Mssim(_) | Self::Swtpm(_))
    }

    /// Whether the backend is one of the simulators of the `sim` feature.
    #[must_use]
    pub const fn is_simulated(&self) -> bool {
        matches!(self, Self::QemuTis(_) | Self::QemuCrb(_) | Self::Libtpms)
    }
}

impl FromStr for BackendSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let addr = |a: &str| match a.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(a.to_owned())
            }
            _ => Err(format!("{a:?}: expected HOST:PORT")),
        };
        let (name, firmware) = match s.split_once('+') {
            Some((name, "seabios")) => (name, Some(Firmware::SeaBios)),
            Some((name, "ovmf")) => (name, Some(Firmware::Ovmf)),
            _ => (s, None),
        };
        Ok(match name.split_once(':') {
            None if name == "qemu-tis" => Self::QemuTis(firmware),
            None if name == "qemu-crb" => Self::QemuCrb(firmware),
            None if s == "libtpms" => Self::Libtpms,
            None if s == "mmio" => Self::Mmio,
            Some(("mssim", a)) => Self::Mssim(addr(a)?),
            Some(("swtpm", a)) => Self::Swtpm(addr(a)?),
            Some(("dev", p)) => Self::Dev(PathBuf::from(p)),
            _ => {
                return Err(format!(
                    "unknown backend {s:?}: qemu-tis, qemu-crb (either with +seabios or +ovmf), \
                     libtpms, mssim:HOST:PORT, swtpm:HOST:PORT, dev:/dev/tpmrm0 or mmio"
                ));
            }
        })
    }
}

/// The register buses the drivers run over.
#[derive(Debug)]
pub enum Bus {
    /// Hardware.
    Mmio(Mmio),
    /// A simulated register window (QEMU's device models, the fault model).
    #[cfg(feature = "sim")]
    Sim(crate::sim::SimBus),
}

/// A register bus failure.
#[derive(Debug)]
pub struct BusError(pub String);

macro_rules! dispatch {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            Self::Mmio($b) => $e.map_err(|e| BusError(e.to_string())),
            #[cfg(feature = "sim")]
            Self::Sim($b) => $e,
        }
    };
}

impl RegisterAccess for Bus {
    type Error = BusError;
    fn read8(&mut self, o: u32) -> Result<u8, BusError> {
        dispatch!(self, b => b.read8(o))
    }
    fn read16(&mut self, o: u32) -> Result<u16, BusError> {
        dispatch!(self, b => b.read16(o))
    }
    fn read32(&mut self, o: u32) -> Result<u32, BusError> {
        dispatch!(self, b => b.read32(o))
    }
    fn write8(&mut self, o: u32, v: u8) -> Result<(), BusError> {
        dispatch!(self, b => b.write8(o, v))
    }
    fn write16(&mut self, o: u32, v: u16) -> Result<(), BusError> {
        dispatch!(self, b => b.write16(o, v))
    }
    fn write32(&mut self, o: u32, v: u32) -> Result<(), BusError> {
        dispatch!(self, b => b.write32(o, v))
    }
}

/// A transport failure of any backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError {
    /// Its kind.
    pub kind: TransportErrorKind,
    /// What happened.
    pub message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl TransportError for LinkError {
    fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

fn link_error(e: &impl TransportError) -> LinkError {
    LinkError {
        kind: e.kind(),
        message: e.to_string(),
    }
}

/// Any backend's transport.
#[derive(Debug)]
pub enum Link {
    /// The FIFO or CRB driver, as the probe chose.
    Registers(Box<RegisterDevice<Bus, StdDelay>>),
    /// libtpms.
    #[cfg(feature = "sim")]
    Libtpms(tpm2_tests::libtpms::Libtpms),
    /// mssim.
    Mssim(Mssim),
    /// swtpm.
    Swtpm(Swtpm),
    /// A Linux device.
    Dev(Device),
}

impl Transport for Link {
    type Error = LinkError;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], LinkError> {
        match self {
            Self::Registers(t) => t.transact(buf, len).map_err(|e| link_error(&e)),
            #[cfg(feature = "sim")]
            Self::Libtpms(t) => t.transact(buf, len).map_err(|e| link_error(&e)),
            Self::Mssim(t) => t.transact(buf, len).map_err(|e| link_error(&e)),
            Self::Swtpm(t) => t.transact(buf, len).map_err(|e| link_error(&e)),
            Self::Dev(t) => t.transact(buf, len).map_err(|e| link_error(&e)),
        }
    }
}

/// How the TPM was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// Through a register driver, with what the probe found and whether the driver keeps
    /// the locality between commands (it found it active, left so by firmware).
    Registers(Probe, bool),
    /// Through a host transport (no registers to inspect).
    Host,
}

/// Why the TPM could not be opened: the interface check's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFailure {
    /// `none`, `tpm12`, or the interface kind found.
    pub interface: &'static str,
    /// What happened.
    pub summary: String,
    /// The remedy.
    pub remedy: String,
}

pub(crate) fn tis_failure<E: fmt::Debug>(e: &TisError<E>) -> OpenFailure {
    let (interface, remedy) = match e {
        TisError::NoTpm => ("none", crate::diagnosis::NO_TPM.to_owned()),
        TisError::Tpm12 => ("tpm12", crate::diagnosis::TPM12.to_owned()),
        TisError::LocalityNotGranted { .. } => (
            "fifo",
            "Another agent (firmware, SMM, another OS driver) holds the TPM: stop it, or \
             reboot so that the firmware releases locality 0."
                .to_owned(),
        ),
        _ => (
            "fifo",
            "Check the TPM module and its firmware; power-cycle the host.".to_owned(),
        ),
    };
    OpenFailure {
        interface,
        summary: e.to_string(),
        remedy,
    }
}

pub(crate) fn crb_failure<E: fmt::Debug>(e: &CrbError<E>) -> OpenFailure {
    let (interface, remedy) = match e {
        CrbError::NoTpm => ("none", crate::diagnosis::NO_TPM.to_owned()),
        CrbError::Tpm12 => ("tpm12", crate::diagnosis::TPM12.to_owned()),
        CrbError::BufferOutsideWindow { .. } => (
            "crb",
            "Not a firmware fault: AMD fTPM and some PTT place the CRB buffers in reserved \
             memory outside 0xFED40000..0xFED45000 (the ACPI TPM2 device's _CRS lists them). \
             Map that range as a second window (tpm2_crb::Config::buffer_window with \
             tpm2_crb::TwoWindows), or use dev:/dev/tpmrm0, whose kernel driver does so."
                .to_owned(),
        ),
        _ => (
            "crb",
            "Check the firmware TPM (fTPM/PTT) settings; update the BIOS.".to_owned(),
        ),
    };
    OpenFailure {
        interface,
        summary: e.to_string(),
        remedy,
    }
}

fn host_failure(what: &str, e: &HostError) -> OpenFailure {
    OpenFailure {
        interface: "host",
        summary: format!("{what} failed: {e}"),
        remedy: "Check that the simulator or device is running and reachable.".to_owned(),
    }
}

/// Opens a driver on `bus`: FIFO or CRB, whichever the probe finds.
pub(crate) fn open_registers(bus: Bus) -> Result<(Link, Reached), OpenFailure> {
    let device = RegisterDevice::open(
        bus,
        StdDelay,
        tpm2_tis::Config::default(),
        tpm2_crb::Config::default(),
    )
    .map_err(|e| match e {
        DeviceError::Fifo(e) => tis_failure(&e),
        DeviceError::Crb(e) => crb_failure(&e),
    })?;
    let reached = Reached::Registers(*device.probe(), device.holds_locality());
    Ok((Link::Registers(Box::new(device)), reached))
}

/// Opens `spec` prepared for `scenario`.
pub fn open(spec: &BackendSpec, scenario: Scenario) -> Result<(Link, Reached), OpenFailure> {
    match spec {
        BackendSpec::QemuTis(_) | BackendSpec::QemuCrb(_) | BackendSpec::Libtpms => {
            open_simulated(spec, scenario)
        }
        BackendSpec::Mssim(addr) => {
            let mut link = Mssim::connect(addr.as_str(), CONNECT_TIMEOUT)
                .map_err(|e| host_failure("connect", &e))?;
            // A scenario starts from a reboot: the simulator keeps its state between runs.
            if scenario == Scenario::Fresh {
                link.power_on()
            } else {
                link.power_cycle()
            }
            .map_err(|e| host_failure("mssim power", &e))?;
            Ok((Link::Mssim(link), Reached::Host))
        }
        BackendSpec::Swtpm(addr) => {
            if scenario != Scenario::Fresh {
                // CMD_INIT on the control channel (the next port): a reboot of the TPM.
                let control = next_port(addr).ok_or_else(|| OpenFailure {
                    interface: "host",
                    summary: format!("{addr}: no control port after it"),
                    remedy: "Give the server port of swtpm; its control port is the next one."
                        .into(),
                })?;
                Swtpm::init(control.as_str()).map_err(|e| host_failure("swtpm reset", &e))?;
            }
            let link = Swtpm::connect(addr.as_str(), CONNECT_TIMEOUT)
                .map_err(|e| host_failure("connect", &e))?;
            Ok((Link::Swtpm(link), Reached::Host))
        }
        BackendSpec::Dev(path) => {
            let dev = Device::open(path).map_err(|e| host_failure("open", &e))?;
            Ok((Link::Dev(dev), Reached::Host))
        }
        BackendSpec::Mmio => crate::mmio::open().and_then(|m| open_registers(Bus::Mmio(m))),
    }
}

/// HOST:PORT+1.
fn next_port(addr: &str) -> Option<String> {
    let (host, port) = addr.rsplit_once(':')?;
    let port = port.parse::<u16>().ok()?.checked_add(1)?;
    Some(format!("{host}:{port}"))
}

#[cfg(feature = "sim")]
fn open_simulated(spec: &BackendSpec, scenario: Scenario) -> Result<(Link, Reached), OpenFailure> {
    crate::sim::open(spec, scenario)
}

#[cfg(not(feature = "sim"))]
fn open_simulated(_: &BackendSpec, _: Scenario) -> Result<(Link, Reached), OpenFailure> {
    Err(OpenFailure {
        interface: "none",
        summary: "this tpm2-doctor was built without simulators (cargo feature `sim`)".into(),
        remedy: "Use dev:/dev/tpmrm0, mmio, mssim:HOST:PORT or swtpm:HOST:PORT, or build with \
                 the default features."
            .into(),
    })
}
