//! Policy digests computed in software (TPM 2.0 Part 3, the policy commands' `policyDigest`
//! updates), so that a policy can be checked against an object's authPolicy before a session
//! is started, and so that the TCG EK policy comes out of the code rather than a constant.

use tpm2_wire::{CommandCode, Handle, PcrSelection, Writer};

use super::crypto::{DIGEST, sha256};

/// A SHA-256 policy digest being extended, starting from zeros as a new policy session does.
///
/// ```
/// use tpm2_cmds::session::PolicyDigest;
/// use tpm2_cmds::Handle;
/// // The TCG EK Credential Profile's policy: PolicySecret(TPM_RH_ENDORSEMENT).
/// let ek = PolicyDigest::new().secret(&Handle::ENDORSEMENT.0.to_be_bytes(), &[]);
/// assert_eq!(ek.to_string(), "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PolicyDigest([u8; DIGEST]);

impl Default for PolicyDigest {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for PolicyDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PolicyDigest({self})")
    }
}

impl core::fmt::Display for PolicyDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl PolicyDigest {
    /// The digest of an empty policy: 32 zero bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self([0; DIGEST])
    }

    /// A digest read back from a TPM or a public area.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; DIGEST]) -> Self {
        Self(bytes)
    }

    /// The digest's bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; DIGEST] {
        &self.0
    }

    fn extend(self, code: CommandCode, parts: &[&[u8]]) -> Self {
        let cc = code.0.to_be_bytes();
        let mut all: [&[u8]; 6] = [&self.0, &cc, &[], &[], &[], &[]];
        for (slot, part) in all.iter_mut().skip(2).zip(parts) {
            *slot = part;
        }
        Self(sha256(&all))
    }

    /// TPM2_PolicySecret with the Name of the authorizing entity (a permanent handle's Name is
    /// its handle, big-endian) and `policy_ref`.
    #[must_use]
    pub fn secret(self, auth_name: &[u8], policy_ref: &[u8]) -> Self {
        let d = self.extend(CommandCode::POLICY_SECRET, &[auth_name]);
        Self(sha256(&[&d.0, policy_ref]))
    }

    /// TPM2_PolicySecret by a permanent handle (a hierarchy), whose Name is the handle.
    #[must_use]
    pub fn secret_of(self, hierarchy: Handle, policy_ref: &[u8]) -> Self {
        self.secret(&hierarchy.0.to_be_bytes(), policy_ref)
    }

    /// TPM2_PolicyCommandCode: only command `code` may be authorized.
    #[must_use]
    pub fn command_code(self, code: CommandCode) -> Self {
        self.extend(CommandCode::POLICY_COMMAND_CODE, &[&code.0.to_be_bytes()])
    }

    /// TPM2_PolicyAuthValue: the entity's authValue goes into the session HMAC.
    #[must_use]
    pub fn auth_value(self) -> Self {
        self.extend(CommandCode::POLICY_AUTH_VALUE, &[])
    }

    /// TPM2_PolicyPCR: the PCRs of `selection` must hash (SHA-256 over their concatenated
    /// values) to `pcr_digest`. Fails if the selection does not fit its encoding.
    pub fn pcr(
        self,
        selection: &[PcrSelection],
        pcr_digest: &[u8],
    ) -> Result<Self, tpm2_wire::WireError> {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        w.u32(u32::try_from(selection.len()).unwrap_or(u32::MAX));
        for s in selection {
            tpm2_wire::Marshal::marshal(s, &mut w);
        }
        w.result()?;
        Ok(self.extend(CommandCode::POLICY_PCR, &[w.written(), pcr_digest]))
    }

    /// TPM2_PolicyOR over `branches`: the digest is reset and extended with every branch.
    #[must_use]
    pub fn or(branches: &[PolicyDigest]) -> Self {
        let cc = CommandCode::POLICY_OR.0.to_be_bytes();
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut h, [0u8; DIGEST]);
        sha2::Digest::update(&mut h, cc);
        for b in branches {
            sha2::Digest::update(&mut h, b.0);
        }
        Self(sha2::Digest::finalize(h).into())
    }
}
