//! Startup, Shutdown, SelfTest, GetTestResult, GetRandom, HierarchyChangeAuth, Clear.

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    Auth, CommandCode, Digest, Handle, MaxBuffer, ResponseCode, StartupType, Transport, Unmarshal,
};

use crate::{Error, Tpm};

/// What TPM2_Startup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StartupOutcome {
    /// The TPM started now.
    Started,
    /// The TPM was started already (TPM_RC_INITIALIZE), e.g. by firmware.
    AlreadyStarted,
}

/// TPM2_GetTestResult's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TestResult<'a> {
    /// Vendor-specific test data.
    pub data: MaxBuffer<'a>,
    /// TPM_RC_SUCCESS, TPM_RC_TESTING (tests running) or TPM_RC_FAILURE / NEEDS_TEST.
    pub result: ResponseCode,
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// TPM2_Startup. TPM_RC_INITIALIZE, which a TPM answers when firmware started it
    /// already, is [`StartupOutcome::AlreadyStarted`], not an error.
    pub fn startup(&mut self, kind: StartupType) -> Result<StartupOutcome, Error<T::Error>> {
        match self.execute(CommandCode::STARTUP, 0, |c| c.param(&kind)) {
            Ok(_) => Ok(StartupOutcome::Started),
            // Compared as the whole code (what `Failure::AlreadyStarted` classifies), so that
            // a firmware image calling only this links no classification tables.
            Err(Error::Tpm(e)) if e.code == ResponseCode::INITIALIZE => {
                Ok(StartupOutcome::AlreadyStarted)
            }
            Err(e) => Err(e),
        }
    }

    /// TPM2_Shutdown.
    pub fn shutdown(&mut self, kind: StartupType) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::SHUTDOWN, 0, |c| c.param(&kind))
            .map(drop)
    }

    /// TPM2_SelfTest: `full` tests everything, otherwise only what was not tested yet.
    pub fn self_test(&mut self, full: bool) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::SELF_TEST, 0, |c| c.param(&full))
            .map(drop)
    }

    /// TPM2_GetTestResult.
    pub fn get_test_result(&mut self) -> Result<TestResult<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::GET_TEST_RESULT, 0, |c| c)?;
        let mut p = rsp.parameters();
        let data = MaxBuffer::decode(&mut p);
        let result = ResponseCode(p.u32());
        p.finish()?;
        Ok(TestResult { data, result })
    }

    /// TPM2_GetRandom: up to `count` random bytes (the TPM may return fewer).
    pub fn get_random(&mut self, count: u16) -> Result<Digest<'_>, Error<T::Error>> {
        let rsp = self.execute(CommandCode::GET_RANDOM, 0, |c| c.param(&count))?;
        let mut p = rsp.parameters();
        let bytes = Digest::decode(&mut p);
        p.finish()?;
        Ok(bytes)
    }

    /// TPM2_HierarchyChangeAuth: sets the authValue of `hierarchy` (OWNER, ENDORSEMENT,
    /// LOCKOUT or PLATFORM), authorized by its current one.
    pub fn hierarchy_change_auth(
        &mut self,
        hierarchy: Handle,
        auth: Auth<'_>,
        new_auth: Auth<'_>,
    ) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::HIERARCHY_CHANGE_AUTH, 0, |c| {
            c.handle(hierarchy).password(auth).secret_param(&new_auth)
        })
        .map(drop)
    }

    /// TPM2_Clear, authorized by the platform or lockout hierarchy (`auth_handle`
    /// TPM_RH_PLATFORM or TPM_RH_LOCKOUT): removes every owner and endorsement object and NV
    /// index, changes the storage and endorsement seeds, and empties the owner, endorsement
    /// and lockout authValues. Destroys the owner's keys: never sent unless asked.
    pub fn clear(&mut self, auth_handle: Handle, auth: Auth<'_>) -> Result<(), Error<T::Error>> {
        self.execute(CommandCode::CLEAR, 0, |c| {
            c.handle(auth_handle).password(auth)
        })
        .map(drop)
    }
}
