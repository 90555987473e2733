//! `tpm2-doctor explain`: annotates ESXi `hostd.log` / `vmkernel.log` lines (and any text)
//! with what their TPM codes mean and what to do.

use tpm2_wire::{CommandCode, ResponseCode};

use crate::diagnosis::{self, decode, explain_refusal};

/// The notes for one input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// 1-based line number.
    pub line_no: usize,
    /// The line.
    pub line: String,
    /// What it means.
    pub notes: Vec<String>,
}

/// The command whose log name is `name` (`NV_ReadPublic`, `CreatePrimary`, ...).
fn command_named(name: &str) -> Option<CommandCode> {
    (0x11F..=0x1A0)
        .map(CommandCode)
        .find(|c| c.short_name() == Some(name))
}

/// `Name: (0xHEX)` occurrences of a line.
fn coded_commands(line: &str) -> Vec<(Option<CommandCode>, u32)> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(": (0x") {
        let before = &rest[..at];
        let name = before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let hex: String = rest[at + 5..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        if let Ok(code) = u32::from_str_radix(&hex, 16) {
            found.push((command_named(name), code));
        }
        rest = &rest[at + 5..];
    }
    found
}

fn interface_type(line: &str) -> Option<u32> {
    let at = line.find("interfaceType = 0x")?;
    let hex: String = line[at + 18..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    u32::from_str_radix(&hex, 16).ok()
}

/// Annotates every line of `text` that says something about the TPM.
#[must_use]
pub fn explain(text: &str) -> Vec<Annotation> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut notes = Vec::new();
        for (command, raw) in coded_commands(line) {
            let d = decode(ResponseCode(raw));
            let name = command
                .and_then(CommandCode::short_name)
                .unwrap_or("the command");
            notes.push(format!(
                "{name} returned {raw:#x} = {} ({}): {}",
                d.headline(),
                d.format,
                d.text
            ));
            if let Some(command) = command {
                let (meaning, remedy) = explain_refusal(command, ResponseCode(raw));
                notes.push(format!("meaning: {meaning}"));
                notes.push(format!("remedy: {remedy}"));
            }
        }
        if let Some(t) = interface_type(line) {
            notes.push(match t {
                0xF => format!(
                    "INTERFACE_ID type 0xF (TIS 1.3). {}",
                    diagnosis::INTERFACE_0XF
                ),
                0 => "INTERFACE_ID type 0: the PTP FIFO interface.".to_owned(),
                1 => "INTERFACE_ID type 1: the CRB interface.".to_owned(),
                other => format!("INTERFACE_ID type {other:#x}: reserved."),
            });
        }
        if line.contains("not found at 0x81010001") {
            notes.push(
                "No EK persisted at 0x81010001 (the TCG-reserved RSA EK handle): ReadPublic \
                 answered TPM_RC_HANDLE; the EK will be created from a template."
                    .to_owned(),
            );
        }
        if line.contains("No RSA Endorsement Key certificate found") {
            notes.push(
                "NV index 0x01C00002 (RSA EK certificate) is not defined: NV_ReadPublic answers \
                 0x18b (TPM_RC_HANDLE on handle 1). The module carries no EK certificate."
                    .to_owned(),
            );
        }
        if line.contains("template is not present in NV") {
            notes.push(
                "NV index 0x01C00004 (vendor EK template) is not defined (0x18b): normal, the \
                 TCG default template is used."
                    .to_owned(),
            );
        }
        if line.contains("Unable to reset the dictionary attack counter") {
            notes.push(
                "Follows from TPM_RC_LOCKOUT (0x921) on DictionaryAttackLockReset above."
                    .to_owned(),
            );
        }
        if line.contains("Unable to provision default rsa endorsement key") {
            notes.push(
                "Follows from the CreatePrimary failure above: with 0x9a2 the endorsement \
                 hierarchy's authValue is not the empty one the host uses."
                    .to_owned(),
            );
        }
        if !notes.is_empty() {
            out.push(Annotation {
                line_no: i + 1,
                line: line.to_owned(),
                notes,
            });
        }
    }
    out
}
