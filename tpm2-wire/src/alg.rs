//! TPM_ALG_ID (TPM 2.0 Part 2 / TCG Algorithm Registry) and TPM_ECC_CURVE.

use crate::marshal::open_enum;

open_enum! {
    /// An algorithm identifier (TPM_ALG_ID).
    AlgId(u16) {
        ERROR = 0x0000, "TPM_ALG_ERROR";
        RSA = 0x0001, "TPM_ALG_RSA";
        TDES = 0x0003, "TPM_ALG_TDES";
        SHA1 = 0x0004, "TPM_ALG_SHA1";
        HMAC = 0x0005, "TPM_ALG_HMAC";
        AES = 0x0006, "TPM_ALG_AES";
        MGF1 = 0x0007, "TPM_ALG_MGF1";
        KEYEDHASH = 0x0008, "TPM_ALG_KEYEDHASH";
        XOR = 0x000A, "TPM_ALG_XOR";
        SHA256 = 0x000B, "TPM_ALG_SHA256";
        SHA384 = 0x000C, "TPM_ALG_SHA384";
        SHA512 = 0x000D, "TPM_ALG_SHA512";
        SHA256_192 = 0x000E, "TPM_ALG_SHA256_192";
        NULL = 0x0010, "TPM_ALG_NULL";
        SM3_256 = 0x0012, "TPM_ALG_SM3_256";
        SM4 = 0x0013, "TPM_ALG_SM4";
        RSASSA = 0x0014, "TPM_ALG_RSASSA";
        RSAES = 0x0015, "TPM_ALG_RSAES";
        RSAPSS = 0x0016, "TPM_ALG_RSAPSS";
        OAEP = 0x0017, "TPM_ALG_OAEP";
        ECDSA = 0x0018, "TPM_ALG_ECDSA";
        ECDH = 0x0019, "TPM_ALG_ECDH";
        ECDAA = 0x001A, "TPM_ALG_ECDAA";
        SM2 = 0x001B, "TPM_ALG_SM2";
        ECSCHNORR = 0x001C, "TPM_ALG_ECSCHNORR";
        ECMQV = 0x001D, "TPM_ALG_ECMQV";
        KDF1_SP800_56A = 0x0020, "TPM_ALG_KDF1_SP800_56A";
        KDF2 = 0x0021, "TPM_ALG_KDF2";
        KDF1_SP800_108 = 0x0022, "TPM_ALG_KDF1_SP800_108";
        ECC = 0x0023, "TPM_ALG_ECC";
        SYMCIPHER = 0x0025, "TPM_ALG_SYMCIPHER";
        CAMELLIA = 0x0026, "TPM_ALG_CAMELLIA";
        SHA3_256 = 0x0027, "TPM_ALG_SHA3_256";
        SHA3_384 = 0x0028, "TPM_ALG_SHA3_384";
        SHA3_512 = 0x0029, "TPM_ALG_SHA3_512";
        SHAKE128 = 0x002A, "TPM_ALG_SHAKE128";
        SHAKE256 = 0x002B, "TPM_ALG_SHAKE256";
        CMAC = 0x003F, "TPM_ALG_CMAC";
        CTR = 0x0040, "TPM_ALG_CTR";
        OFB = 0x0041, "TPM_ALG_OFB";
        CBC = 0x0042, "TPM_ALG_CBC";
        CFB = 0x0043, "TPM_ALG_CFB";
        ECB = 0x0044, "TPM_ALG_ECB";
    }
}

impl AlgId {
    /// The digest size in bytes of a hash algorithm, or `None` if this is not a hash.
    #[must_use]
    pub const fn digest_size(self) -> Option<u16> {
        match self {
            Self::SHA1 => Some(20),
            Self::SHA256 | Self::SM3_256 | Self::SHA3_256 => Some(32),
            Self::SHA256_192 => Some(24),
            Self::SHA384 | Self::SHA3_384 => Some(48),
            Self::SHA512 | Self::SHA3_512 => Some(64),
            _ => None,
        }
    }
}

open_enum! {
    /// An elliptic curve identifier (TPM_ECC_CURVE).
    EccCurve(u16) {
        NONE = 0x0000, "TPM_ECC_NONE";
        NIST_P192 = 0x0001, "TPM_ECC_NIST_P192";
        NIST_P224 = 0x0002, "TPM_ECC_NIST_P224";
        NIST_P256 = 0x0003, "TPM_ECC_NIST_P256";
        NIST_P384 = 0x0004, "TPM_ECC_NIST_P384";
        NIST_P521 = 0x0005, "TPM_ECC_NIST_P521";
        BN_P256 = 0x0010, "TPM_ECC_BN_P256";
        BN_P638 = 0x0011, "TPM_ECC_BN_P638";
        SM2_P256 = 0x0020, "TPM_ECC_SM2_P256";
    }
}
