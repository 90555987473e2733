//! The bare-metal firmware image: building it is the no-panic check (its panic handler
//! references an undefined symbol), and its ELF sections are the flash figures.

use std::path::PathBuf;

use crate::run::{cargo, workspace_root};

/// The target the flash budget is stated for.
pub(crate) const TARGET: &str = "thumbv7em-none-eabihf";
/// The flash budget of the firmware path, in bytes of `.text`.
pub(crate) const TEXT_BUDGET: u64 = 12 * 1024;

fn image() -> PathBuf {
    workspace_root()
        .join("firmware/target")
        .join(TARGET)
        .join("release/tpm2-firmware")
}

/// Builds the image; a reachable panic fails the link.
pub(crate) fn build() -> Result<(), String> {
    let manifest = workspace_root().join("firmware/Cargo.toml");
    let manifest = manifest.to_string_lossy();
    cargo(&[
        "build",
        "--release",
        "--manifest-path",
        &manifest,
        "--target",
        TARGET,
    ])
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

/// The sizes of the named sections of a 32-bit little-endian ELF file.
pub(crate) fn sections(elf: &[u8]) -> Option<Vec<(String, u64)>> {
    if elf.get(..5)? != b"\x7fELF\x01" {
        return None;
    }
    let shoff = usize::try_from(le(elf, 0x20, 4)?).ok()?;
    let shentsize = usize::try_from(le(elf, 0x2E, 2)?).ok()?;
    let shnum = usize::try_from(le(elf, 0x30, 2)?).ok()?;
    let shstrndx = usize::try_from(le(elf, 0x32, 2)?).ok()?;
    let header = |i: usize| shoff + i * shentsize;
    let strtab = usize::try_from(le(elf, header(shstrndx) + 16, 4)?).ok()?;
    let mut out = Vec::new();
    for i in 0..shnum {
        let name_at = strtab + usize::try_from(le(elf, header(i), 4)?).ok()?;
        let name: Vec<u8> = elf
            .get(name_at..)?
            .iter()
            .take_while(|b| **b != 0)
            .copied()
            .collect();
        let size = le(elf, header(i) + 20, 4)?;
        let flags = le(elf, header(i) + 8, 4)?;
        // SHF_ALLOC: the sections that occupy flash or RAM.
        if flags & 0x2 != 0 {
            out.push((String::from_utf8_lossy(&name).into_owned(), size));
        }
    }
    Some(out)
}

/// Builds the image and prints its section sizes against the budget.
pub(crate) fn report() -> Result<(), String> {
    build()?;
    let elf = std::fs::read(image()).map_err(|e| format!("{}: {e}", image().display()))?;
    let sections = sections(&elf).ok_or("not a 32-bit ELF image")?;
    println!(
        "firmware path image for {TARGET} (opt-level z, LTO, panic=abort): links with an undefined panic handler, so no panic is reachable"
    );
    for (name, size) in &sections {
        println!("  {name:<14} {size:>7} bytes");
    }
    let text = sections
        .iter()
        .find(|(n, _)| n == ".text")
        .map_or(0, |s| s.1);
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
    Ok(())
}
