//! A register bus that records every access it passes on: what a logic analyser on the bus
//! would see, for tests that check what crossed it, or how often a register was read.

use tpm2_tis::RegisterAccess;

/// One register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// A write (else a read).
    pub write: bool,
    /// The register offset.
    pub offset: u32,
    /// The width in bytes: 1, 2 or 4.
    pub width: u8,
    /// The value read or written.
    pub value: u32,
}

impl Access {
    /// The value's bytes as they crossed the bus, little-endian, `width` of them.
    pub fn bytes(&self) -> impl Iterator<Item = u8> {
        self.value.to_le_bytes().into_iter().take(self.width.into())
    }
}

/// Passes every access on to `inner` and records it in `log`, in order.
#[derive(Debug)]
pub struct Tap<B> {
    /// The bus tapped.
    pub inner: B,
    /// The accesses so far.
    pub log: Vec<Access>,
}

impl<B> Tap<B> {
    /// A tap on `inner` that has seen nothing yet.
    pub const fn new(inner: B) -> Self {
        Self {
            inner,
            log: Vec::new(),
        }
    }

    fn record<T: Copy + Into<u32>>(&mut self, write: bool, offset: u32, value: T) -> T {
        let width = u8::try_from(core::mem::size_of::<T>()).unwrap_or(4);
        self.log.push(Access {
            write,
            offset,
            width,
            value: value.into(),
        });
        value
    }
}

impl<B: RegisterAccess> RegisterAccess for Tap<B> {
    type Error = B::Error;
    fn read8(&mut self, offset: u32) -> Result<u8, B::Error> {
        let v = self.inner.read8(offset)?;
        Ok(self.record(false, offset, v))
    }
    fn read16(&mut self, offset: u32) -> Result<u16, B::Error> {
        let v = self.inner.read16(offset)?;
        Ok(self.record(false, offset, v))
    }
    fn read32(&mut self, offset: u32) -> Result<u32, B::Error> {
        let v = self.inner.read32(offset)?;
        Ok(self.record(false, offset, v))
    }
    fn write8(&mut self, offset: u32, value: u8) -> Result<(), B::Error> {
        self.record(true, offset, value);
        self.inner.write8(offset, value)
    }
    fn write16(&mut self, offset: u32, value: u16) -> Result<(), B::Error> {
        self.record(true, offset, value);
        self.inner.write16(offset, value)
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), B::Error> {
        self.record(true, offset, value);
        self.inner.write32(offset, value)
    }
}
