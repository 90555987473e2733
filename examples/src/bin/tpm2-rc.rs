//! `tpm2-rc 0x921 0x18b 0x9a2`: each TPM or TSS response code decoded.

use std::process::ExitCode;

use clap::Parser;
use tpm2_examples::cli::{EXIT_CODES, parse};
use tpm2_examples::diagnosis::decode;
use tpm2_wire::ResponseCode;

/// Decodes TPM 2.0 and TSS response codes as tpm2-tss prints them: format, layer, the
/// handle, session or parameter concerned, and whether a retry can help.
#[derive(Parser)]
#[command(name = "tpm2-rc", version, after_help = EXIT_CODES)]
struct Cli {
    /// Response codes: hexadecimal with 0x, or decimal.
    #[arg(required = true, value_name = "CODE", value_parser = parse_code)]
    codes: Vec<u32>,
}

fn parse_code(s: &str) -> Result<u32, String> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("{s:?} is not a 32-bit number: {e}"))
}

fn main() -> ExitCode {
    let cli: Cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    for raw in cli.codes {
        let code = ResponseCode(raw);
        let d = decode(code);
        println!("{raw:#x}: {}", d.headline());
        println!("    format:    {}", d.format);
        println!(
            "    layer:     {} ({})",
            code.layer().name().unwrap_or("unnamed"),
            code.layer().number()
        );
        if let Some(subject) = &d.subject {
            println!("    concerns:  {subject}");
        }
        println!("    text:      {}", d.text);
        println!(
            "    retryable: {}",
            if d.retryable {
                "yes (send the command again)"
            } else {
                "no"
            }
        );
    }
    ExitCode::SUCCESS
}
