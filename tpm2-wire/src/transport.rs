//! The `Transport` trait: how a command buffer reaches a TPM and its response comes back.

use core::fmt;

/// What kind of failure a transport had, so that callers can react without knowing whether
/// they talk to a FIFO, a CRB or a socket (the embedded-hal `ErrorKind` pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No TPM answers at all (absent device, closed socket).
    NoDevice,
    /// A wait for the device expired.
    Timeout,
    /// The device broke the interface protocol (bad register state, short or oversized frame).
    Protocol,
    /// The command or the response does not fit the buffer or the interface.
    TooLarge,
    /// The device speaks TPM 1.2, not TPM 2.0.
    Tpm12,
    /// The bus, socket or file reported an I/O error.
    Io,
    /// Anything else.
    Other,
}

/// An error of a [`Transport`].
pub trait TransportError: fmt::Debug + fmt::Display {
    /// The kind of failure.
    fn kind(&self) -> TransportErrorKind;
}

impl TransportError for core::convert::Infallible {
    fn kind(&self) -> TransportErrorKind {
        match *self {}
    }
}

/// Sends one command to a TPM and receives its response, in place.
///
/// The command is `buf[..command_len]`; the response is written over `buf` and returned as a
/// slice of it, so one buffer serves both directions. A response carrying a TPM error code is
/// a successful transaction: `Err` means that no valid response came back. An implementation
/// leaves the device idle and releases what it acquired before it returns, on every path.
pub trait Transport {
    /// The transport's error.
    type Error: TransportError;

    /// Sends `buf[..command_len]` and returns the response in `buf`.
    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], Self::Error>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    type Error = T::Error;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], Self::Error> {
        (**self).transact(buf, command_len)
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl<T: Transport + ?Sized> Transport for alloc::boxed::Box<T> {
    type Error = T::Error;

    fn transact<'b>(
        &mut self,
        buf: &'b mut [u8],
        command_len: usize,
    ) -> Result<&'b [u8], Self::Error> {
        (**self).transact(buf, command_len)
    }
}
