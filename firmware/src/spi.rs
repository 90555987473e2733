//! The firmware path over the TPM SPI protocol, as a microcontroller board links it: the
//! board's SPI peripheral as an `embedded_hal::spi::SpiBus`, a GPIO as the chip-select
//! `OutputPin`, the cycle counter as the `DelayNs`, and the same FIFO driver and commands
//! as over MMIO. The peripheral here is an STM32F4-style SPI1 and GPIOA pin 4; a board
//! crate's HAL types plug in the same way.
#![no_std]
#![no_main]

mod common;

use core::convert::Infallible;

use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
use embedded_hal::spi::{ErrorType, SpiBus};
use tpm2_tis::spi::Spi;

use common::{CORE_HZ, Cycles};

/// SPI1 of an STM32F4: status register (TXE bit 1, RXNE bit 0) and data register.
const SPI1_SR: *mut u32 = 0x4001_3008 as *mut u32;
const SPI1_DR: *mut u32 = 0x4001_300C as *mut u32;
/// GPIOA's bit set/reset register: bit 4 sets PA4, bit 20 resets it.
const GPIOA_BSRR: *mut u32 = 0x4002_0018 as *mut u32;

/// The board's SPI peripheral, polled.
struct BoardSpi;

impl BoardSpi {
    /// One byte out, one in.
    fn byte(&mut self, out: u8) -> u8 {
        // SAFETY: SPI1's registers are memory-mapped at these fixed addresses on this board
        // and only this driver uses the peripheral.
        unsafe {
            while SPI1_SR.read_volatile() & 0b10 == 0 {}
            SPI1_DR.write_volatile(u32::from(out));
            while SPI1_SR.read_volatile() & 0b01 == 0 {}
            SPI1_DR.read_volatile().to_le_bytes()[0]
        }
    }
}

impl ErrorType for BoardSpi {
    type Error = Infallible;
}

impl SpiBus for BoardSpi {
    fn read(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
        for w in words {
            *w = self.byte(0);
        }
        Ok(())
    }
    fn write(&mut self, words: &[u8]) -> Result<(), Infallible> {
        for &w in words {
            self.byte(w);
        }
        Ok(())
    }
    fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), Infallible> {
        for (i, &w) in write.iter().enumerate() {
            let r = self.byte(w);
            if let Some(slot) = read.get_mut(i) {
                *slot = r;
            }
        }
        Ok(())
    }
    fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
        for w in words {
            *w = self.byte(*w);
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// PA4, the TPM's chip select (active low).
struct BoardCs;

impl PinErrorType for BoardCs {
    type Error = Infallible;
}

impl OutputPin for BoardCs {
    fn set_low(&mut self) -> Result<(), Infallible> {
        // SAFETY: GPIOA's BSRR is memory-mapped here; writing it changes only PA4.
        unsafe { GPIOA_BSRR.write_volatile(1 << 20) };
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        // SAFETY: as above.
        unsafe { GPIOA_BSRR.write_volatile(1 << 4) };
        Ok(())
    }
}

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| common::firmware_path(Spi::new(BoardSpi, BoardCs), Cycles::start(CORE_HZ)))
}
