//! The doctor's report: one line per check, as text for people and JSON for agents.

use std::fmt::Write as _;

use crate::diagnosis::Decoded;

/// A check's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Passed.
    Ok,
    /// Not applicable or informational.
    Info,
    /// Works, but attestation may be affected.
    Warn,
    /// Failed.
    Fail,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Self::Ok => "[ ok ]",
            Self::Info => "[info]",
            Self::Warn => "[WARN]",
            Self::Fail => "[FAIL]",
        }
    }

    /// The JSON name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// A stable identifier (`interface`, `da-reset`, `ek-certificate`, ...).
    pub id: &'static str,
    /// The status.
    pub status: Status,
    /// What was found.
    pub summary: String,
    /// The command that failed, for a TPM refusal.
    pub command: Option<&'static str>,
    /// The decoded response code, where a TPM answered with one.
    pub code: Option<Decoded>,
    /// What to do, where something is wrong.
    pub remedy: Option<String>,
}

impl Check {
    /// A check without a response code.
    #[must_use]
    pub fn new(id: &'static str, status: Status, summary: impl Into<String>) -> Self {
        Self {
            id,
            status,
            summary: summary.into(),
            command: None,
            code: None,
            remedy: None,
        }
    }

    /// Adds a remedy.
    #[must_use]
    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The backend used.
    pub backend: String,
    /// The scenario prepared.
    pub scenario: String,
    /// `fifo`, `tis13`, `crb`, `host`, `none` or `tpm12`.
    pub interface: &'static str,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// The worst status; informational checks count as passed.
    #[must_use]
    pub fn verdict(&self) -> Status {
        match self
            .checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok)
        {
            Status::Info => Status::Ok,
            worst => worst,
        }
    }

    /// 0 when everything passed, 1 with warnings only, 2 with failures.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self.verdict() {
            Status::Ok | Status::Info => 0,
            Status::Warn => 1,
            Status::Fail => 2,
        }
    }

    /// The check with `id`.
    #[must_use]
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The report for people.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "tpm2-doctor: TPM attestation readiness (backend {}, scenario {})\n\n",
            self.backend, self.scenario
        );
        for c in &self.checks {
            let _ = writeln!(out, "{} {:<16} {}", c.status.mark(), c.id, c.summary);
            if let Some(code) = &c.code {
                let command = c.command.map(|n| format!("{n}: ")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{:23}{command}({:#x}) {}: {}",
                    "",
                    code.raw,
                    code.headline(),
                    code.text
                );
            }
            if let Some(remedy) = &c.remedy {
                let _ = writeln!(out, "{:23}remedy: {remedy}", "");
            }
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        let _ = writeln!(
            out,
            "\nverdict: {} ({} ok, {} warnings, {} failures)",
            match self.verdict() {
                Status::Ok | Status::Info => "ready for attestation",
                Status::Warn => "works, with warnings",
                Status::Fail => "NOT ready for attestation",
            },
            count(Status::Ok),
            count(Status::Warn),
            count(Status::Fail)
        );
        out
    }

    /// The report for agents.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        let _ = write!(
            out,
            "\"backend\":{},\"scenario\":{},\"interface\":{},\"verdict\":{},\"exit_code\":{},\"checks\":[",
            json_str(&self.backend),
            json_str(&self.scenario),
            json_str(self.interface),
            json_str(self.verdict().name()),
            self.exit_code()
        );
        for (i, c) in self.checks.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"id\":{},\"status\":{},\"summary\":{},\"command\":{},\"code\":",
                json_str(c.id),
                json_str(c.status.name()),
                json_str(&c.summary),
                c.command.map_or_else(|| "null".to_owned(), json_str)
            );
            match &c.code {
                None => out.push_str("null"),
                Some(d) => {
                    let _ = write!(
                        out,
                        "{{\"raw\":\"{:#x}\",\"name\":{},\"subject\":{},\"format\":{},\"text\":{},\"retryable\":{}}}",
                        d.raw,
                        d.name.map_or_else(|| "null".to_owned(), json_str),
                        d.subject
                            .as_deref()
                            .map_or_else(|| "null".to_owned(), json_str),
                        json_str(d.format),
                        json_str(&d.text),
                        d.retryable
                    );
                }
            }
            let _ = write!(
                out,
                ",\"remedy\":{}}}",
                c.remedy
                    .as_deref()
                    .map_or_else(|| "null".to_owned(), json_str)
            );
        }
        out.push_str("]}");
        out
    }
}

/// A JSON string literal.
#[must_use]
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
