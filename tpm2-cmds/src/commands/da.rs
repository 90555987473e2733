//! Dictionary-attack protection: DictionaryAttackLockReset, DictionaryAttackParameters.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{Auth, CommandCode, Handle, Transport};

use crate::{Error, Tpm};

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_DictionaryAttackLockReset, authorized by the lockoutAuth: clears the failure
    /// counter and leaves lockout. [`Failure::LockoutHierarchyLocked`](crate::Failure) if a
    /// wrong lockoutAuth locked the lockout hierarchy; [`Failure::BadLockoutAuth`](crate::Failure)
    /// if `lockout_auth` is wrong.
    pub fn dictionary_attack_lock_reset(
        &mut self,
        lockout_auth: Auth<'_>,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::DICTIONARY_ATTACK_LOCK_RESET, 0, |c| {
            c.handle(Handle::LOCKOUT).password(lockout_auth)
        })
        .map(drop)
    }

    /// TPM2_DictionaryAttackParameters: the failures before lockout, the seconds per
    /// recovered failure, and the seconds the lockout hierarchy stays locked after a wrong
    /// lockoutAuth.
    pub fn set_dictionary_attack_parameters(
        &mut self,
        lockout_auth: Auth<'_>,
        max_tries: u32,
        recovery_time: u32,
        lockout_recovery: u32,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::DICTIONARY_ATTACK_PARAMETERS, 0, |c| {
            c.handle(Handle::LOCKOUT).password(lockout_auth);
            c.param(&max_tries)
                .param(&recovery_time)
                .param(&lockout_recovery)
        })
        .map(drop)
    }
}
