//! One transport for firmware: probe the window and drive whichever interface is there.

use core::fmt;

use embedded_hal::delay::DelayNs;
use tpm2_tis::{Interface, Probe, RegisterAccess, Tis, TisError, probe};
use tpm2_wire::{Transport, TransportError, TransportErrorKind};

use crate::{Crb, CrbError};

/// The TPM behind a register window, driven by the FIFO or the CRB driver as the probe
/// decided: firmware writes one code path for both. No allocation; it is as large as the
/// larger driver.
///
/// ```
/// # use tpm2_crb::{Device, DeviceError};
/// # fn open<B: tpm2_tis::RegisterAccess, D: embedded_hal::delay::DelayNs + Copy>(
/// #     bus: B, delay: D,
/// # ) -> Result<(), DeviceError<B::Error>> {
/// let tpm = Device::open(bus, delay, Default::default(), Default::default())?;
/// let interface = tpm.probe().interface; // FIFO, TIS 1.3 or CRB
/// # let _ = interface; Ok(()) }
/// ```
#[derive(Debug)]
pub enum Device<B: RegisterAccess, D> {
    /// A FIFO or TIS 1.3 interface.
    Fifo(Tis<B, D>),
    /// A CRB interface.
    Crb(Crb<B, D>),
}

/// Why [`Device`] failed: the error of the driver in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DeviceError<E> {
    /// The FIFO driver's error (also every probe error).
    Fifo(TisError<E>),
    /// The CRB driver's error.
    Crb(CrbError<E>),
}

impl<B: RegisterAccess, D: DelayNs> Device<B, D> {
    /// Probes the window and creates the driver for the interface found.
    pub fn open(
        bus: B,
        delay: D,
        fifo: tpm2_tis::Config,
        crb: crate::Config,
    ) -> Result<Self, DeviceError<B::Error>> {
        let mut slot = None;
        Self::open_in(&mut slot, bus, delay, fifo, crb)?;
        // `open_in` leaves the device in the slot whenever it succeeds.
        slot.ok_or(DeviceError::Fifo(TisError::NotFifo))
    }

    /// As [`Device::open`], building the device in `slot` and returning it there: the
    /// driver is opened where it stays and never moved (under opt-level "z" a move of it is
    /// a call to `memcpy`). On failure `slot` is left `None`.
    ///
    /// ```no_run
    /// # fn open(bus: tpm2_tis::Mmio, delay: impl embedded_hal::delay::DelayNs) -> Result<(), tpm2_crb::DeviceError<tpm2_tis::MmioError>> {
    /// let mut slot = None;
    /// let tpm = tpm2_crb::Device::open_in(&mut slot, bus, delay, Default::default(), Default::default())?;
    /// println!("{:?}", tpm.probe().interface);
    /// # Ok(()) }
    /// ```
    pub fn open_in(
        slot: &mut Option<Self>,
        mut bus: B,
        delay: D,
        fifo: tpm2_tis::Config,
        crb: crate::Config,
    ) -> Result<&mut Self, DeviceError<B::Error>> {
        *slot = None;
        let found = probe(&mut bus).map_err(DeviceError::Fifo)?;
        // The window is probed once: the driver takes what this probe found.
        if found.interface == Interface::Crb {
            Crb::new_in_as(slot, Self::Crb, Self::crb, found, bus, delay, crb)
                .map_err(DeviceError::Crb)
        } else {
            Tis::new_in_as(slot, Self::Fifo, Self::fifo, found, bus, delay, fifo)
                .map_err(DeviceError::Fifo)
        }
    }

    fn crb(&mut self) -> Option<&mut Crb<B, D>> {
        match self {
            Self::Crb(c) => Some(c),
            Self::Fifo(_) => None,
        }
    }

    fn fifo(&mut self) -> Option<&mut Tis<B, D>> {
        match self {
            Self::Fifo(t) => Some(t),
            Self::Crb(_) => None,
        }
    }

    /// What the probe found.
    pub const fn probe(&self) -> &Probe {
        match self {
            Self::Fifo(t) => t.probe(),
            Self::Crb(c) => c.probe(),
        }
    }

    /// Whether the driver keeps its locality between commands.
    pub const fn holds_locality(&self) -> bool {
        match self {
            Self::Fifo(t) => t.holds_locality(),
            Self::Crb(c) => c.holds_locality(),
        }
    }

    /// Gives the locality back now and after every later command.
    pub fn release_locality(&mut self) -> Result<(), DeviceError<B::Error>> {
        match self {
            Self::Fifo(t) => t.release_locality().map_err(DeviceError::Fifo),
            Self::Crb(c) => c.release_locality().map_err(DeviceError::Crb),
        }
    }

    /// Gives the bus and the delay back.
    pub fn into_parts(self) -> (B, D) {
        match self {
            Self::Fifo(t) => t.into_parts(),
            Self::Crb(c) => c.into_parts(),
        }
    }
}

impl<B: RegisterAccess, D: DelayNs> Transport for Device<B, D> {
    type Error = DeviceError<B::Error>;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], Self::Error> {
        match self {
            Self::Fifo(t) => t.transact(buf, command_len).map_err(DeviceError::Fifo),
            Self::Crb(c) => c.transact(buf, command_len).map_err(DeviceError::Crb),
        }
    }
}

impl<E: fmt::Debug> fmt::Display for DeviceError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fifo(e) => write!(f, "FIFO: {e}"),
            Self::Crb(e) => write!(f, "CRB: {e}"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for DeviceError<E> {}

impl<E: fmt::Debug> TransportError for DeviceError<E> {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::Fifo(e) => e.kind(),
            Self::Crb(e) => e.kind(),
        }
    }
}
