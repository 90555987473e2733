//! Register offsets and bit fields of the TPM register window (TCG PC Client PTP), defined
//! once for both drivers. Offsets are within one 4 KiB locality; see [`Locality::reg`].

/// A locality, 0 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Locality(u8);

impl Locality {
    /// Locality 0, the one firmware and operating systems use.
    pub const ZERO: Self = Self(0);

    /// Locality `n`, or `None` above 4.
    #[must_use]
    pub const fn new(n: u8) -> Option<Self> {
        if n <= 4 { Some(Self(n)) } else { None }
    }

    /// The locality number.
    #[must_use]
    pub const fn number(self) -> u8 {
        self.0
    }

    /// The offset of register `reg` of this locality.
    #[must_use]
    pub const fn reg(self, reg: u32) -> u32 {
        // At most 4 * 0x1000 + a register offset below 0x1000: no overflow.
        ((self.0 as u32) << 12) | reg
    }
}

/// Registers of the FIFO (TIS) interface.
pub mod fifo {
    /// TPM_ACCESS (8 bits).
    pub const ACCESS: u32 = 0x00;
    /// TPM_INT_ENABLE (32 bits).
    pub const INT_ENABLE: u32 = 0x08;
    /// TPM_INT_VECTOR (8 bits).
    pub const INT_VECTOR: u32 = 0x0C;
    /// TPM_INT_STATUS (32 bits).
    pub const INT_STATUS: u32 = 0x10;
    /// TPM_INTF_CAPABILITY (32 bits).
    pub const INTF_CAPABILITY: u32 = 0x14;
    /// TPM_STS (32 bits; burstCount in bits 23:8).
    pub const STS: u32 = 0x18;
    /// TPM_DATA_FIFO (8 to 32 bits).
    pub const DATA_FIFO: u32 = 0x24;
    /// TPM_XDATA_FIFO (extended FIFO window, 32 bits and wider).
    pub const XDATA_FIFO: u32 = 0x80;
    /// TPM_DID_VID (32 bits: vendor ID in 15:0, device ID in 31:16).
    pub const DID_VID: u32 = 0xF00;
    /// TPM_RID (8 bits).
    pub const RID: u32 = 0xF04;

    /// TPM_ACCESS bits.
    pub mod access {
        /// tpmEstablishment.
        pub const ESTABLISHMENT: u8 = 1 << 0;
        /// requestUse: ask for the locality (write), a request is pending (read).
        pub const REQUEST_USE: u8 = 1 << 1;
        /// pendingRequest: another locality is waiting.
        pub const PENDING_REQUEST: u8 = 1 << 2;
        /// Seize (write only): take the TPM from a lower locality.
        pub const SEIZE: u8 = 1 << 3;
        /// beenSeized: a higher locality took the TPM; write 1 to clear.
        pub const BEEN_SEIZED: u8 = 1 << 4;
        /// activeLocality: this locality has the TPM; write 1 to release it (or drop a
        /// pending request).
        pub const ACTIVE_LOCALITY: u8 = 1 << 5;
        /// tpmRegValidSts: the other bits are valid.
        pub const VALID: u8 = 1 << 7;
    }

    /// TPM_STS bits.
    pub mod sts {
        /// responseRetry (write): send the response again.
        pub const RESPONSE_RETRY: u32 = 1 << 1;
        /// selfTestDone.
        pub const SELF_TEST_DONE: u32 = 1 << 2;
        /// Expect: the TPM expects more command bytes.
        pub const EXPECT: u32 = 1 << 3;
        /// dataAvail: response bytes are available.
        pub const DATA_AVAIL: u32 = 1 << 4;
        /// tpmGo (write): execute the command.
        pub const GO: u32 = 1 << 5;
        /// commandReady: ready for a command (read); abort and get ready (write).
        pub const COMMAND_READY: u32 = 1 << 6;
        /// stsValid: Expect and dataAvail are valid.
        pub const VALID: u32 = 1 << 7;
        /// The burstCount field, bits 23:8.
        pub const BURST_COUNT_SHIFT: u32 = 8;
        /// commandCancel (write).
        pub const COMMAND_CANCEL: u32 = 1 << 24;
        /// resetEstablishmentBit (write).
        pub const RESET_ESTABLISHMENT: u32 = 1 << 25;
        /// The tpmFamily field, bits 27:26: 0 = TPM 1.2, 1 = TPM 2.0.
        pub const FAMILY_SHIFT: u32 = 26;
        /// Bits that read as zero on a working TPM (responseRetry, tpmGo and bit 0).
        pub const READ_ZERO: u32 = 0x23;
    }

    /// TPM_INTF_CAPABILITY fields.
    pub mod capability {
        /// burstCountStatic.
        pub const BURST_COUNT_STATIC: u32 = 1 << 8;
        /// DataTransferSizeSupport, bits 10:9: 0 legacy (1 byte), 1 = 8, 2 = 32, 3 = 64 bytes.
        pub const TRANSFER_SIZE_SHIFT: u32 = 9;
        /// InterfaceVersion, bits 30:28: 0 TIS 1.2, 2 TIS 1.3, 3 PTP (TPM 2.0 FIFO).
        pub const VERSION_SHIFT: u32 = 28;
    }
}

/// The interface identifier register, shared by both interfaces.
pub const INTERFACE_ID: u32 = 0x30;
