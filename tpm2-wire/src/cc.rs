//! TPM_CC: command codes (TPM 2.0 Part 2, Table 12).

use crate::marshal::open_enum;

open_enum! {
    /// A TPM 2.0 command code (TPM_CC).
    CommandCode(u32) {
        NV_UNDEFINE_SPACE_SPECIAL = 0x11F, "TPM_CC_NV_UndefineSpaceSpecial";
        EVICT_CONTROL = 0x120, "TPM_CC_EvictControl";
        HIERARCHY_CONTROL = 0x121, "TPM_CC_HierarchyControl";
        NV_UNDEFINE_SPACE = 0x122, "TPM_CC_NV_UndefineSpace";
        CHANGE_EPS = 0x124, "TPM_CC_ChangeEPS";
        CHANGE_PPS = 0x125, "TPM_CC_ChangePPS";
        CLEAR = 0x126, "TPM_CC_Clear";
        CLEAR_CONTROL = 0x127, "TPM_CC_ClearControl";
        CLOCK_SET = 0x128, "TPM_CC_ClockSet";
        HIERARCHY_CHANGE_AUTH = 0x129, "TPM_CC_HierarchyChangeAuth";
        NV_DEFINE_SPACE = 0x12A, "TPM_CC_NV_DefineSpace";
        PCR_ALLOCATE = 0x12B, "TPM_CC_PCR_Allocate";
        PCR_SET_AUTH_POLICY = 0x12C, "TPM_CC_PCR_SetAuthPolicy";
        PP_COMMANDS = 0x12D, "TPM_CC_PP_Commands";
        SET_PRIMARY_POLICY = 0x12E, "TPM_CC_SetPrimaryPolicy";
        FIELD_UPGRADE_START = 0x12F, "TPM_CC_FieldUpgradeStart";
        CLOCK_RATE_ADJUST = 0x130, "TPM_CC_ClockRateAdjust";
        CREATE_PRIMARY = 0x131, "TPM_CC_CreatePrimary";
        NV_GLOBAL_WRITE_LOCK = 0x132, "TPM_CC_NV_GlobalWriteLock";
        GET_COMMAND_AUDIT_DIGEST = 0x133, "TPM_CC_GetCommandAuditDigest";
        NV_INCREMENT = 0x134, "TPM_CC_NV_Increment";
        NV_SET_BITS = 0x135, "TPM_CC_NV_SetBits";
        NV_EXTEND = 0x136, "TPM_CC_NV_Extend";
        NV_WRITE = 0x137, "TPM_CC_NV_Write";
        NV_WRITE_LOCK = 0x138, "TPM_CC_NV_WriteLock";
        DICTIONARY_ATTACK_LOCK_RESET = 0x139, "TPM_CC_DictionaryAttackLockReset";
        DICTIONARY_ATTACK_PARAMETERS = 0x13A, "TPM_CC_DictionaryAttackParameters";
        NV_CHANGE_AUTH = 0x13B, "TPM_CC_NV_ChangeAuth";
        PCR_EVENT = 0x13C, "TPM_CC_PCR_Event";
        PCR_RESET = 0x13D, "TPM_CC_PCR_Reset";
        SEQUENCE_COMPLETE = 0x13E, "TPM_CC_SequenceComplete";
        SET_ALGORITHM_SET = 0x13F, "TPM_CC_SetAlgorithmSet";
        SET_COMMAND_CODE_AUDIT_STATUS = 0x140, "TPM_CC_SetCommandCodeAuditStatus";
        FIELD_UPGRADE_DATA = 0x141, "TPM_CC_FieldUpgradeData";
        INCREMENTAL_SELF_TEST = 0x142, "TPM_CC_IncrementalSelfTest";
        SELF_TEST = 0x143, "TPM_CC_SelfTest";
        STARTUP = 0x144, "TPM_CC_Startup";
        SHUTDOWN = 0x145, "TPM_CC_Shutdown";
        STIR_RANDOM = 0x146, "TPM_CC_StirRandom";
        ACTIVATE_CREDENTIAL = 0x147, "TPM_CC_ActivateCredential";
        CERTIFY = 0x148, "TPM_CC_Certify";
        POLICY_NV = 0x149, "TPM_CC_PolicyNV";
        CERTIFY_CREATION = 0x14A, "TPM_CC_CertifyCreation";
        DUPLICATE = 0x14B, "TPM_CC_Duplicate";
        GET_TIME = 0x14C, "TPM_CC_GetTime";
        GET_SESSION_AUDIT_DIGEST = 0x14D, "TPM_CC_GetSessionAuditDigest";
        NV_READ = 0x14E, "TPM_CC_NV_Read";
        NV_READ_LOCK = 0x14F, "TPM_CC_NV_ReadLock";
        OBJECT_CHANGE_AUTH = 0x150, "TPM_CC_ObjectChangeAuth";
        POLICY_SECRET = 0x151, "TPM_CC_PolicySecret";
        REWRAP = 0x152, "TPM_CC_Rewrap";
        CREATE = 0x153, "TPM_CC_Create";
        ECDH_ZGEN = 0x154, "TPM_CC_ECDH_ZGen";
        HMAC = 0x155, "TPM_CC_HMAC";
        IMPORT = 0x156, "TPM_CC_Import";
        LOAD = 0x157, "TPM_CC_Load";
        QUOTE = 0x158, "TPM_CC_Quote";
        RSA_DECRYPT = 0x159, "TPM_CC_RSA_Decrypt";
        HMAC_START = 0x15B, "TPM_CC_HMAC_Start";
        SEQUENCE_UPDATE = 0x15C, "TPM_CC_SequenceUpdate";
        SIGN = 0x15D, "TPM_CC_Sign";
        UNSEAL = 0x15E, "TPM_CC_Unseal";
        POLICY_SIGNED = 0x160, "TPM_CC_PolicySigned";
        CONTEXT_LOAD = 0x161, "TPM_CC_ContextLoad";
        CONTEXT_SAVE = 0x162, "TPM_CC_ContextSave";
        ECDH_KEY_GEN = 0x163, "TPM_CC_ECDH_KeyGen";
        ENCRYPT_DECRYPT = 0x164, "TPM_CC_EncryptDecrypt";
        FLUSH_CONTEXT = 0x165, "TPM_CC_FlushContext";
        LOAD_EXTERNAL = 0x167, "TPM_CC_LoadExternal";
        MAKE_CREDENTIAL = 0x168, "TPM_CC_MakeCredential";
        NV_READ_PUBLIC = 0x169, "TPM_CC_NV_ReadPublic";
        POLICY_AUTHORIZE = 0x16A, "TPM_CC_PolicyAuthorize";
        POLICY_AUTH_VALUE = 0x16B, "TPM_CC_PolicyAuthValue";
        POLICY_COMMAND_CODE = 0x16C, "TPM_CC_PolicyCommandCode";
        POLICY_COUNTER_TIMER = 0x16D, "TPM_CC_PolicyCounterTimer";
        POLICY_CP_HASH = 0x16E, "TPM_CC_PolicyCpHash";
        POLICY_LOCALITY = 0x16F, "TPM_CC_PolicyLocality";
        POLICY_NAME_HASH = 0x170, "TPM_CC_PolicyNameHash";
        POLICY_OR = 0x171, "TPM_CC_PolicyOR";
        POLICY_TICKET = 0x172, "TPM_CC_PolicyTicket";
        READ_PUBLIC = 0x173, "TPM_CC_ReadPublic";
        RSA_ENCRYPT = 0x174, "TPM_CC_RSA_Encrypt";
        START_AUTH_SESSION = 0x176, "TPM_CC_StartAuthSession";
        VERIFY_SIGNATURE = 0x177, "TPM_CC_VerifySignature";
        ECC_PARAMETERS = 0x178, "TPM_CC_ECC_Parameters";
        FIRMWARE_READ = 0x179, "TPM_CC_FirmwareRead";
        GET_CAPABILITY = 0x17A, "TPM_CC_GetCapability";
        GET_RANDOM = 0x17B, "TPM_CC_GetRandom";
        GET_TEST_RESULT = 0x17C, "TPM_CC_GetTestResult";
        HASH = 0x17D, "TPM_CC_Hash";
        PCR_READ = 0x17E, "TPM_CC_PCR_Read";
        POLICY_PCR = 0x17F, "TPM_CC_PolicyPCR";
        POLICY_RESTART = 0x180, "TPM_CC_PolicyRestart";
        READ_CLOCK = 0x181, "TPM_CC_ReadClock";
        PCR_EXTEND = 0x182, "TPM_CC_PCR_Extend";
        PCR_SET_AUTH_VALUE = 0x183, "TPM_CC_PCR_SetAuthValue";
        NV_CERTIFY = 0x184, "TPM_CC_NV_Certify";
        EVENT_SEQUENCE_COMPLETE = 0x185, "TPM_CC_EventSequenceComplete";
        HASH_SEQUENCE_START = 0x186, "TPM_CC_HashSequenceStart";
        POLICY_PHYSICAL_PRESENCE = 0x187, "TPM_CC_PolicyPhysicalPresence";
        POLICY_DUPLICATION_SELECT = 0x188, "TPM_CC_PolicyDuplicationSelect";
        POLICY_GET_DIGEST = 0x189, "TPM_CC_PolicyGetDigest";
        TEST_PARMS = 0x18A, "TPM_CC_TestParms";
        COMMIT = 0x18B, "TPM_CC_Commit";
        POLICY_PASSWORD = 0x18C, "TPM_CC_PolicyPassword";
        ZGEN_2PHASE = 0x18D, "TPM_CC_ZGen_2Phase";
        EC_EPHEMERAL = 0x18E, "TPM_CC_EC_Ephemeral";
        POLICY_NV_WRITTEN = 0x18F, "TPM_CC_PolicyNvWritten";
        POLICY_TEMPLATE = 0x190, "TPM_CC_PolicyTemplate";
        CREATE_LOADED = 0x191, "TPM_CC_CreateLoaded";
        POLICY_AUTHORIZE_NV = 0x192, "TPM_CC_PolicyAuthorizeNV";
        ENCRYPT_DECRYPT2 = 0x193, "TPM_CC_EncryptDecrypt2";
        AC_GET_CAPABILITY = 0x194, "TPM_CC_AC_GetCapability";
        AC_SEND = 0x195, "TPM_CC_AC_Send";
        POLICY_AC_SEND_SELECT = 0x196, "TPM_CC_Policy_AC_SendSelect";
        CERTIFY_X509 = 0x197, "TPM_CC_CertifyX509";
        ACT_SET_TIMEOUT = 0x198, "TPM_CC_ACT_SetTimeout";
    }
}

impl CommandCode {
    /// The command's name without the `TPM_CC_` prefix, as logs and tpm2-tools print it
    /// (`NV_ReadPublic`).
    #[must_use]
    pub fn short_name(self) -> Option<&'static str> {
        self.name().and_then(|n| n.strip_prefix("TPM_CC_"))
    }
}

/// How long a command may take to execute, in milliseconds: Linux's 2025 duration map,
/// except key generation, which gets 300 s because RSA 2048 key generation takes up to two
/// minutes on some chips; 120 s for anything not listed.
#[must_use]
pub const fn command_duration_ms(code: CommandCode) -> u32 {
    match code {
        CommandCode::CREATE_PRIMARY | CommandCode::CREATE | CommandCode::CREATE_LOADED => 300_000,
        CommandCode::STARTUP
        | CommandCode::PCR_EXTEND
        | CommandCode::GET_CAPABILITY
        | CommandCode::SEQUENCE_UPDATE
        | CommandCode::SEQUENCE_COMPLETE
        | CommandCode::EVENT_SEQUENCE_COMPLETE
        | CommandCode::HASH_SEQUENCE_START => 750,
        CommandCode::SELF_TEST => 3_000,
        CommandCode::GET_RANDOM
        | CommandCode::HIERARCHY_CONTROL
        | CommandCode::HIERARCHY_CHANGE_AUTH
        | CommandCode::NV_READ => 2_000,
        CommandCode::VERIFY_SIGNATURE => 30_000,
        _ => 120_000,
    }
}
