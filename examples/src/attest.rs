//! The attestation dry run (`--attest`): what an ESXi host and vCenter do together, on this
//! TPM, leaving nothing behind. An AK under the EK (PolicySecret of the endorsement
//! hierarchy), a credential made in software for the EK and the AK's Name and activated by
//! the TPM, a Quote of the SHA-256 PCRs with a fresh nonce checked against the AK, and the
//! firmware event log replayed against those PCRs, naming the first record where they part.

use tpm2_cmds::ek::EkKind;
use tpm2_cmds::templates::AK_RSA_2048;
use tpm2_cmds::verify::eventlog::{Divergence, EventLog};
use tpm2_cmds::verify::{self, QuoteError};
use tpm2_cmds::{Error, PcrBank};
use tpm2_wire::{
    AlgId, Auth, Data, Handle, Marshal, PcrBitmap, PcrSelection, PcrSelectionList, Public,
    SigScheme, Signature, Unmarshal,
};

use crate::backend::LinkError;
use crate::checks::{Client, transport_check};
use crate::report::{Check, Status};

/// Where the event log comes from, as the user's options resolved it.
#[derive(Debug, Clone, Copy)]
pub enum LogSource<'a> {
    /// Read from `path`.
    Read {
        /// Where it was read.
        path: &'a str,
        /// Its bytes.
        bytes: &'a [u8],
    },
    /// `path` could not be read: why.
    Unreadable {
        /// The file.
        path: &'a str,
        /// The error.
        error: &'a str,
    },
    /// No log: neither a device's securityfs log nor `--event-log`.
    None,
}

/// Where Linux exposes the firmware's event log of the first TPM.
pub const SECURITYFS_LOG: &str = "/sys/kernel/security/tpm0/binary_bios_measurements";

/// The dry run, under the EK the provisioning checks left loaded or persisted (`ek`), or
/// under one created from the TCG template and flushed afterwards when there is none: an RSA
/// EK CreatePrimary takes seconds on a real TPM, and is not done twice. Every object it makes
/// is flushed on every path; only the empty endorsement authValue is used (a hierarchy
/// authorization failure is not subject to dictionary-attack lockout).
pub fn dry_run(tpm: &mut Client, ek: Option<Handle>, log: LogSource<'_>, checks: &mut Vec<Check>) {
    if let Some(ek) = ek {
        return under_ek(tpm, ek, log, checks);
    }
    match tpm.create_default_ek(EkKind::Rsa2048, Auth::EMPTY) {
        Ok(created) => {
            let ek = created.handle;
            let mut ek_guard = tpm.flushing(ek);
            under_ek(&mut ek_guard, ek, log, checks);
            flush(ek_guard.flush(), checks);
        }
        Err(e) => checks.push(transport_check("attest-ek", &e)),
    }
}

/// The AK, the credential, the Quote and the log, under the loaded or persisted EK `ek`.
fn under_ek(tpm: &mut Client, ek: Handle, log: LogSource<'_>, checks: &mut Vec<Check>) {
    let mut rng = rand::rng();
    let ek_public = match tpm.read_public(ek).and_then(|r| Ok(r.public.to_vec()?)) {
        Ok(public) => public,
        Err(e) => return checks.push(transport_check("attest-ek", &e)),
    };
    let ak = match tpm.create_ak(ek, Auth::EMPTY, (&AK_RSA_2048, Auth::EMPTY), &mut rng) {
        Ok(ak) => ak,
        Err(e) => {
            return checks.push(transport_check("attest-ak", &e).remedy(
                "The AK is created under the EK with PolicySecret(TPM_RH_ENDORSEMENT), as \
                 ESXi does: the endorsement hierarchy must be enabled and its authValue empty.",
            ));
        }
    };
    let mut ak_guard = tpm.flushing(ak.handle);
    let ak_public = ak.blob.public().map_err(Error::<LinkError>::from);
    match ak_public.as_ref().map(verify::object_name) {
        Ok(Ok(local)) if local.as_bytes() == ak.name() => checks.push(Check::new(
            "attest-ak",
            Status::Ok,
            format!(
                "AK (RSA 2048, RSASSA-SHA256, restricted signing) created under the EK with \
                 PolicySecret(endorsement) and loaded; its Name {local} is the one computed \
                 from its public area"
            ),
        )),
        Ok(Ok(local)) => checks.push(Check::new(
            "attest-ak",
            Status::Fail,
            format!(
                "the TPM named the AK {:02x?}, its public area hashes to {local}",
                ak.name()
            ),
        )),
        Ok(Err(e)) => checks.push(Check::new("attest-ak", Status::Fail, e.to_string())),
        Err(e) => checks.push(transport_check("attest-ak", e)),
    }
    credential(
        &mut ak_guard,
        (ek, &ek_public),
        (ak.handle, ak.name()),
        checks,
    );
    if let Ok(public) = &ak_public {
        quote(&mut ak_guard, ak.handle, public, log, checks);
    }
    flush(ak_guard.flush(), checks);
}

fn flush(result: Result<(), Error<LinkError>>, checks: &mut Vec<Check>) {
    if let Err(e) = result {
        checks.push(transport_check("flush", &e));
    }
}

/// MakeCredential in software for the EK and the AK's Name, ActivateCredential on the TPM.
fn credential(
    tpm: &mut Client,
    (ek, ek_public): (Handle, &[u8]),
    (ak, ak_name): (Handle, &[u8]),
    checks: &mut Vec<Check>,
) {
    let mut rng = rand::rng();
    let challenge: [u8; 32] = rand::random();
    let made = Public::from_bytes(ek_public)
        .map_err(verify::VerifyError::from)
        .and_then(|ek| verify::make_credential(&ek, ak_name, &challenge, &mut rng));
    let made = match made {
        Ok(made) => made,
        Err(e) => {
            return checks.push(Check::new("attest-credential", Status::Fail, e.to_string()));
        }
    };
    let released = tpm.activate_credential_with_ek(
        (ak, Auth::EMPTY),
        (ek, Auth::EMPTY),
        (made.id_object(), made.encrypted_secret()),
        &mut rng,
    );
    checks.push(match released {
        Ok(secret) if secret.as_bytes() == challenge => Check::new(
            "attest-credential",
            Status::Ok,
            "MakeCredential (software, for the EK and the AK's Name) and ActivateCredential \
             (TPM): the secret came back, so the AK is on the TPM that holds this EK",
        ),
        Ok(_) => Check::new(
            "attest-credential",
            Status::Fail,
            "ActivateCredential returned another secret than the one made",
        ),
        Err(e) => transport_check("attest-credential", &e),
    });
}

/// A Quote of the 24 SHA-256 PCRs with a fresh nonce, checked with the AK's public key
/// against a whole-bank read, then the event log replayed against the same values.
fn quote(
    tpm: &mut Client,
    ak: Handle,
    ak_public: &Public<'_>,
    log: LogSource<'_>,
    checks: &mut Vec<Check>,
) {
    // A live host extends PCRs (IMA into PCR 10) between the Quote and the read: quote again
    // when the values moved, up to three times.
    let mut verified = Err(QuoteError::PcrDigestMismatch);
    let mut bank = PcrBank::new(AlgId::SHA256);
    for _ in 0..3 {
        let nonce: [u8; 32] = rand::random();
        let (quoted, signature) = match signed_quote(tpm, ak, &nonce) {
            Ok(signed) => signed,
            Err(e) => return checks.push(transport_check("attest-quote", &e)),
        };
        bank = match tpm.pcr_read_bank(AlgId::SHA256) {
            Ok(bank) if bank.is_complete() => bank,
            Ok(_) => {
                return checks.push(
                    Check::new(
                        "attest-quote",
                        Status::Fail,
                        "the TPM has no SHA-256 PCR bank",
                    )
                    .remedy("Allocate the SHA-256 bank (tpm2_pcrallocate) and reboot."),
                );
            }
            Err(e) => return checks.push(transport_check("attest-quote", &e)),
        };
        verified = Signature::from_bytes(&signature)
            .map_err(QuoteError::Malformed)
            .and_then(|s| {
                let expected = verify::Expected {
                    nonce: &nonce,
                    selection: &[PcrSelection::new(AlgId::SHA256, &PcrBitmap::ALL)],
                    pcrs: core::slice::from_ref(&bank),
                };
                verify::verify_quote(ak_public, &quoted, &s, &expected).map(|a| a.clock_info)
            });
        if verified != Err(QuoteError::PcrDigestMismatch) {
            break;
        }
    }
    checks.push(match verified {
        Ok(clock) => Check::new(
            "attest-quote",
            Status::Ok,
            format!(
                "Quote of SHA-256 PCRs 0-23 with a fresh nonce: signature, magic, nonce and PCR \
                 digest verified with the AK (clock {} ms, reset count {})",
                clock.clock, clock.reset_count
            ),
        ),
        Err(e) => Check::new(
            "attest-quote",
            Status::Fail,
            format!("the Quote does not verify: {e}"),
        ),
    });
    checks.push(event_log(log, &bank));
}

/// A Quote of the 24 SHA-256 PCRs over `nonce`: the signed bytes and the marshaled signature.
fn signed_quote(
    tpm: &mut Client,
    ak: Handle,
    nonce: &[u8; 32],
) -> Result<(Vec<u8>, Vec<u8>), Error<LinkError>> {
    let bitmap = PcrBitmap::ALL;
    let selection = [PcrSelection::new(AlgId::SHA256, &bitmap)];
    let list = PcrSelectionList::new(&selection).unwrap_or_else(PcrSelectionList::empty);
    let data = Data::new(nonce).unwrap_or_default();
    let quote = tpm.quote(ak, Auth::EMPTY, data, SigScheme::NULL, &list)?;
    Ok((quote.bytes.as_bytes().to_vec(), quote.signature.to_vec()?))
}

/// The log replayed against the TPM's SHA-256 PCRs.
fn event_log(log: LogSource<'_>, bank: &PcrBank) -> Check {
    let (path, bytes) = match log {
        LogSource::Read { path, bytes } => (path, bytes),
        LogSource::Unreadable { path, error } => {
            return Check::new("attest-eventlog", Status::Warn, format!("{path}: {error}")).remedy(
                "Run as root (securityfs is readable by root only), or pass --event-log FILE.",
            );
        }
        LogSource::None => {
            return Check::new(
                "attest-eventlog",
                Status::Info,
                "no event log: pass --event-log FILE (a copy of binary_bios_measurements)",
            );
        }
    };
    let log = match EventLog::parse(bytes) {
        Ok(log) => log,
        Err(e) => return Check::new("attest-eventlog", Status::Fail, format!("{path}: {e}")),
    };
    let comparison = match log.compare(bank) {
        Ok(c) => c,
        Err(e) => return Check::new("attest-eventlog", Status::Fail, format!("{path}: {e}")),
    };
    if comparison.matches() {
        return Check::new(
            "attest-eventlog",
            Status::Ok,
            format!(
                "{path}: {} records replay to the TPM's SHA-256 PCRs (every PCR the log \
                 extends, and 0-7)",
                log.events().len()
            ),
        );
    }
    let first = comparison.first_divergence().and_then(|n| log.event(n));
    let named = first.map_or_else(|| String::from("no record"), ToString::to_string);
    // The PCRs that differ, grouped by why.
    let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
    for m in &comparison.mismatches {
        let why = match m.divergence {
            Divergence::Altered { .. } => "a record's data does not hash to its digest",
            Divergence::NotExtended { .. } => "the log goes on past the TPM's value",
            Divergence::TpmAtReset { .. } => {
                "the TPM's PCR is at its reset value: the log is not from this boot of this TPM"
            }
            Divergence::Unexplained { .. } => {
                "the TPM's value is never reached: an extension is missing from the log, or a \
                 digest in it was changed"
            }
        };
        match reasons.iter_mut().find(|(w, _)| *w == why) {
            Some((_, pcrs)) => pcrs.push(m.pcr.to_string()),
            None => reasons.push((why, vec![m.pcr.to_string()])),
        }
    }
    let differs = if reasons.is_empty() {
        String::from("the PCRs match, but a record was altered after it was measured")
    } else {
        let parts: Vec<String> = reasons
            .iter()
            .map(|(why, pcrs)| format!("PCR {} ({why})", pcrs.join(", ")))
            .collect();
        format!("the replay differs at {}", parts.join("; "))
    };
    Check::new(
        "attest-eventlog",
        Status::Fail,
        format!("{path}: {differs}; the first diverging record is {named}"),
    )
    .remedy(
        "A verifier replaying this log rejects the host: the log does not describe what the \
         TPM measured. Check for firmware updates, or measurements made without logging.",
    )
}
