//! Whether a driver gives its locality back: localities are borrowed, not owned.

/// Whether a driver gives the locality back after each command. Both drivers share it.
///
/// Firmware that ran first may hold locality 0 and expect to keep it: EDK2 (OVMF) requests
/// it once per boot phase and never again before `EFI_TCG2_PROTOCOL.SubmitCommand`, so a
/// driver that releases it breaks every later measurement of the boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LocalityPolicy {
    /// Leave the TPM as it was found: keep the locality if it was already active when the
    /// driver was created, give it back after each command otherwise.
    #[default]
    AsFound,
    /// Give the locality back after each command (what Linux and U-Boot do).
    Release,
    /// Keep the locality once it is granted.
    Keep,
}

impl LocalityPolicy {
    /// Whether a driver holds the locality between commands, given whether it was active
    /// when the driver was created.
    #[must_use]
    pub const fn holds(self, found_active: bool) -> bool {
        match self {
            Self::AsFound => found_active,
            Self::Release => false,
            Self::Keep => true,
        }
    }
}
