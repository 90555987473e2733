//! The TCG PC Client crypto-agile event log (TCG_PCR_EVENT2 records after a "Spec ID
//! Event03" header), as firmware hands it over (`EFI_TCG2_PROTOCOL.GetEventLog`, Linux
//! `/sys/kernel/security/tpm0/binary_bios_measurements`): parsed, replayed per bank, and
//! compared with the TPM's PCRs, naming the first event where the two part.
//!
//! ```
//! use tpm2_cmds::verify::eventlog::EventLog;
//! # let log_bytes = tpm2_cmds::verify::eventlog::example_log();
//! let log = EventLog::parse(&log_bytes)?;
//! let replayed = log.replay(tpm2_cmds::wire::AlgId::SHA256)?;
//! let separator = log.events().iter().find(|e| e.type_name() == "EV_SEPARATOR").unwrap();
//! assert_eq!(separator.pcr, 7);
//! assert!(replayed.get(7).is_some());
//! # Ok::<(), tpm2_cmds::verify::eventlog::LogError>(())
//! ```

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use tpm2_wire::AlgId;

use super::{DigestBuf, VerifyError, hash};
use crate::session::crypto::same;
use crate::{BANK_PCRS, PcrBank};

/// EV_NO_ACTION: logged, never extended.
pub const EV_NO_ACTION: u32 = 0x3;
/// EV_EFI_HCRTM_EVENT: an H-CRTM measurement; PCR 0 then starts at locality 4.
pub const EV_EFI_HCRTM_EVENT: u32 = 0x8000_0010;

/// The event types of the TCG PC Client PFP, by the names tpm2-tools prints.
const EVENT_TYPES: &[(u32, &str)] = &[
    (0x0, "EV_PREBOOT_CERT"),
    (0x1, "EV_POST_CODE"),
    (0x2, "EV_UNUSED"),
    (EV_NO_ACTION, "EV_NO_ACTION"),
    (0x4, "EV_SEPARATOR"),
    (0x5, "EV_ACTION"),
    (0x6, "EV_EVENT_TAG"),
    (0x7, "EV_S_CRTM_CONTENTS"),
    (0x8, "EV_S_CRTM_VERSION"),
    (0x9, "EV_CPU_MICROCODE"),
    (0xA, "EV_PLATFORM_CONFIG_FLAGS"),
    (0xB, "EV_TABLE_OF_DEVICES"),
    (0xC, "EV_COMPACT_HASH"),
    (0xD, "EV_IPL"),
    (0xE, "EV_IPL_PARTITION_DATA"),
    (0xF, "EV_NONHOST_CODE"),
    (0x10, "EV_NONHOST_CONFIG"),
    (0x11, "EV_NONHOST_INFO"),
    (0x12, "EV_OMIT_BOOT_DEVICE_EVENTS"),
    (0x8000_0001, "EV_EFI_VARIABLE_DRIVER_CONFIG"),
    (0x8000_0002, "EV_EFI_VARIABLE_BOOT"),
    (0x8000_0003, "EV_EFI_BOOT_SERVICES_APPLICATION"),
    (0x8000_0004, "EV_EFI_BOOT_SERVICES_DRIVER"),
    (0x8000_0005, "EV_EFI_RUNTIME_SERVICES_DRIVER"),
    (0x8000_0006, "EV_EFI_GPT_EVENT"),
    (0x8000_0007, "EV_EFI_ACTION"),
    (0x8000_0008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"),
    (0x8000_0009, "EV_EFI_HANDOFF_TABLES"),
    (0x8000_000A, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"),
    (0x8000_000B, "EV_EFI_HANDOFF_TABLES2"),
    (0x8000_000C, "EV_EFI_VARIABLE_BOOT2"),
    (EV_EFI_HCRTM_EVENT, "EV_EFI_HCRTM_EVENT"),
    (0x8000_00E0, "EV_EFI_VARIABLE_AUTHORITY"),
    (0x8000_00E1, "EV_EFI_SPDM_FIRMWARE_BLOB"),
    (0x8000_00E2, "EV_EFI_SPDM_FIRMWARE_CONFIG"),
];

/// Event types whose digest is the hash of the event data itself, so an altered record shows
/// without the TPM: separators, action strings, the Secure Boot configuration and authority
/// variables, the GPT and the S-CRTM version.
const DATA_HASHED: &[u32] = &[
    0x4,
    0x5,
    0x8,
    0x8000_0001,
    0x8000_0006,
    0x8000_0007,
    0x8000_00E0,
];

/// Why a log could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogError {
    /// The first record is not the "Spec ID Event03" EV_NO_ACTION header: not a
    /// crypto-agile (TCG_2) log, e.g. a TPM 1.2 SHA-1 log.
    NotCryptoAgile,
    /// A record runs past the end of the log.
    Truncated {
        /// The record's number (the header is 0).
        event: usize,
        /// Its offset in the log.
        offset: usize,
    },
    /// A record carries a digest of an algorithm the header did not declare.
    UndeclaredAlgorithm {
        /// The record's number.
        event: usize,
        /// The algorithm.
        alg: AlgId,
    },
    /// A hash the verifier does not implement.
    Verify(VerifyError),
}

impl From<VerifyError> for LogError {
    fn from(e: VerifyError) -> Self {
        Self::Verify(e)
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotCryptoAgile => f.write_str(
                "not a crypto-agile event log: the first record is not the Spec ID Event03 header",
            ),
            Self::Truncated { event, offset } => {
                write!(
                    f,
                    "event {event} at offset {offset} runs past the end of the log"
                )
            }
            Self::UndeclaredAlgorithm { event, alg } => {
                write!(
                    f,
                    "event {event} has a {alg} digest the header did not declare"
                )
            }
            Self::Verify(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for LogError {}

/// One TCG_PCR_EVENT2 record, borrowed from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// Its number in the log, counting the Spec ID header as 0 (tpm2_eventlog's EventNum).
    pub number: usize,
    /// Its offset in the log.
    pub offset: usize,
    /// The PCR it extends.
    pub pcr: u32,
    /// The event type (EV_*).
    pub event_type: u32,
    /// One digest per bank.
    pub digests: Vec<(AlgId, &'a [u8])>,
    /// The event data.
    pub data: &'a [u8],
}

impl Event<'_> {
    /// The digest for `bank`.
    #[must_use]
    pub fn digest(&self, bank: AlgId) -> Option<&[u8]> {
        self.digests
            .iter()
            .find(|(alg, _)| *alg == bank)
            .map(|(_, d)| *d)
    }

    /// The type's name (EV_SEPARATOR ...), or "EV_UNKNOWN".
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        EVENT_TYPES
            .iter()
            .find(|(t, _)| *t == self.event_type)
            .map_or("EV_UNKNOWN", |(_, n)| n)
    }

    /// Whether the data says what the digest of `bank` measured, for the event types whose
    /// digest is the hash of their data; `None` for the others.
    #[must_use]
    pub fn data_matches(&self, bank: AlgId) -> Option<bool> {
        if !DATA_HASHED.contains(&self.event_type) {
            return None;
        }
        let digest = self.digest(bank)?;
        let computed = hash(bank, &[self.data]).ok()?;
        Some(same(computed.as_bytes(), digest))
    }

    /// A one-line description of the data: a variable's name, an image's size, a string.
    #[must_use]
    pub fn description(&self) -> String {
        describe(self.event_type, self.data)
    }
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "event {} (PCR {}, {}: {})",
            self.number,
            self.pcr,
            self.type_name(),
            self.description()
        )
    }
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

fn u64_le(b: &[u8], at: usize) -> Option<u64> {
    let bytes = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// Text from ASCII or UTF-16LE data, if it is text.
fn text(data: &[u8]) -> Option<String> {
    let trimmed = |s: String| s.trim_end_matches('\0').into();
    if !data.is_empty() && data.iter().all(|&b| b == 0 || (0x20..0x7F).contains(&b)) {
        return Some(trimmed(data.iter().map(|&b| char::from(b)).collect()));
    }
    if data.len() >= 2 && data.len() % 2 == 0 {
        let units = data
            .chunks_exact(2)
            .map(|c| <[u8; 2]>::try_from(c).map_or(0, u16::from_le_bytes));
        let s: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
        if s.chars().all(|c| c == '\0' || !c.is_control()) {
            return Some(trimmed(s));
        }
    }
    None
}

fn describe(event_type: u32, data: &[u8]) -> String {
    match event_type {
        // UEFI_VARIABLE_DATA: GUID, name length, data length, UTF-16 name, data.
        0x8000_0001 | 0x8000_0002 | 0x8000_000C | 0x8000_00E0 => {
            let name_len = u64_le(data, 16).and_then(|n| usize::try_from(n).ok());
            let name = name_len
                .and_then(|n| data.get(32..32usize.checked_add(n.checked_mul(2)?)?))
                .and_then(text);
            match name {
                Some(name) => format!("variable {name}"),
                None => format!("malformed variable record of {} bytes", data.len()),
            }
        }
        // UEFI_IMAGE_LOAD_EVENT: location, length, link-time address, device path.
        0x8000_0003..=0x8000_0005 => match (u64_le(data, 0), u64_le(data, 8)) {
            (Some(at), Some(len)) => format!("image of {len} bytes loaded at {at:#x}"),
            _ => format!("malformed image record of {} bytes", data.len()),
        },
        // UEFI_PLATFORM_FIRMWARE_BLOB: base, length.
        0x8000_0008 => match (u64_le(data, 0), u64_le(data, 8)) {
            (Some(at), Some(len)) => format!("firmware blob of {len} bytes at {at:#x}"),
            _ => format!("malformed blob record of {} bytes", data.len()),
        },
        // UEFI_PLATFORM_FIRMWARE_BLOB2: a sized description first.
        0x8000_000A | 0x8000_000B => {
            let len = usize::from(data.first().copied().unwrap_or(0));
            data.get(1..=len)
                .and_then(text)
                .unwrap_or_else(|| format!("{} bytes", data.len()))
        }
        0x4 => match data {
            [0, 0, 0, 0] => String::from("separator"),
            [0xFF, 0xFF, 0xFF, 0xFF] => String::from("separator signalling an error"),
            _ => format!("separator of {} bytes", data.len()),
        },
        _ => match text(data) {
            Some(t) if t.is_empty() => String::from("empty string"),
            Some(t) => t,
            None => format!("{} bytes", data.len()),
        },
    }
}

/// (record number, PCR, the PCR's value after it), in log order.
type Trail = Vec<(usize, u32, DigestBuf)>;

/// A parsed crypto-agile event log.
#[derive(Debug, Clone)]
pub struct EventLog<'a> {
    /// The banks the header declares, with their digest sizes.
    pub algorithms: Vec<(AlgId, u16)>,
    /// The locality of the StartupLocality event, if the log has one.
    pub startup_locality: Option<u8>,
    events: Vec<Event<'a>>,
}

impl<'a> EventLog<'a> {
    /// Parses `bytes`: the SHA-1-format header record carrying the Spec ID event, then
    /// TCG_PCR_EVENT2 records (little-endian) up to the end or to zero padding.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LogError> {
        let algorithms = spec_id(bytes).ok_or(LogError::NotCryptoAgile)?;
        let header_data = u32_le(bytes, 28).and_then(|n| usize::try_from(n).ok());
        let mut at = header_data
            .and_then(|n| n.checked_add(32))
            .ok_or(LogError::NotCryptoAgile)?;
        let mut log = Self {
            algorithms,
            startup_locality: None,
            events: Vec::new(),
        };
        let mut number = 1;
        while at < bytes.len() {
            let rest = bytes.get(at..).unwrap_or_default();
            if rest.iter().all(|&b| b == 0) || rest.iter().all(|&b| b == 0xFF) {
                break;
            }
            let (event, next) = log.record(bytes, at, number)?;
            if event.event_type == EV_NO_ACTION && event.data.starts_with(b"StartupLocality\0") {
                log.startup_locality = event.data.get(16).copied();
            }
            log.events.push(event);
            at = next;
            number += 1;
        }
        Ok(log)
    }

    fn record(
        &self,
        bytes: &'a [u8],
        at: usize,
        number: usize,
    ) -> Result<(Event<'a>, usize), LogError> {
        let truncated = LogError::Truncated {
            event: number,
            offset: at,
        };
        let pcr = u32_le(bytes, at).ok_or_else(|| truncated.clone())?;
        let event_type = u32_le(bytes, at + 4).ok_or_else(|| truncated.clone())?;
        let count = u32_le(bytes, at + 8).ok_or_else(|| truncated.clone())?;
        let mut pos = at + 12;
        let mut digests = Vec::new();
        for _ in 0..count.min(16) {
            let alg = AlgId(u16_le(bytes, pos).ok_or_else(|| truncated.clone())?);
            let size = self
                .algorithms
                .iter()
                .find(|(a, _)| *a == alg)
                .map(|(_, s)| usize::from(*s))
                .ok_or(LogError::UndeclaredAlgorithm { event: number, alg })?;
            let digest = bytes
                .get(pos + 2..pos + 2 + size)
                .ok_or_else(|| truncated.clone())?;
            digests.push((alg, digest));
            pos += 2 + size;
        }
        let size = u32_le(bytes, pos)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| truncated.clone())?;
        let data = pos
            .checked_add(4)
            .and_then(|start| bytes.get(start..start.checked_add(size)?))
            .ok_or(truncated)?;
        let event = Event {
            number,
            offset: at,
            pcr,
            event_type,
            digests,
            data,
        };
        Ok((event, pos + 4 + size))
    }

    /// The records after the header, in log order.
    #[must_use]
    pub fn events(&self) -> &[Event<'a>] {
        &self.events
    }

    /// The PCR values of `bank` the log implies: each PCR from its reset value (zeros; PCR 0
    /// from the startup locality, or 4 after an H-CRTM event), extended with each record's
    /// digest in order; EV_NO_ACTION records are not extended.
    pub fn replay(&self, bank: AlgId) -> Result<PcrBank, LogError> {
        self.replay_trail(bank).map(|(bank, _)| bank)
    }

    /// The replay, with the value of the PCR after each record extended (for locating a
    /// divergence).
    fn replay_trail(&self, bank: AlgId) -> Result<(PcrBank, Trail), LogError> {
        let size = usize::from(
            bank.digest_size()
                .ok_or(VerifyError::UnsupportedHash(bank))?,
        );
        let mut values = [[0u8; 64]; BANK_PCRS];
        let start_locality = if self
            .events
            .iter()
            .any(|e| e.event_type == EV_EFI_HCRTM_EVENT)
        {
            Some(4)
        } else {
            self.startup_locality
        };
        if let (Some(loc), Some(v)) = (start_locality, values.first_mut()) {
            if let Some(b) = v.get_mut(size - 1) {
                *b = loc;
            }
        }
        let mut trail = Vec::new();
        for e in &self.events {
            if e.event_type == EV_NO_ACTION {
                continue;
            }
            let (Some(digest), Some(slot)) = (
                e.digest(bank),
                usize::try_from(e.pcr).ok().and_then(|i| values.get_mut(i)),
            ) else {
                continue;
            };
            let old = slot.get(..size).unwrap_or_default();
            let new = hash(bank, &[old, digest])?;
            for (d, s) in slot.iter_mut().zip(new.as_bytes()) {
                *d = *s;
            }
            trail.push((e.number, e.pcr, new));
        }
        let mut out = PcrBank::new(bank);
        for (i, v) in (0u32..).zip(values.iter()) {
            out.set(i, v.get(..size).unwrap_or_default());
        }
        Ok((out, trail))
    }

    /// Replays `tpm.bank` and compares it with the TPM's values: every PCR the log extends,
    /// and PCRs 0-7 (the firmware's, which its log must account for whole). Also lists the
    /// records whose data does not hash to their digest.
    pub fn compare(&self, tpm: &PcrBank) -> Result<Comparison, LogError> {
        let bank = tpm.bank;
        let (replayed, trail) = self.replay_trail(bank)?;
        let altered: Vec<usize> = self
            .events
            .iter()
            .filter(|e| e.data_matches(bank) == Some(false))
            .map(|e| e.number)
            .collect();
        let mut mismatches = Vec::new();
        for pcr in 0..BANK_PCRS as u32 {
            let logged = self
                .events
                .iter()
                .any(|e| e.pcr == pcr && e.event_type != EV_NO_ACTION);
            if pcr >= 8 && !logged {
                continue;
            }
            let (Some(ours), Some(theirs)) = (replayed.get(pcr), tpm.get(pcr)) else {
                continue;
            };
            if same(ours, theirs) {
                continue;
            }
            let in_pcr = |n: &usize| self.event(*n).is_some_and(|e| e.pcr == pcr);
            let divergence = if let Some(&event) = altered.iter().find(|n| in_pcr(n)) {
                Divergence::Altered { event }
            } else if let Some(pos) = trail
                .iter()
                .position(|(_, p, v)| *p == pcr && same(v.as_bytes(), theirs))
            {
                let next = trail.iter().skip(pos + 1).find(|(_, p, _)| *p == pcr);
                Divergence::NotExtended {
                    first: next.map_or(0, |(n, _, _)| *n),
                }
            } else {
                let first = trail.iter().find(|(_, p, _)| *p == pcr).map(|(n, _, _)| *n);
                let at_reset = theirs.iter().all(|&b| b == 0) || theirs.iter().all(|&b| b == 0xFF);
                match first {
                    Some(first) if at_reset => Divergence::TpmAtReset { first },
                    _ => Divergence::Unexplained { first },
                }
            };
            mismatches.push(Mismatch {
                pcr,
                replayed: DigestBuf::new(ours),
                tpm: DigestBuf::new(theirs),
                divergence,
            });
        }
        Ok(Comparison {
            bank,
            mismatches,
            altered,
        })
    }

    /// Record `number`.
    #[must_use]
    pub fn event(&self, number: usize) -> Option<&Event<'a>> {
        self.events.iter().find(|e| e.number == number)
    }
}

/// The Spec ID event's algorithm table, if `bytes` starts with the crypto-agile header.
fn spec_id(bytes: &[u8]) -> Option<Vec<(AlgId, u16)>> {
    // TCG_PCR_EVENT: pcrIndex, eventType, SHA-1 digest[20], eventSize, event.
    if u32_le(bytes, 0)? != 0 || u32_le(bytes, 4)? != EV_NO_ACTION {
        return None;
    }
    let data = bytes.get(32..32usize.checked_add(usize::try_from(u32_le(bytes, 28)?).ok()?)?)?;
    if !data.starts_with(b"Spec ID Event03\0") {
        return None;
    }
    // signature[16], platformClass u32, versions and errata (4 x u8), numberOfAlgorithms.
    let count = u32_le(data, 24)?;
    let mut algorithms = Vec::new();
    for i in 0..usize::try_from(count.min(16)).ok()? {
        let at = 28 + 4 * i;
        algorithms.push((AlgId(u16_le(data, at)?), u16_le(data, at + 2)?));
    }
    Some(algorithms)
}

/// Where the log and the TPM part for one PCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Divergence {
    /// This record's data does not hash to its digest: the log was altered here.
    Altered {
        /// The record's number.
        event: usize,
    },
    /// The replay equals the TPM's value before this record: the TPM never received it
    /// (the log goes on past what was extended). 0 if the TPM's value is the reset value.
    NotExtended {
        /// The first record not extended.
        first: usize,
    },
    /// The TPM's PCR is still at its reset value although the log extends it: the log is not
    /// from this TPM's current boot (another boot, another machine).
    TpmAtReset {
        /// The PCR's first record in the log.
        first: usize,
    },
    /// The replay never equals the TPM's value: the TPM received an extension the log does not
    /// show, or a digest in the log was changed. Named from the PCR's first record, after
    /// which the two can no longer be shown equal.
    Unexplained {
        /// The PCR's first record in the log, if any.
        first: Option<usize>,
    },
}

/// One PCR where the replay and the TPM differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// The PCR.
    pub pcr: u32,
    /// The value the log implies.
    pub replayed: DigestBuf,
    /// The TPM's value.
    pub tpm: DigestBuf,
    /// Where they part.
    pub divergence: Divergence,
}

/// The outcome of [`EventLog::compare`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The bank compared.
    pub bank: AlgId,
    /// The PCRs that differ, ascending.
    pub mismatches: Vec<Mismatch>,
    /// Records whose data does not hash to their digest in this bank, even where the PCR
    /// matches (a description altered after the fact).
    pub altered: Vec<usize>,
}

impl Comparison {
    /// Whether the log accounts for the TPM's PCRs and no record was altered.
    #[must_use]
    pub fn matches(&self) -> bool {
        self.mismatches.is_empty() && self.altered.is_empty()
    }

    /// The record named as the first divergence, over all PCRs: the lowest-numbered one.
    #[must_use]
    pub fn first_divergence(&self) -> Option<usize> {
        let from_pcrs = self.mismatches.iter().filter_map(|m| match m.divergence {
            Divergence::Altered { event } => Some(event),
            Divergence::NotExtended { first } | Divergence::TpmAtReset { first } => Some(first),
            Divergence::Unexplained { first } => first,
        });
        from_pcrs.chain(self.altered.iter().copied()).min()
    }
}

/// A small crypto-agile log (header, StartupLocality, a separator in PCR 7) for the examples.
#[doc(hidden)]
#[must_use]
pub fn example_log() -> Vec<u8> {
    let mut log = Vec::new();
    let mut spec = Vec::new();
    spec.extend_from_slice(b"Spec ID Event03\0");
    spec.extend_from_slice(&0u32.to_le_bytes()); // platform class
    spec.extend_from_slice(&[0, 2, 0, 2]); // version 2.0, errata 0, uintn 8 bytes
    spec.extend_from_slice(&1u32.to_le_bytes());
    spec.extend_from_slice(&AlgId::SHA256.0.to_le_bytes());
    spec.extend_from_slice(&32u16.to_le_bytes());
    spec.push(0); // vendor info size
    log.extend_from_slice(&0u32.to_le_bytes());
    log.extend_from_slice(&EV_NO_ACTION.to_le_bytes());
    log.extend_from_slice(&[0; 20]);
    log.extend_from_slice(&u32::try_from(spec.len()).unwrap_or(0).to_le_bytes());
    log.extend_from_slice(&spec);
    let mut record = |pcr: u32, event_type: u32, digest: &[u8], data: &[u8]| {
        log.extend_from_slice(&pcr.to_le_bytes());
        log.extend_from_slice(&event_type.to_le_bytes());
        log.extend_from_slice(&1u32.to_le_bytes());
        log.extend_from_slice(&AlgId::SHA256.0.to_le_bytes());
        log.extend_from_slice(digest);
        log.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_le_bytes());
        log.extend_from_slice(data);
    };
    record(0, EV_NO_ACTION, &[0; 32], b"StartupLocality\0\x00");
    let separator = hash(AlgId::SHA256, &[&[0, 0, 0, 0]]).unwrap_or(DigestBuf::new(&[0; 32]));
    record(7, 0x4, separator.as_bytes(), &[0, 0, 0, 0]);
    log
}
