//! Transient objects and sessions flushed by scope.

use core::ops::{Deref, DerefMut};

use embedded_hal::delay::DelayNs;
use tpm2_wire::{Handle, Transport};

use crate::{Error, Tpm};

/// A transient object or session that is flushed from the TPM when this guard goes out of
/// scope, on every path (an early `?` included), unless [`Flushing::keep`] takes it back.
/// It dereferences to the client, so commands go through it meanwhile.
///
/// ```
/// use tpm2_cmds::{Auth, Failure, Tpm, ek::EkKind};
/// # let mut tpm = Tpm::new(
/// #     tpm2_tests::libtpms::Libtpms::start()?,
/// #     tpm2_tests::delay::VirtualClock::default(),
/// # );
/// # tpm.startup(tpm2_cmds::StartupType::CLEAR)?;
/// let handle = tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY)?.handle;
/// {
///     let mut ek = tpm.flushing(handle);
///     let name = ek.read_public(handle)?.name; // an early `?` here still flushes the EK
///     println!("{name}");
/// }
/// let gone = tpm.read_public(handle).unwrap_err();
/// assert!(gone.is(Failure::ObjectNotFound));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Flushing<'t, T: Transport, D: DelayNs, const N: usize> {
    tpm: &'t mut Tpm<T, D, N>,
    handle: Option<Handle>,
}

impl<T: Transport, D: DelayNs, const N: usize> Tpm<T, D, N> {
    /// Flushes `handle` (a transient object or a session) when the returned guard drops.
    pub fn flushing(&mut self, handle: Handle) -> Flushing<'_, T, D, N> {
        Flushing {
            tpm: self,
            handle: Some(handle),
        }
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Flushing<'_, T, D, N> {
    /// The guarded handle.
    #[must_use]
    pub fn handle(&self) -> Option<Handle> {
        self.handle
    }

    /// Keeps the object loaded: the caller flushes it (or persists it) later.
    #[must_use]
    pub fn keep(mut self) -> Option<Handle> {
        self.handle.take()
    }

    /// Flushes now, reporting the result a drop would discard.
    pub fn flush(mut self) -> Result<(), Error<T::Error>> {
        match self.handle.take() {
            Some(handle) => self.tpm.flush_context(handle),
            None => Ok(()),
        }
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Deref for Flushing<'_, T, D, N> {
    type Target = Tpm<T, D, N>;
    fn deref(&self) -> &Self::Target {
        self.tpm
    }
}

impl<T: Transport, D: DelayNs, const N: usize> DerefMut for Flushing<'_, T, D, N> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.tpm
    }
}

impl<T: Transport, D: DelayNs, const N: usize> Drop for Flushing<'_, T, D, N> {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            // Nothing to report to from a drop: `flush` is there for callers who care.
            let _ = self.tpm.flush_context(handle);
        }
    }
}

impl<T: Transport, D: DelayNs, const N: usize> core::fmt::Debug for Flushing<'_, T, D, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Flushing")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
