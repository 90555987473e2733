//! The bare-metal firmware image: building it is the no-panic check (its panic handler
//! references an undefined symbol), and its ELF sections are the flash figures.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::chain;

use crate::run::{cargo, workspace_root};

/// The target the flash budget is stated for.
pub(crate) const TARGET: &str = "thumbv7em-none-eabihf";
/// The flash budget of the firmware path, in bytes of `.text`.
pub(crate) const TEXT_BUDGET: u64 = 12 * 1024;

/// The firmware images: the path over MMIO (the budget is for it), over the CRB driver, SPI,
/// I2C, through `tpm2_crb::Device`, and over a salted session.
/// Name, bus, and whether the image links with the undefined panic handler.
const IMAGES: &[(&str, &str, bool)] = &[
    ("tpm2-firmware", "MMIO at 0xFED40000", true),
    (
        "tpm2-firmware-crb",
        "MMIO at 0xFED40000, CRB interface",
        true,
    ),
    ("tpm2-firmware-spi", "SPI (SpiBus + chip-select pin)", true),
    ("tpm2-firmware-i2c", "I2C (TCG I2C interface)", true),
    (
        "tpm2-firmware-device",
        "MMIO at 0xFED40000, FIFO or CRB as the probe finds (tpm2_crb::Device)",
        true,
    ),
    (
        "tpm2-firmware-salted",
        "MMIO, DA reset and EK CreatePrimary over a salted encrypting session (feature sessions)",
        false,
    ),
];

fn image_named(name: &str) -> PathBuf {
    workspace_root()
        .join("firmware/target")
        .join(TARGET)
        .join("release")
        .join(name)
}

/// Builds the image; a reachable panic fails the link.
pub(crate) fn build() -> Result<(), String> {
    let manifest = workspace_root().join("firmware/Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let common = [
        "build",
        "--release",
        "--manifest-path",
        &manifest,
        "--target",
        TARGET,
    ];
    // The plain images without the sessions feature (so they build exactly as without it),
    // then the sessions image on its own.
    cargo(&common)
        .and_then(|()| {
            let mut args = common.to_vec();
            args.extend(["--features", "sessions", "--bin", "tpm2-firmware-salted"]);
            cargo(&args)
        })
        .map_err(|e| {
        format!(
            "{e}\nA link error naming tpm2_no_panic_guarantee_violated means a panic is reachable \
                 from the firmware path: build with RUSTFLAGS=\"--cfg find_panics\" and look for \
                 callers of core::panicking in the disassembly."
        )
    })
}

fn le(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let field = bytes.get(at..at + width)?;
    Some(
        field
            .iter()
            .rev()
            .fold(0u64, |acc, b| acc << 8 | u64::from(*b)),
    )
}

/// The sizes of the allocated sections (those that occupy flash or RAM) of a 32-bit
/// little-endian ELF file.
pub(crate) fn sections(elf: &[u8]) -> Option<Vec<(String, u64)>> {
    if elf.get(..5)? != b"\x7fELF\x01" {
        return None;
    }
    let table = section_table(elf)?;
    let allocated = table.into_iter().filter(|s| s.flags & SHF_ALLOC != 0);
    allocated
        .map(|s| Some((s.name, u64::try_from(s.size).ok()?)))
        .collect()
}

/// Builds the image and prints its section sizes against the budget.
pub(crate) fn report() -> Result<(), String> {
    build()?;
    for (i, (name, bus, checked)) in IMAGES.iter().enumerate() {
        let path = image_named(name);
        let elf = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sections = sections(&elf).ok_or("not a 32-bit ELF image")?;
        println!(
            "firmware path image over {bus} for {TARGET} (opt-level z, LTO, panic=abort): {}",
            if *checked {
                "links with an undefined panic handler, so no panic is reachable"
            } else {
                "links a parking panic handler (RustCrypto's AES, crypto-bigint and sec1 keep \
                 bounds checks)"
            }
        );
        for (name, size) in &sections {
            println!("  {name:<14} {size:>7} bytes");
        }
        let text = sections
            .iter()
            .find(|(n, _)| n == ".text")
            .map_or(0, |s| s.1);
        if i == 0 {
            println!("  the 15 largest functions (bytes):");
            for (size, name) in largest_functions(&elf, 15).unwrap_or_default() {
                println!("  {size:>7}  {name}");
            }
            println!(
                "  .text {text} bytes = {}.{:02} KiB of the {} KiB budget ({})",
                text / 1024,
                text % 1024 * 100 / 1024,
                TEXT_BUDGET / 1024,
                if text <= TEXT_BUDGET {
                    "within"
                } else {
                    "OVER"
                }
            );
        }
    }
    stack_report()
}

/// The ELF section headers: (name, offset, size) of every section.
/// The ELF section flag of sections that occupy flash or RAM.
const SHF_ALLOC: u64 = 0x2;

/// One ELF section header.
struct Section {
    name: String,
    flags: u64,
    addr: u64,
    offset: usize,
    size: usize,
}

fn section_table(elf: &[u8]) -> Option<Vec<Section>> {
    let shoff = usize::try_from(le(elf, 0x20, 4)?).ok()?;
    let shentsize = usize::try_from(le(elf, 0x2E, 2)?).ok()?;
    let shnum = usize::try_from(le(elf, 0x30, 2)?).ok()?;
    let shstrndx = usize::try_from(le(elf, 0x32, 2)?).ok()?;
    let header = |i: usize| shoff + i * shentsize;
    let strtab = usize::try_from(le(elf, header(shstrndx) + 16, 4)?).ok()?;
    (0..shnum)
        .map(|i| {
            let name_at = strtab + usize::try_from(le(elf, header(i), 4)?).ok()?;
            let name: Vec<u8> = elf
                .get(name_at..)?
                .iter()
                .take_while(|b| **b != 0)
                .copied()
                .collect();
            Some(Section {
                name: String::from_utf8_lossy(&name).into_owned(),
                flags: le(elf, header(i) + 8, 4)?,
                addr: le(elf, header(i) + 12, 4)?,
                offset: usize::try_from(le(elf, header(i) + 16, 4)?).ok()?,
                size: usize::try_from(le(elf, header(i) + 20, 4)?).ok()?,
            })
        })
        .collect()
}

/// The (offset, size) of the section named `name`.
fn section(elf: &[u8], name: &str) -> Option<(usize, usize)> {
    section_table(elf)?
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| (s.offset, s.size))
}

/// One ELF symbol: its name (up to the terminating zero), value, size and type (STT_*).
struct Symbol<'e> {
    name: &'e [u8],
    value: u64,
    size: u64,
    kind: u64,
}

/// The entries of the image's symbol table.
fn symbols(elf: &[u8]) -> Option<Vec<Symbol<'_>>> {
    let (sym_off, sym_size) = section(elf, ".symtab")?;
    let (str_off, _) = section(elf, ".strtab")?;
    elf.get(sym_off..sym_off + sym_size)?
        .chunks_exact(16)
        .map(|entry| {
            let name_at = str_off + usize::try_from(le(entry, 0, 4)?).ok()?;
            let rest = elf.get(name_at..)?;
            let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            Some(Symbol {
                name: rest.get(..end)?,
                value: le(entry, 4, 4)?,
                size: le(entry, 8, 4)?,
                kind: le(entry, 12, 1)? & 0xF,
            })
        })
        .collect()
}

/// The image's functions: address (Thumb bit cleared) to (demangled name, size in bytes).
fn functions(elf: &[u8]) -> Option<std::collections::HashMap<u64, (String, u64)>> {
    // STT_FUNC symbols only; ARM mapping symbols ($t, $d) share the addresses.
    let names = symbols(elf)?
        .into_iter()
        .filter(|s| s.kind == 2)
        .map(|s| {
            let name = String::from_utf8_lossy(s.name);
            let name = format!("{:#}", rustc_demangle::demangle(&name));
            (s.value & !1, (name, s.size))
        })
        .collect();
    Some(names)
}

/// The ARM mapping symbols: where code (`$t`) and data (`$d`) start, sorted.
fn mapping_marks(elf: &[u8]) -> Option<Vec<(u64, bool)>> {
    let is = |name: &[u8], mark: &[u8]| {
        name.strip_prefix(mark)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"."))
    };
    let mut marks: Vec<(u64, bool)> = symbols(elf)?
        .into_iter()
        .filter_map(|s| {
            if is(s.name, b"$d") {
                Some((s.value, true))
            } else if is(s.name, b"$t") {
                Some((s.value & !1, false))
            } else {
                None
            }
        })
        .collect();
    marks.sort_unstable();
    Some(marks)
}

/// The worst stack chain from `_start`, printed with its frames.
fn chain_report(elf: &[u8]) -> Option<()> {
    let frames: HashMap<u64, u64> = stack_frames(elf)?.into_iter().map(|f| (f.2, f.0)).collect();
    let functions: Vec<chain::Function> = functions(elf)?
        .into_iter()
        .map(|(addr, (name, size))| chain::Function {
            addr,
            size,
            frame: frames.get(&addr).copied().unwrap_or(0),
            name,
        })
        .collect();
    let sections = section_table(elf)?;
    let text = sections.iter().find(|s| s.name == ".text")?;
    // Stored addresses: in the read-only and initialised data, and in the literal pools.
    let data: Vec<&[u8]> = sections
        .iter()
        .filter(|s| s.flags & SHF_ALLOC != 0 && s.name != ".bss" && s.name != ".uninit")
        .filter_map(|s| elf.get(s.offset..s.offset + s.size))
        .collect();
    let code = chain::Code {
        text: elf.get(text.offset..text.offset + text.size)?,
        base: text.addr,
        marks: mapping_marks(elf)?,
        taken: chain::address_taken(&data, &functions),
    };
    let root = functions.iter().find(|f| f.name == "_start")?.addr;
    let chain = chain::worst(&code, &functions, root);
    let total: u64 = chain.iter().map(|f| f.frame).sum();
    println!(
        "  worst call chain from _start: {total} bytes, {} beyond the 4096-byte buffer (a call \
         through a register counted as reaching any of the {} functions whose address the \
         image stores)",
        total.saturating_sub(4096),
        code.taken.len()
    );
    for f in &chain {
        println!("  {:>6}  {}", f.frame, short(&f.name));
    }
    let direct = chain::Code {
        taken: Vec::new(),
        ..code
    };
    let direct_chain = chain::worst(&direct, &functions, root);
    let direct_total: u64 = direct_chain.iter().map(|f| f.frame).sum();
    println!(
        "  through direct calls only: {direct_total} bytes, {} beyond the buffer",
        direct_total.saturating_sub(4096)
    );
    // The direct chain where it is another one.
    if direct_chain
        .iter()
        .map(|f| f.addr)
        .ne(chain.iter().map(|f| f.addr))
    {
        for f in &direct_chain {
            println!("  {:>6}  {}", f.frame, short(&f.name));
        }
    }
    Some(())
}

/// `name` with the generic arguments of its types left out: `Tpm<…>::transaction`.
fn short(name: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '<' => {
                depth += 1;
                match depth {
                    1 => out.push('<'),
                    2 => out.push_str("<…>"),
                    _ => {}
                }
            }
            '>' => {
                if depth == 1 {
                    out.push('>');
                }
                depth = depth.saturating_sub(1);
            }
            _ if depth <= 1 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `n` largest functions of the image, by size.
fn largest_functions(elf: &[u8], n: usize) -> Option<Vec<(u64, String)>> {
    let mut all: Vec<(u64, String)> = functions(elf)?
        .into_values()
        .map(|(name, size)| (size, name))
        .collect();
    all.sort_by_key(|f| core::cmp::Reverse(f.0));
    all.truncate(n);
    Some(all)
}

/// Stack frame sizes by function name, from `-Z emit-stack-sizes`' `.stack_sizes` section.
fn stack_frames(elf: &[u8]) -> Option<Vec<(u64, String, u64)>> {
    let names = functions(elf)?;
    let (off, size) = section(elf, ".stack_sizes")?;
    let data = elf.get(off..off + size)?;
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 4 <= data.len() {
        let addr = le(data, at, 4)? & !1;
        at += 4;
        let (mut value, mut shift) = (0u64, 0);
        while let Some(&b) = data.get(at) {
            at += 1;
            value |= u64::from(b & 0x7F) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        frames.push((
            value,
            names
                .get(&addr)
                .map_or_else(|| format!("{addr:#x}"), |(name, _)| name.clone()),
            addr,
        ));
    }
    frames.sort_by_key(|f| core::cmp::Reverse(f.0));
    Some(frames)
}

/// With a nightly toolchain: the image's largest stack frames.
pub(crate) fn stack_report() -> Result<(), String> {
    if !crate::run::succeeds("rustup", &["run", "nightly", "rustc", "--version"]) {
        eprintln!("no nightly toolchain: stack frames not measured");
        return Ok(());
    }
    crate::run::status(std::process::Command::new("rustup").args([
        "target",
        "add",
        "--toolchain",
        "nightly",
        TARGET,
    ]))?;
    let root = workspace_root();
    let manifest = root.join("firmware/Cargo.toml");
    // Each image in its own build, so that the plain one is measured without the feature.
    for (image, features) in [
        ("tpm2-firmware", None),
        ("tpm2-firmware-crb", None),
        ("tpm2-firmware-device", None),
        ("tpm2-firmware-salted", Some("sessions")),
    ] {
        let dir = root.join("firmware/target/stack").join(image);
        let mut cmd = std::process::Command::new("rustup");
        cmd.args([
            "run",
            "nightly",
            "cargo",
            "build",
            "--quiet",
            "--release",
            "--target",
            TARGET,
            "--bin",
            image,
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&dir)
        .env("RUSTFLAGS", "-Z emit-stack-sizes");
        if let Some(features) = features {
            cmd.args(["--features", features]);
        }
        crate::run::status(&mut cmd)?;
        let elf = std::fs::read(dir.join(TARGET).join("release").join(image))
            .map_err(|e| e.to_string())?;
        let frames = stack_frames(&elf).ok_or("no .stack_sizes section")?;
        println!(
            "{image} stack frames (bytes; _start holds the 4096-byte command/response buffer):"
        );
        for (size, name, _) in frames.iter().take(6) {
            println!("  {size:>6}  {}", name.get(..100).unwrap_or(name));
        }
        chain_report(&elf).ok_or("no call chain from _start")?;
    }
    Ok(())
}
