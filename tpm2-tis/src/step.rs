//! Steps of a register protocol that stop at the first failure.
//!
//! A driver's steps return a unit [`Stop`] and keep the failure itself in a
//! [`FirstFailure`], which the driver's public call hands out once. A step's result then
//! fits in registers, so a `?` between steps costs a branch and not a copy of the error,
//! which is what keeps the FIFO and CRB drivers small in flash. Both drivers use it, and
//! [`open_in`], which opens a driver in the caller's slot so that it is never moved.

/// A step stopped; why is in the [`FirstFailure`] whose [`FirstFailure::fail`] made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop(());

/// What a step gives.
pub type Step<T> = Result<T, Stop>;

/// The first failure of one call of a driver: the one reported, whatever the clean-up after
/// it does.
#[derive(Debug)]
pub struct FirstFailure<E>(Option<E>);

impl<E> Default for FirstFailure<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> FirstFailure<E> {
    /// No failure yet.
    #[must_use]
    pub const fn new() -> Self {
        Self(None)
    }

    /// Records `error` unless an earlier failure is kept, and stops the step.
    #[cold]
    #[inline(never)]
    pub fn fail(&mut self, error: E) -> Stop {
        if self.0.is_none() {
            self.0 = Some(error);
        }
        Stop(())
    }

    /// A register access's result as a step: its error, wrapped by `wrap`, stops it. Always
    /// inlined: over an infallible bus it is no code at all.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn check<T, F>(&mut self, result: Result<T, F>, wrap: impl FnOnce(F) -> E) -> Step<T> {
        match result {
            Ok(v) => Ok(v),
            Err(e) => Err(self.fail(wrap(e))),
        }
    }

    /// Whether the kept failure is one `recoverable` accepts; if so it is forgotten, for
    /// the caller to recover from.
    pub fn recover(&mut self, recoverable: impl Fn(&E) -> bool) -> bool {
        let yes = self.0.as_ref().is_some_and(recoverable);
        if yes {
            self.0 = None;
        }
        yes
    }

    /// The result of a public call: the failure that stopped it, taken, so that the next
    /// call starts clean. `lost` names a failure for a `Stop` whose failure was forgotten,
    /// which a driver's steps never return.
    pub fn outcome<T>(&mut self, step: Step<T>, lost: impl FnOnce() -> E) -> Result<T, E> {
        step.map_err(|Stop(())| self.0.take().unwrap_or_else(lost))
    }
}

/// Places `value` in `slot` and opens the driver in it there (reached through `driver`), so
/// that it is never moved: a driver's `new_in`, where `value` is the driver itself, or an
/// enum holding it such as `tpm2_crb::Device`. When opening fails the slot is emptied, and
/// a driver that failed to open is never handed out. `lost` names a failure for a slot
/// whose driver cannot be reached, which cannot happen.
pub fn open_in<S, T, E>(
    slot: &mut Option<S>,
    value: S,
    driver: impl FnOnce(&mut S) -> Option<&mut T>,
    open: impl FnOnce(&mut T) -> Result<(), E>,
    lost: impl Fn() -> E,
) -> Result<&mut S, E> {
    let opened = match driver(slot.insert(value)) {
        Some(d) => open(d),
        None => Err(lost()),
    };
    if let Err(e) = opened {
        *slot = None;
        return Err(e);
    }
    slot.as_mut().ok_or_else(lost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_is_reported_once_and_only_a_recoverable_one_is_forgotten() {
        let mut f = FirstFailure::new();
        let stop = f.fail("timeout");
        f.fail("clean-up failed");
        assert!(
            !f.recover(|e| *e == "clean-up failed"),
            "not the kept failure"
        );
        assert_eq!(f.outcome::<()>(Err(stop), || "lost"), Err("timeout"));
        assert_eq!(
            f.outcome(Ok(7), || "lost"),
            Ok(7),
            "the next call starts clean"
        );
        let stop = f.fail("expect");
        assert!(f.recover(|e| *e == "expect"));
        assert_eq!(f.outcome::<()>(Err(stop), || "lost"), Err("lost"));
        assert_eq!(f.check(Err::<(), u8>(3), |_| "bus"), Err(Stop(())));
        assert_eq!(f.outcome::<()>(Err(Stop(())), || "lost"), Err("bus"));
    }

    #[test]
    fn open_in_keeps_an_opened_driver_in_the_slot_and_empties_it_on_failure() {
        let mut slot = Some(1);
        assert_eq!(
            open_in(&mut slot, 7, |d| Some(d), |d| Err(*d), || 0),
            Err(7)
        );
        assert_eq!(
            slot, None,
            "the failed driver and the one before it are gone"
        );
        let opened = open_in(
            &mut slot,
            7,
            |d| Some(d),
            |d| {
                *d += 1;
                Ok(())
            },
            || 0,
        );
        assert_eq!(opened.copied(), Ok(8), "opened where it lives");
        assert_eq!(slot, Some(8));
    }

    #[test]
    fn open_in_reaches_the_driver_inside_an_enum_and_refuses_a_slot_without_it() {
        #[derive(Debug, PartialEq)]
        enum Either {
            A(u8),
            B(u8),
        }
        fn a(e: &mut Either) -> Option<&mut u8> {
            match e {
                Either::A(d) => Some(d),
                Either::B(_) => None,
            }
        }
        let opened = open_in(
            &mut None,
            Either::A(1),
            a,
            |d| {
                *d += 1;
                Ok::<(), u8>(())
            },
            || 0,
        )
        .map(|e| matches!(e, Either::A(2)));
        assert_eq!(opened, Ok(true), "opened inside the enum");
        let mut slot = None;
        let lost = open_in(&mut slot, Either::B(1), a, |_| Ok(()), || 9);
        assert_eq!(lost.map(drop), Err(9), "the driver was not there");
        assert_eq!(slot, None);
    }
}
