//! What both programs share on the command line: the exit-code scheme and secret values.

use std::process::ExitCode;

use zeroize::Zeroizing;

/// Usage errors and unreadable input, for both programs.
pub const EXIT_USAGE: u8 = 3;

/// The exit codes, as `--help` shows them.
pub const EXIT_CODES: &str = "Exit status:
  0  every check passed (explain, tpm2-rc: the input was read and decoded)
  1  warnings only
  2  at least one check failed
  3  usage error, or an input that cannot be read or decoded";

/// Parses the command line, or prints why not and says how to exit: 0 after `--help` and
/// `--version`, [`EXIT_USAGE`] after a usage error.
pub fn parse<P: clap::Parser>() -> Result<P, ExitCode> {
    P::try_parse().map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            ExitCode::from(EXIT_USAGE)
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// Reads an authorization value given as `str:TEXT` (or plain TEXT), `hex:HEX`,
/// `file:PATH` (the file's bytes) or `env:NAME` (an environment variable), as tpm2-tools
/// spells them. The value is wiped from memory when dropped.
pub fn auth_value(spec: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let bytes = if let Some(hex) = spec.strip_prefix("hex:") {
        if hex.len() % 2 != 0 {
            return Err("hex: needs an even number of digits".into());
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|d| u8::from_str_radix(d, 16).ok())
                    .ok_or_else(|| format!("hex:{hex}: not hexadecimal"))
            })
            .collect::<Result<Vec<u8>, String>>()?
    } else if let Some(path) = spec.strip_prefix("file:") {
        std::fs::read(path).map_err(|e| format!("file:{path}: {e}"))?
    } else if let Some(name) = spec.strip_prefix("env:") {
        std::env::var(name)
            .map_err(|e| format!("env:{name}: {e}"))?
            .into_bytes()
    } else {
        spec.strip_prefix("str:")
            .unwrap_or(spec)
            .as_bytes()
            .to_vec()
    };
    Ok(Zeroizing::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_values_in_every_spelling() {
        assert_eq!(&**auth_value("owner-pw").unwrap(), b"owner-pw");
        assert_eq!(&**auth_value("str:hex:x").unwrap(), b"hex:x");
        assert_eq!(&**auth_value("hex:0aFF").unwrap(), &[0x0A, 0xFF]);
        assert!(auth_value("hex:0").is_err());
        assert!(auth_value("hex:zz").is_err());
        assert!(auth_value("file:/nonexistent/auth").is_err());
    }
}
