//! Policy digests computed in software (TPM 2.0 Part 3, the policy commands' `policyDigest`
//! updates), so that a policy can be checked against an object's authPolicy before a session
//! is started, and so that the TCG EK policy comes out of the code rather than a constant.

use tpm2_wire::{CommandCode, Handle, Marshal, PcrSelectionList, Writer};

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
    /// values) to `pcr_digest`. Fails if a bank's bitmap is longer than the encoding allows
    /// ([`PCR_SELECT_MAX`](tpm2_wire::PCR_SELECT_MAX) bytes).
    pub fn pcr(
        self,
        selection: &PcrSelectionList<'_>,
        pcr_digest: &[u8],
    ) -> Result<Self, tpm2_wire::WireError> {
        // The count, then up to 16 banks of hash, size and an 8-byte bitmap.
        let mut buf = [0u8; 4 + 16 * (2 + 1 + 8)];
        let mut w = Writer::new(&mut buf);
        selection.marshal(&mut w);
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

#[cfg(test)]
mod tests {
    use tpm2_wire::{AlgId, PcrBitmap, PcrSelection, PcrSelectionList, WireError};

    use super::{PolicyDigest, sha256};

    #[test]
    fn pcr_extends_with_the_tpml_pcr_selection_bytes_and_the_digest() {
        let bitmap = PcrBitmap::of(&[0, 7]);
        let banks = [PcrSelection::new(AlgId::SHA256, &bitmap)];
        let selection = PcrSelectionList::new(&banks).unwrap();
        let got = PolicyDigest::new().pcr(&selection, &[0xAB; 32]).unwrap();
        // count 1, TPM_ALG_SHA256, sizeofSelect 3, PCRs 0 and 7.
        let tpml = [0, 0, 0, 1, 0x00, 0x0B, 3, 0x81, 0, 0];
        let cc = 0x0000_017Fu32.to_be_bytes();
        let want = sha256(&[&[0; 32], &cc, &tpml, &[0xAB; 32]]);
        assert_eq!(got, PolicyDigest::from_bytes(want));
    }

    #[test]
    fn pcr_takes_sixteen_full_banks_and_refuses_a_bitmap_past_64_pcrs() {
        let wide = [0xFF; 8];
        let bank = PcrSelection {
            hash: AlgId::SHA256,
            select: &wide,
        };
        let banks = [bank; 16];
        let selection = PcrSelectionList::new(&banks).unwrap();
        assert!(PolicyDigest::new().pcr(&selection, &[]).is_ok());

        let too_wide = [0xFF; 9];
        let banks = [PcrSelection {
            hash: AlgId::SHA256,
            select: &too_wide,
        }];
        let selection = PcrSelectionList::new(&banks).unwrap();
        assert!(matches!(
            PolicyDigest::new().pcr(&selection, &[]),
            Err(WireError::TooLarge {
                value: 9,
                max: 8,
                ..
            })
        ));
    }
}
