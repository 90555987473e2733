//! `tpm2-rc 0x921 0x18b 0x9a2`: each TPM or TSS response code decoded.

use std::process::ExitCode;

use tpm2_examples::diagnosis::decode;
use tpm2_wire::ResponseCode;

fn parse(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: tpm2-rc CODE... (hex with 0x, or decimal)");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for arg in &args {
        let Some(raw) = parse(arg) else {
            eprintln!("tpm2-rc: {arg:?} is not a number");
            status = ExitCode::from(2);
            continue;
        };
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
    status
}
