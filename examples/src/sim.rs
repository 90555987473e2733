//! The simulated backends (cargo feature `sim`, on by default): QEMU's tpm-tis and tpm-crb
//! backed by swtpm over qtest, after SeaBIOS or OVMF if asked, the fault-injecting FIFO model
//! for the scenarios no simulator can play, and libtpms in-process.

use core::time::Duration;

use tpm2_cmds::ek::EkKind;
use tpm2_cmds::{Error, Failure};
use tpm2_tests::ca;
use tpm2_tests::fault_tis::{FaultTis, TisFault};
use tpm2_tests::libtpms::Libtpms;
use tpm2_tests::qemu::{Device as QemuDevice, Firmware as QemuFirmware, QemuTpm, QtestError};
use tpm2_tis::RegisterAccess;
use tpm2_wire::{AlgId, Auth, Handle, NvAttributes, NvPublic, PublicParameters, StartupType};

use crate::Scenario;
use crate::backend::{
    BackendSpec, Bus, BusError, Firmware, Link, LinkError, OpenFailure, Reached, open_registers,
};
use crate::checks::Client;

/// A simulated register window.
#[derive(Debug)]
pub enum SimBus {
    /// QEMU's device model.
    Qemu(QemuTpm),
    /// QEMU's tpm-tis with INTERFACE_ID reading all-ones: a TPM 2.0 behind a TIS 1.3 view,
    /// as the Infineon modules of the ESXi logs present themselves.
    Tis13(QemuTpm),
    /// The fault-injecting register model: nothing at the address, or a scripted TPM.
    Model(FaultTis),
}

fn qemu<T>(r: Result<T, QtestError>) -> Result<T, BusError> {
    r.map_err(|e| BusError(e.to_string()))
}

impl RegisterAccess for SimBus {
    type Error = BusError;
    fn read8(&mut self, o: u32) -> Result<u8, BusError> {
        match self {
            Self::Qemu(b) | Self::Tis13(b) => qemu(b.read8(o)),
            Self::Model(b) => b.read8(o).map_err(|e| match e {}),
        }
    }
    fn read16(&mut self, o: u32) -> Result<u16, BusError> {
        match self {
            Self::Qemu(b) | Self::Tis13(b) => qemu(b.read16(o)),
            Self::Model(b) => b.read16(o).map_err(|e| match e {}),
        }
    }
    fn read32(&mut self, o: u32) -> Result<u32, BusError> {
        match self {
            Self::Tis13(_) if o == tpm2_tis::regs::INTERFACE_ID => Ok(u32::MAX),
            Self::Qemu(b) | Self::Tis13(b) => qemu(b.read32(o)),
            Self::Model(b) => b.read32(o).map_err(|e| match e {}),
        }
    }
    fn write8(&mut self, o: u32, v: u8) -> Result<(), BusError> {
        match self {
            Self::Qemu(b) | Self::Tis13(b) => qemu(b.write8(o, v)),
            Self::Model(b) => b.write8(o, v).map_err(|e| match e {}),
        }
    }
    fn write16(&mut self, o: u32, v: u16) -> Result<(), BusError> {
        match self {
            Self::Qemu(b) | Self::Tis13(b) => qemu(b.write16(o, v)),
            Self::Model(b) => b.write16(o, v).map_err(|e| match e {}),
        }
    }
    fn write32(&mut self, o: u32, v: u32) -> Result<(), BusError> {
        match self {
            Self::Qemu(b) | Self::Tis13(b) => qemu(b.write32(o, v)),
            Self::Model(b) => b.write32(o, v).map_err(|e| match e {}),
        }
    }
}

fn qemu_failure(e: &QtestError) -> OpenFailure {
    OpenFailure {
        interface: "none",
        summary: format!("could not start QEMU with swtpm: {e}"),
        remedy: "Run `cargo xtask demo`, which installs qemu-system-x86 and swtpm.".to_owned(),
    }
}

fn model(bus: FaultTis) -> Bus {
    Bus::Sim(SimBus::Model(bus))
}

/// Opens a simulated backend prepared for `scenario`.
pub(crate) fn open(spec: &BackendSpec, scenario: Scenario) -> Result<(Link, Reached), OpenFailure> {
    let tpm12 = scenario == Scenario::Tpm12;
    let start = |device, firmware: Option<Firmware>| {
        let firmware = firmware.map(|f| match f {
            Firmware::SeaBios => QemuFirmware::SeaBios,
            Firmware::Ovmf => QemuFirmware::Ovmf,
        });
        match firmware {
            _ if tpm12 => QemuTpm::start_tpm12(device),
            Some(firmware) => QemuTpm::start_after(device, firmware),
            None => QemuTpm::start(device),
        }
        .map_err(|e| qemu_failure(&e))
    };
    match *spec {
        BackendSpec::QemuTis(firmware) => match scenario {
            Scenario::NoTpm => open_registers(model(FaultTis::new(TisFault::NoTpm))),
            Scenario::FailureMode => open_registers(model(failure_mode_model())),
            Scenario::Interface0xF => {
                open_registers(Bus::Sim(SimBus::Tis13(start(QemuDevice::Tis, firmware)?)))
            }
            _ => open_registers(Bus::Sim(SimBus::Qemu(start(QemuDevice::Tis, firmware)?))),
        },
        BackendSpec::QemuCrb(firmware) => {
            open_registers(Bus::Sim(SimBus::Qemu(start(QemuDevice::Crb, firmware)?)))
        }
        _ => {
            let tpm = Libtpms::start().map_err(|e| OpenFailure {
                interface: "host",
                summary: e.to_string(),
                remedy: "Install libtpms-dev.".into(),
            })?;
            Ok((Link::Libtpms(tpm), Reached::Host))
        }
    }
}

/// A TPM in failure mode behind the FIFO model: Startup answers TPM_RC_FAILURE, and
/// GetTestResult returns vendor test data and testResult TPM_RC_FAILURE.
fn failure_mode_model() -> FaultTis {
    let mut model = FaultTis::new(TisFault::None);
    model
        .script
        .push_back(vec![0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x01]);
    model.script.push_back(vec![
        0x80, 0x01, 0, 0, 0, 20, 0, 0, 0, 0, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0x01, 0x01,
    ]);
    model
}

/// Puts the simulated TPM into the state of a field failure. A simulator that keeps its
/// state (rebooted by the backend already) is first cleared through the platform hierarchy,
/// whose authValue is empty after every TPM2_Startup(CLEAR): no owner, no EK, no NV index,
/// empty hierarchy authValues, as the previous run never happened.
pub(crate) fn prepare(
    tpm: &mut Client,
    scenario: Scenario,
    keeps_state: bool,
) -> Result<(), Error<LinkError>> {
    tpm.startup(StartupType::CLEAR)?;
    if keeps_state {
        tpm.clear(Handle::PLATFORM, Auth::EMPTY)?;
    }
    match scenario {
        Scenario::DaLockout => {
            let set = Auth::new(b"set-by-the-previous-admin").unwrap_or(Auth::EMPTY);
            tpm.hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, set)?;
            // One wrong lockoutAuth locks the lockout hierarchy.
            match tpm.dictionary_attack_lock_reset(Auth::new(b"a-guess").unwrap_or(Auth::EMPTY)) {
                Err(e) if e.is(Failure::BadLockoutAuth) => Ok(()),
                Err(e) => Err(e),
                Ok(()) => Ok(()),
            }
        }
        Scenario::ForeignEndorsementAuth => {
            let foreign = Auth::new(b"foreign-owner").unwrap_or(Auth::EMPTY);
            tpm.hierarchy_change_auth(Handle::ENDORSEMENT, Auth::EMPTY, foreign)
        }
        Scenario::Healthy => write_ek_certificate(tpm, ca::RSA_ENCRYPTION),
        Scenario::OaepEkCert => write_ek_certificate(tpm, ca::RSAES_OAEP),
        _ => Ok(()),
    }
}

/// Writes an EK certificate for the TPM's own RSA EK, issued by the tests' CA with `key`
/// as its key algorithm, where the vendor would have put one (NV 0x01C00002, NO_DA, owner
/// and index readable as the TCG EK credential profile has it).
fn write_ek_certificate(
    tpm: &mut Client,
    key: x509_cert::spki::ObjectIdentifier,
) -> Result<(), Error<LinkError>> {
    let ek = tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY)?;
    let modulus = match ek.public.parameters {
        PublicParameters::Rsa { unique, .. } => unique.as_bytes().to_vec(),
        _ => Vec::new(),
    };
    let handle = ek.handle;
    tpm.flush_context(handle)?;
    let cert = ca::ek_certificate(&modulus, key, Duration::from_hours(10 * 365 * 24));
    let public = NvPublic {
        index: tpm2_wire::reserved::RSA_EK_CERT_NV,
        name_alg: AlgId::SHA256,
        attributes: NvAttributes::OWNERWRITE
            | NvAttributes::OWNERREAD
            | NvAttributes::AUTHREAD
            | NvAttributes::NO_DA,
        auth_policy: tpm2_wire::Digest::EMPTY,
        data_size: u16::try_from(cert.len()).unwrap_or(u16::MAX),
    };
    tpm.nv_define_space(Handle::OWNER, Auth::EMPTY, Auth::EMPTY, &public)?;
    tpm.nv_write(Handle::OWNER, Auth::EMPTY, public.index, 0, &cert)
}
