//! `tpm2-doctor`: why does this host fail TPM attestation?
//!
//! `tpm2-doctor --help` for the options; `tpm2-doctor explain FILE...` annotates logs.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tpm2_examples::backend::BackendSpec;
use tpm2_examples::cli::{EXIT_CODES, EXIT_USAGE, auth_value, parse};
use tpm2_examples::report::json_str;
use tpm2_examples::{Options, Scenario, doctor, explain};

/// Why does this host fail TPM attestation? Runs the checks an ESXi host runs at start-up
/// through this library's drivers, and says for each refusal what it means and what to do.
#[derive(Parser)]
#[command(name = "tpm2-doctor", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Annotate ESXi hostd / vmkernel logs (or any text) with what their TPM codes mean.
    Explain {
        /// Print the annotations as JSON.
        #[arg(long)]
        json: bool,
        /// Log files; `-` reads standard input. Invalid UTF-8 is replaced, not refused.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
}

#[derive(Args)]
struct CheckArgs {
    /// Where the TPM is: dev:PATH (Linux device), mmio (hardware through /dev/mem),
    /// mssim:HOST:PORT, swtpm:HOST:PORT; simulated (feature `sim`): qemu-tis, qemu-crb
    /// (with +seabios or +ovmf to let firmware run first), libtpms. Default:
    /// dev:/dev/tpmrm0 when it exists.
    #[arg(long, value_name = "BACKEND")]
    backend: Option<String>,
    /// Put a simulated TPM into a field failure first: fresh, healthy, da-lockout,
    /// foreign-endorsement-auth, no-ek-cert, oaep-ek-cert, interface-0xf, tpm12, no-tpm,
    /// failure-mode.
    #[arg(long, value_name = "SCENARIO", default_value = "fresh")]
    scenario: Scenario,
    /// Write to the TPM as ESXi does: reset the DA counter, persist the EK at 0x81010001.
    /// Devices are examined read-only without it; simulators are provisioned by default.
    #[arg(long)]
    provision: bool,
    /// The lockoutAuth for the DA reset: str:TEXT, hex:HEX, file:PATH or env:NAME. Without
    /// it the empty lockoutAuth is used only where TPM_PT_PERMANENT says none is set.
    #[arg(long, value_name = "AUTH")]
    lockout_auth: Option<String>,
    /// How authorized commands are sent: `salted` (an HMAC session salted to a NULL-hierarchy
    /// ECC key, parameters encrypted: no authValue crosses the bus) or `password`. Default:
    /// salted on devices (dev:, mmio), password on simulators.
    #[arg(long, value_name = "salted|password")]
    session: Option<SessionMode>,
    /// The attestation dry run, as an ESXi host and vCenter do it: an AK under the EK, a
    /// credential made for it and activated, a Quote of the SHA-256 PCRs checked, the event
    /// log replayed. Transient objects only, all flushed.
    #[arg(long)]
    attest: bool,
    /// The firmware event log to replay in the dry run (implies --attest). Default on a
    /// dev: backend: /sys/kernel/security/tpm0/binary_bios_measurements.
    #[arg(long, value_name = "FILE")]
    event_log: Option<std::path::PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// How authorized commands are sent.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SessionMode {
    /// A salted HMAC session with parameter encryption.
    Salted,
    /// Password sessions: authValues in clear.
    Password,
}

fn main() -> ExitCode {
    let cli: Cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        Some(Command::Explain { json, files }) => explain_files(&files, json),
        None => check(cli.check),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("tpm2-doctor: {message} (see --help)");
    ExitCode::from(EXIT_USAGE)
}

fn check(args: CheckArgs) -> ExitCode {
    let backend = match args.backend {
        Some(b) => b,
        None => match ["/dev/tpmrm0", "/dev/tpm0"]
            .into_iter()
            .find(|p| Path::new(p).exists())
        {
            Some(path) => format!("dev:{path}"),
            None => {
                return usage(
                    "no TPM device on this host (/dev/tpmrm0, /dev/tpm0): name a backend with \
                     --backend",
                );
            }
        },
    };
    let spec: BackendSpec = match backend.parse() {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    if spec.is_simulated() && !cfg!(feature = "sim") {
        return usage(&format!(
            "{backend}: this tpm2-doctor was built without simulators (cargo feature `sim`)"
        ));
    }
    if let Err(e) = args.scenario.applies_to(&spec) {
        return usage(&e);
    }
    let lockout_auth = match args.lockout_auth.as_deref().map(auth_value).transpose() {
        Ok(a) => a,
        Err(e) => return usage(&format!("--lockout-auth: {e}")),
    };
    let options = Options {
        scenario: args.scenario,
        provision: args.provision.then_some(true),
        lockout_auth,
        salted: args.session.map(|m| matches!(m, SessionMode::Salted)),
        attest: args.attest || args.event_log.is_some(),
        event_log: args.event_log,
    };
    let report = doctor(&backend, &spec, &options);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    ExitCode::from(report.exit_code())
}

fn read_input(file: &str) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(file)?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn explain_files(files: &[String], json: bool) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    let mut entries = Vec::new();
    for file in files {
        let text = match read_input(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("tpm2-doctor: {file}: {e}");
                status = ExitCode::from(EXIT_USAGE);
                continue;
            }
        };
        for a in explain::explain(&text) {
            if json {
                let notes: Vec<String> = a.notes.iter().map(|n| json_str(n)).collect();
                entries.push(format!(
                    "{{\"file\":{},\"line_no\":{},\"line\":{},\"notes\":[{}]}}",
                    json_str(file),
                    a.line_no,
                    json_str(a.line.trim()),
                    notes.join(",")
                ));
            } else {
                println!("{file}:{}: {}", a.line_no, a.line.trim());
                for note in &a.notes {
                    println!("    -> {note}");
                }
            }
        }
    }
    if json {
        println!("[{}]", entries.join(","));
    }
    status
}
