//! The typed commands, as methods of [`Tpm`](crate::Tpm), grouped by area.

mod capability;
mod da;
mod nv;
mod object;
mod pcr;
mod properties;
mod startup;

pub use capability::{CapabilityPage, MAX_PAGES};
pub use nv::NvReadPublic;
pub use object::{CreatePrimary, ReadPublic};
pub use pcr::{PcrRead, PcrValue};
pub use properties::{DaState, FixedProperties};
pub use startup::{StartupOutcome, TestResult};

use tpm2_wire::{Auth, AuthCommand};

/// The one password session of a command authorized by `auth`.
pub(crate) fn password(auth: Auth<'_>) -> [AuthCommand<'_>; 1] {
    [AuthCommand::password(auth)]
}
