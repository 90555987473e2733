//! The firmware path over the TCG I2C interface, as a microcontroller board links it: the
//! board's I2C peripheral as an `embedded_hal::i2c::I2c`, the cycle counter as the `DelayNs`
//! for the guard times, and the same FIFO driver and commands as over MMIO. The peripheral
//! is an STM32F4-style I2C1 driven by polling; a board crate's HAL type plugs in the same
//! way.
#![no_std]
#![no_main]

mod common;

use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use tpm2_tis::i2c::{DEFAULT_ADDRESS, I2c as TpmI2c};

use common::{CORE_HZ, Cycles};

/// I2C1 of an STM32F4: control register 1, data register, status register 1.
const I2C1_CR1: *mut u32 = 0x4000_5400 as *mut u32;
const I2C1_DR: *mut u32 = 0x4000_5410 as *mut u32;
const I2C1_SR1: *mut u32 = 0x4000_5414 as *mut u32;
const I2C1_SR2: *mut u32 = 0x4000_5418 as *mut u32;
/// CR1: START, STOP, ACK.
const START: u32 = 1 << 8;
const STOP: u32 = 1 << 9;
const ACK: u32 = 1 << 10;
/// SR1: SB, ADDR, RXNE, TXE, AF (acknowledge failure).
const SB: u32 = 1 << 0;
const ADDR: u32 = 1 << 1;
const RXNE: u32 = 1 << 6;
const TXE: u32 = 1 << 7;
const AF: u32 = 1 << 10;

/// The board's I2C peripheral, polled.
struct BoardI2c;

/// A NACK from the TPM.
#[derive(Debug)]
struct Nack;

impl embedded_hal::i2c::Error for Nack {
    fn kind(&self) -> ErrorKind {
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown)
    }
}

/// Volatile register access; SAFETY for all uses: I2C1's registers are memory-mapped at
/// these fixed addresses on this board and only this driver uses the peripheral.
fn reg(r: *mut u32) -> u32 {
    // SAFETY: see above.
    unsafe { r.read_volatile() }
}

fn set(r: *mut u32, v: u32) {
    // SAFETY: see above.
    unsafe { r.write_volatile(v) }
}

impl BoardI2c {
    fn wait(bit: u32) -> Result<(), Nack> {
        loop {
            let sr = reg(I2C1_SR1);
            if sr & AF != 0 {
                set(I2C1_SR1, sr & !AF);
                set(I2C1_CR1, reg(I2C1_CR1) | STOP);
                return Err(Nack);
            }
            if sr & bit != 0 {
                return Ok(());
            }
        }
    }

    fn start(address: u8, read: bool) -> Result<(), Nack> {
        set(I2C1_CR1, reg(I2C1_CR1) | START | ACK);
        Self::wait(SB)?;
        set(I2C1_DR, u32::from(address) << 1 | u32::from(read));
        Self::wait(ADDR)?;
        let _ = reg(I2C1_SR2);
        Ok(())
    }
}

impl ErrorType for BoardI2c {
    type Error = Nack;
}

impl I2c for BoardI2c {
    fn transaction(&mut self, address: u8, operations: &mut [Operation<'_>]) -> Result<(), Nack> {
        for op in operations {
            match op {
                Operation::Write(bytes) => {
                    Self::start(address, false)?;
                    for &b in bytes.iter() {
                        Self::wait(TXE)?;
                        set(I2C1_DR, u32::from(b));
                    }
                    Self::wait(TXE)?;
                }
                Operation::Read(buf) => {
                    Self::start(address, true)?;
                    let n = buf.len();
                    for (i, b) in buf.iter_mut().enumerate() {
                        if i + 1 == n {
                            set(I2C1_CR1, reg(I2C1_CR1) & !ACK);
                        }
                        Self::wait(RXNE)?;
                        *b = reg(I2C1_DR).to_le_bytes()[0];
                    }
                }
            }
        }
        set(I2C1_CR1, reg(I2C1_CR1) | STOP);
        Ok(())
    }
}

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| {
        let delay = Cycles::start(CORE_HZ);
        // The driver borrows the bus: moving the 28-byte bus into it would be a `memcpy`.
        let mut bus = TpmI2c::new(BoardI2c, delay, DEFAULT_ADDRESS);
        common::firmware_path(&mut bus, delay)
    })
}
