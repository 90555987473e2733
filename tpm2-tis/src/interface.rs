//! INTERFACE_ID and INTF_CAPABILITY decoding, and detection of which interface a TPM has.

use core::fmt;

use crate::regs::{INTERFACE_ID, Locality, fifo};
use crate::{RegisterAccess, TisError};

/// The interface type field of INTERFACE_ID (bits 3:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InterfaceType {
    /// 0: the PTP FIFO interface.
    Fifo,
    /// 1: the Command Response Buffer interface.
    Crb,
    /// 0xF: the TIS 1.3 interface (no INTERFACE_ID register); driven as a FIFO.
    Tis13,
    /// A reserved value.
    Reserved(u8),
}

/// The INTERFACE_ID register (TPM_INTERFACE_ID / TPM_CRB_INTF_ID, offset 0x30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InterfaceId(pub u32);

impl InterfaceId {
    const fn field(self, shift: u32, bits: u32) -> u32 {
        (self.0 >> shift) & ((1 << bits) - 1)
    }

    /// InterfaceType (bits 3:0).
    #[must_use]
    pub const fn interface_type(self) -> InterfaceType {
        match self.field(0, 4) {
            0 => InterfaceType::Fifo,
            1 => InterfaceType::Crb,
            0xF => InterfaceType::Tis13,
            n => InterfaceType::Reserved(n.to_le_bytes()[0]),
        }
    }
    /// InterfaceVersion (bits 7:4): 0 for FIFO, 1 or 2 for CRB.
    #[must_use]
    pub const fn version(self) -> u8 {
        self.field(4, 4).to_le_bytes()[0]
    }
    /// CapLocality (bit 8): five localities rather than locality 0 only.
    #[must_use]
    pub const fn five_localities(self) -> bool {
        self.field(8, 1) != 0
    }
    /// CapCRBIdleBypass (bit 9, CRB only): the TPM can skip the idle state.
    #[must_use]
    pub const fn crb_idle_bypass(self) -> bool {
        self.field(9, 1) != 0
    }
    /// CapDataXferSizeSupport (bits 12:11): the largest data transfer, in bytes.
    #[must_use]
    pub const fn transfer_size(self) -> u8 {
        match self.field(11, 2) {
            0 => 4,
            1 => 8,
            2 => 32,
            _ => 64,
        }
    }
    /// CapFIFO (bit 13).
    #[must_use]
    pub const fn cap_fifo(self) -> bool {
        self.field(13, 1) != 0
    }
    /// CapCRB (bit 14).
    #[must_use]
    pub const fn cap_crb(self) -> bool {
        self.field(14, 1) != 0
    }
    /// InterfaceSelector (bits 18:17): 0 FIFO, 1 CRB.
    #[must_use]
    pub const fn selector(self) -> u8 {
        self.field(17, 2).to_le_bytes()[0]
    }
    /// IntfSelLock (bit 19).
    #[must_use]
    pub const fn selector_locked(self) -> bool {
        self.field(19, 1) != 0
    }
}

/// The FIFO interface's INTF_CAPABILITY register (offset 0x14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IntfCapability(pub u32);

impl IntfCapability {
    /// InterfaceVersion (bits 30:28): 0 TIS 1.2, 2 TIS 1.3, 3 PTP FIFO for TPM 2.0.
    #[must_use]
    pub const fn interface_version(self) -> u8 {
        ((self.0 >> fifo::capability::VERSION_SHIFT) & 0x7).to_le_bytes()[0]
    }
    /// DataTransferSizeSupport (bits 10:9) in bytes: 1 (legacy), 8, 32 or 64.
    #[must_use]
    pub const fn transfer_size(self) -> u8 {
        match (self.0 >> fifo::capability::TRANSFER_SIZE_SHIFT) & 0x3 {
            0 => 1,
            1 => 8,
            2 => 32,
            _ => 64,
        }
    }
    /// burstCountStatic (bit 8).
    #[must_use]
    pub const fn burst_count_static(self) -> bool {
        self.0 & fifo::capability::BURST_COUNT_STATIC != 0
    }
}

/// How a TPM is to be driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Interface {
    /// The PTP FIFO interface: use [`Tis`](crate::Tis).
    Fifo,
    /// A TIS 1.3 interface (INTERFACE_ID type 0xF): driven as a FIFO with [`Tis`](crate::Tis),
    /// as EDK2 does. This is the "interfaceType = 0xf" of the ESXi logs.
    Tis13,
    /// The CRB interface: use the `tpm2-crb` driver.
    Crb,
}

/// The TPM family, from STS.tpmFamily or the capability's interface version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Family {
    /// TPM 1.2: refused by these drivers.
    Tpm12,
    /// TPM 2.0.
    Tpm20,
}

/// How the family of a TPM was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FamilySource {
    /// The identification registers: INTERFACE_ID type CRB, or INTF_CAPABILITY
    /// InterfaceVersion 3 (PTP FIFO), both TPM 2.0 only.
    Registers,
    /// STS.tpmFamily read 01 under an active locality.
    StsFamily,
    /// STS.tpmFamily read 00 (TPM 1.2, or reserved on a TIS 1.3 part), and a TPM 2.0
    /// command was answered with a TPM 2.0 response tag.
    ResponseTag,
}

impl fmt::Display for FamilySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Registers => "interface registers",
            Self::StsFamily => "STS.tpmFamily",
            Self::ResponseTag => "response tag of a TPM 2.0 command (STS.tpmFamily read 00)",
        })
    }
}

/// What [`probe`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Probe {
    /// How to drive the TPM.
    pub interface: Interface,
    /// The raw INTERFACE_ID.
    pub interface_id: InterfaceId,
    /// The FIFO capability register (None for CRB).
    pub capability: Option<IntfCapability>,
    /// The vendor ID (0x1014 IBM for QEMU, 0x15D1 Infineon, 0x1050 Nuvoton, ...).
    pub vendor_id: u16,
    /// The device ID.
    pub device_id: u16,
    /// The revision ID.
    pub revision: u8,
    /// The family the registers indicate, if they do. A FIFO driver confirms it from
    /// STS.tpmFamily, or by protocol, once it holds a locality.
    pub family_hint: Option<Family>,
    /// How `family_hint` was decided, if it is known.
    pub family_source: Option<FamilySource>,
}

impl Probe {
    /// The vendor's name for well-known TCG vendor IDs.
    #[must_use]
    pub const fn vendor_name(&self) -> Option<&'static str> {
        Some(match self.vendor_id {
            0x1014 => "IBM (QEMU / swtpm)",
            0x15D1 => "Infineon",
            0x1050 => "Nuvoton",
            0x104A => "STMicroelectronics",
            0x1114 => "Atmel / Microchip",
            0x8086 => "Intel",
            0x1022 => "AMD",
            0x1011 => "Microsoft",
            _ => return None,
        })
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fifo => "FIFO (PTP)",
            Self::Tis13 => "TIS 1.3 (interface type 0xF, driven as FIFO)",
            Self::Crb => "CRB",
        })
    }
}

/// Reads the identification registers and decides how the TPM is to be driven. Reads only.
///
/// A window whose ACCESS register reads 0xFF, or whose identification registers all read
/// all-ones, has no TPM behind it: [`TisError::NoTpm`].
pub fn probe<B: RegisterAccess>(bus: &mut B) -> Result<Probe, TisError<B::Error>> {
    let l0 = Locality::ZERO;
    let access = bus.read8(l0.reg(fifo::ACCESS)).map_err(TisError::Bus)?;
    if access == u8::MAX {
        return Err(TisError::NoTpm);
    }
    let id = InterfaceId(bus.read32(INTERFACE_ID).map_err(TisError::Bus)?);
    let (interface, capability) = match id.interface_type() {
        InterfaceType::Crb => (Interface::Crb, None),
        InterfaceType::Fifo => (Interface::Fifo, Some(read_capability(bus)?)),
        InterfaceType::Tis13 => (Interface::Tis13, Some(read_capability(bus)?)),
        InterfaceType::Reserved(n) => return Err(TisError::UnknownInterface(n)),
    };
    let (vendor_id, device_id, revision) = if interface == Interface::Crb {
        let vid_did = bus.read32(INTERFACE_ID + 4).map_err(TisError::Bus)?;
        (
            low16(vid_did),
            low16(vid_did >> 16),
            (id.0 >> 24).to_le_bytes()[0],
        )
    } else {
        let did_vid = bus.read32(l0.reg(fifo::DID_VID)).map_err(TisError::Bus)?;
        let rid = bus.read8(l0.reg(fifo::RID)).map_err(TisError::Bus)?;
        (low16(did_vid), low16(did_vid >> 16), rid)
    };
    if id.0 == u32::MAX && capability.is_none_or(|c| c.0 == u32::MAX) && vendor_id == u16::MAX {
        return Err(TisError::NoTpm);
    }
    let family_hint = match (interface, capability) {
        (Interface::Crb, _) => Some(Family::Tpm20),
        (_, Some(c)) if c.interface_version() == 3 => Some(Family::Tpm20),
        _ => None,
    };
    let family_source = family_hint.map(|_| FamilySource::Registers);
    Ok(Probe {
        interface,
        interface_id: id,
        capability,
        vendor_id,
        device_id,
        revision,
        family_hint,
        family_source,
    })
}

fn read_capability<B: RegisterAccess>(bus: &mut B) -> Result<IntfCapability, TisError<B::Error>> {
    let reg = Locality::ZERO.reg(fifo::INTF_CAPABILITY);
    bus.read32(reg).map(IntfCapability).map_err(TisError::Bus)
}

const fn low16(v: u32) -> u16 {
    let b = v.to_le_bytes();
    u16::from_le_bytes([b[0], b[1]])
}
