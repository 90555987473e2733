//! The firmware path over a salted session with parameter encryption: the MMIO image's
//! probe, driver and Startup, then DictionaryAttackLockReset and the EK CreatePrimary
//! authorized by an HMAC session salted to the ECC EK (ECDH P-256), so that no authValue
//! crosses the bus; NV_ReadPublic as in the plain image. Built with `--features sessions`;
//! `cargo xtask size` prints it beside the plain image.
#![no_std]
#![no_main]

mod common;

use core::convert::Infallible;

use tpm2_cmds::Tpm;
use tpm2_cmds::ek::{ECC_P256_TEMPLATE, RSA_2048_TEMPLATE};
use tpm2_cmds::session::SessionConfig;
use tpm2_tis::{Mmio, Tis};
use tpm2_wire::{Auth, StartupType, reserved};

use common::{CORE_HZ, Cycles};

/// The STM32 RNG data register (RNG_DR), which the board's start-up code enabled: the
/// entropy for the session nonces and the ephemeral ECDH key. Another board reads its own
/// TRNG here; never the TPM's GetRandom, which a bus observer reads too.
const RNG_DR: usize = 0x5006_0808;

struct BoardRng;

impl rand_core::TryRng for BoardRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        // SAFETY: RNG_DR is a readable 32-bit device register on this board, read alone here.
        Ok(unsafe { core::ptr::read_volatile(RNG_DR as *const u32) })
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let hi = u64::from(self.try_next_u32()?);
        Ok(hi << 32 | u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let word = self.try_next_u32()?.to_le_bytes();
            for (d, s) in chunk.iter_mut().zip(word) {
                *d = s;
            }
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for BoardRng {}

/// The same opening as `common::firmware_path`, written out: a shared function returning the
/// started client moves its 4 KiB buffer, which costs the plain image 394 bytes of flash.
fn salted_path(mmio: Mmio, delay: Cycles) -> u32 {
    let mut slot = None;
    let Ok(tis) = Tis::new_in(&mut slot, mmio, delay, tpm2_tis::Config::default()) else {
        return 2;
    };
    let mut tpm = Tpm::new(tis, delay);
    if tpm.startup(StartupType::CLEAR).is_err() {
        return 4;
    }
    let salt_key = match tpm.create_ek(&ECC_P256_TEMPLATE, Auth::EMPTY) {
        Ok(ek) => ek.handle,
        Err(_) => return 5,
    };
    let mut status = 0;
    {
        let mut flushing = tpm.flushing(salt_key);
        let mut s =
            match flushing.start_session(&SessionConfig::salted_hmac(salt_key), &mut BoardRng) {
                Ok(s) => s,
                Err(_) => return 6,
            };
        if s.dictionary_attack_lock_reset(Auth::EMPTY).is_err() {
            status |= 0x10;
        }
        if s.nv_read_public(reserved::RSA_EK_CERT_NV).is_err() {
            status |= 0x20;
        }
        status |= match s.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY) {
            Ok(ek) => ek.handle.0 & 0xF,
            Err(e) => 0x40 | (e.tpm().map_or(0, |t| t.code.raw()) << 16),
        };
    }
    status
}

/// The entry point.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    common::run(|| match common::mmio_window() {
        Some(mmio) => salted_path(mmio, Cycles::start(CORE_HZ)),
        None => 1,
    })
}
