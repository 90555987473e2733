//! CRB registers of locality 0 (TCG PC Client PTP, CRB interface). INTERFACE_ID is shared
//! with the FIFO interface and lives in `tpm2_tis::regs`.

/// TPM_LOC_STATE: b0 tpmEstablished, b1 locAssigned, b4:2 activeLocality, b7 tpmRegValidSts.
pub const LOC_STATE: u32 = 0x00;
/// TPM_LOC_CTRL: b0 requestAccess, b1 relinquish, b2 seize, b3 resetEstablishmentBit.
pub const LOC_CTRL: u32 = 0x08;
/// TPM_LOC_STS: b0 Granted, b1 beenSeized.
pub const LOC_STS: u32 = 0x0C;
/// TPM_CRB_CTRL_EXT (64 bits).
pub const CTRL_EXT: u32 = 0x38;
/// TPM_CRB_CTRL_REQ: b0 cmdReady, b1 goIdle; the TPM clears them.
pub const CTRL_REQ: u32 = 0x40;
/// TPM_CRB_CTRL_STS: b0 tpmSts (fatal error), b1 tpmIdle.
pub const CTRL_STS: u32 = 0x44;
/// TPM_CRB_CTRL_CANCEL: write 1 to cancel, 0 to clear.
pub const CTRL_CANCEL: u32 = 0x48;
/// TPM_CRB_CTRL_START: write 1 to start; the TPM clears it when done.
pub const CTRL_START: u32 = 0x4C;
/// TPM_CRB_CTRL_CMD_SIZE.
pub const CTRL_CMD_SIZE: u32 = 0x58;
/// TPM_CRB_CTRL_CMD_LADDR.
pub const CTRL_CMD_LADDR: u32 = 0x5C;
/// TPM_CRB_CTRL_CMD_HADDR.
pub const CTRL_CMD_HADDR: u32 = 0x60;
/// TPM_CRB_CTRL_RSP_SIZE.
pub const CTRL_RSP_SIZE: u32 = 0x64;
/// TPM_CRB_CTRL_RSP_ADDR (64 bits).
pub const CTRL_RSP_ADDR: u32 = 0x68;
/// TPM_CRB_DATA_BUFFER: where the buffers normally are.
pub const DATA_BUFFER: u32 = 0x80;
/// The end of locality 0's 4 KiB page, and of its data buffer: locality 1's registers start
/// here, so no buffer in the register window may reach past it.
pub const LOCALITY_0_END: u32 = 0x1000;

/// LOC_STATE bits.
pub mod loc_state {
    /// locAssigned.
    pub const ASSIGNED: u32 = 1 << 1;
    /// activeLocality, bits 4:2.
    pub const ACTIVE_SHIFT: u32 = 2;
    /// tpmRegValidSts.
    pub const VALID: u32 = 1 << 7;
}

/// LOC_CTRL bits.
pub mod loc_ctrl {
    /// requestAccess.
    pub const REQUEST_ACCESS: u32 = 1 << 0;
    /// relinquish.
    pub const RELINQUISH: u32 = 1 << 1;
}

/// LOC_STS bits.
pub mod loc_sts {
    /// Granted.
    pub const GRANTED: u32 = 1 << 0;
    /// beenSeized.
    pub const BEEN_SEIZED: u32 = 1 << 1;
}

/// CTRL_REQ bits.
pub mod ctrl_req {
    /// cmdReady.
    pub const CMD_READY: u32 = 1 << 0;
    /// goIdle.
    pub const GO_IDLE: u32 = 1 << 1;
}

/// CTRL_STS bits.
pub mod ctrl_sts {
    /// tpmSts: the TPM is in a fatal error state.
    pub const FATAL: u32 = 1 << 0;
    /// tpmIdle.
    pub const IDLE: u32 = 1 << 1;
}
