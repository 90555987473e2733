//! A TPM SPI device model: it decodes the frames an SPI host sends (header, wait states,
//! data) and forwards each register access to a register window, QEMU's tpm-tis over qtest
//! in the tests, so the FIFO behaviour comes from the real device model. Wait states and
//! bus errors are injected here.

use std::cell::RefCell;
use std::rc::Rc;

use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
use embedded_hal::spi::{ErrorKind, ErrorType, SpiBus};
use tpm2_tis::RegisterAccess;
use tpm2_tis::regs::fifo;

/// How many wait states the model inserts after each header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStates {
    /// Ready with the last header byte.
    None,
    /// `n` not-ready bytes, then the ready byte.
    Polls(u16),
    /// Never ready.
    Never,
}

/// An SPI bus failure the model reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpiFault;

impl embedded_hal::spi::Error for SpiFault {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

#[derive(Debug)]
enum Phase {
    Idle,
    Header(Vec<u8>),
    Waiting {
        read: bool,
        offset: u32,
        len: usize,
        left: Option<u16>,
    },
    Data {
        read: bool,
        offset: u32,
        len: usize,
    },
}

/// The model's state, shared by its bus and its chip-select pin.
#[derive(Debug)]
pub struct SpiTpm<B> {
    /// The register window the accesses go to.
    pub window: B,
    /// Wait states after each header.
    pub wait_states: WaitStates,
    /// Fail the bus once this many frames have started.
    pub fail_after_frames: Option<u32>,
    /// Frames (chip-select assertions) seen.
    pub frames: u32,
    /// Of them, reads of STS (the status polls among them).
    pub sts_reads: u32,
    /// Whether chip select is asserted now.
    pub selected: bool,
    phase: Phase,
}

/// The model's bus side.
#[derive(Debug, Clone)]
pub struct SpiTpmBus<B>(pub Rc<RefCell<SpiTpm<B>>>);

/// The model's chip-select pin.
#[derive(Debug, Clone)]
pub struct SpiTpmCs<B>(pub Rc<RefCell<SpiTpm<B>>>);

impl<B> SpiTpm<B> {
    /// A model in front of `window`, without wait states; its bus and its pin.
    pub fn new(window: B) -> (Rc<RefCell<Self>>, SpiTpmBus<B>, SpiTpmCs<B>) {
        let model = Rc::new(RefCell::new(Self {
            window,
            wait_states: WaitStates::None,
            fail_after_frames: None,
            frames: 0,
            sts_reads: 0,
            selected: false,
            phase: Phase::Idle,
        }));
        (
            Rc::clone(&model),
            SpiTpmBus(Rc::clone(&model)),
            SpiTpmCs(model),
        )
    }
}

impl<B: RegisterAccess> SpiTpm<B> {
    fn failing(&self) -> bool {
        self.fail_after_frames.is_some_and(|n| self.frames > n)
    }

    /// One MOSI byte in, one MISO byte out.
    fn exchange(&mut self, mosi: u8) -> Result<u8, SpiFault> {
        if !self.selected || self.failing() {
            return Err(SpiFault);
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle | Phase::Data { .. } => Err(SpiFault),
            Phase::Header(mut h) => {
                h.push(mosi);
                if h.len() < 4 {
                    self.phase = Phase::Header(h);
                    return Ok(0);
                }
                if h[1] != 0xD4 {
                    return Err(SpiFault);
                }
                let read = h[0] & 0x80 != 0;
                let len = usize::from(h[0] & 0x3F) + 1;
                let offset = u32::from(h[2]) << 8 | u32::from(h[3]);
                if read && offset & 0xFFF == fifo::STS {
                    self.sts_reads += 1;
                }
                let left = match self.wait_states {
                    WaitStates::None => Some(0),
                    WaitStates::Polls(n) => Some(n),
                    WaitStates::Never => None,
                };
                Ok(self.wait(read, offset, len, left))
            }
            Phase::Waiting {
                read,
                offset,
                len,
                left,
            } => Ok(self.wait(read, offset, len, left.map(|n| n.saturating_sub(1)))),
        }
    }

    /// `left` wait-state bytes still to send before the data phase (`None`: forever): the
    /// data phase starts now, with the MISO byte 1, when none is left; else a wait byte, 0.
    fn wait(&mut self, read: bool, offset: u32, len: usize, left: Option<u16>) -> u8 {
        if left == Some(0) {
            self.phase = Phase::Data { read, offset, len };
            1
        } else {
            self.phase = Phase::Waiting {
                read,
                offset,
                len,
                left,
            };
            0
        }
    }

    /// The data phase: every byte of a FIFO frame at the FIFO, others at consecutive
    /// addresses.
    fn data(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), SpiFault> {
        let Phase::Data {
            read: is_read,
            offset,
            len,
        } = self.phase
        else {
            return Err(SpiFault);
        };
        let n = read.len().max(write.len());
        if n != len || self.failing() {
            return Err(SpiFault);
        }
        let fifo = matches!(offset & 0xFFF, fifo::DATA_FIFO | fifo::XDATA_FIFO);
        for i in 0..n {
            let at = if fifo { offset } else { offset + i as u32 };
            if is_read {
                read[i] = self.window.read8(at).map_err(|_| SpiFault)?;
            } else {
                self.window.write8(at, write[i]).map_err(|_| SpiFault)?;
            }
        }
        self.phase = Phase::Idle;
        Ok(())
    }
}

impl<B> ErrorType for SpiTpmBus<B> {
    type Error = SpiFault;
}

impl<B: RegisterAccess> SpiBus for SpiTpmBus<B> {
    fn read(&mut self, words: &mut [u8]) -> Result<(), SpiFault> {
        let mut m = self.0.borrow_mut();
        if matches!(m.phase, Phase::Data { .. }) {
            return m.data(words, &[]);
        }
        for w in words {
            *w = m.exchange(0)?;
        }
        Ok(())
    }
    fn write(&mut self, words: &[u8]) -> Result<(), SpiFault> {
        let mut m = self.0.borrow_mut();
        if matches!(m.phase, Phase::Data { .. }) {
            return m.data(&mut [], words);
        }
        for &w in words {
            m.exchange(w)?;
        }
        Ok(())
    }
    fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), SpiFault> {
        let mut m = self.0.borrow_mut();
        for (i, &w) in write.iter().enumerate() {
            let miso = m.exchange(w)?;
            if let Some(r) = read.get_mut(i) {
                *r = miso;
            }
        }
        Ok(())
    }
    fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), SpiFault> {
        let mut m = self.0.borrow_mut();
        for w in words {
            *w = m.exchange(*w)?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), SpiFault> {
        Ok(())
    }
}

impl<B> PinErrorType for SpiTpmCs<B> {
    type Error = core::convert::Infallible;
}

impl<B> OutputPin for SpiTpmCs<B> {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        let mut m = self.0.borrow_mut();
        m.selected = true;
        m.frames += 1;
        m.phase = Phase::Header(Vec::with_capacity(4));
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        let mut m = self.0.borrow_mut();
        m.selected = false;
        m.phase = Phase::Idle;
        Ok(())
    }
}
