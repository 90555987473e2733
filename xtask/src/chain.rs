//! The worst stack chain of a Thumb image: the direct calls (BL, and B.W to another
//! function's start) read from `.text`, skipping the literal pools the `$d` mapping symbols
//! mark, weighted by the frames of `-Z emit-stack-sizes`. A call through a register (BLX Rm:
//! the command-building closures, function pointers) may reach any function whose address
//! the image stores (a Thumb address, bit 0 set, in a word of its data): a bound above the
//! real chain, never below it.

use std::collections::{HashMap, HashSet};

/// A function of the image: its address (Thumb bit clear), size, name and stack frame.
pub(crate) struct Function {
    pub(crate) addr: u64,
    pub(crate) size: u64,
    pub(crate) name: String,
    pub(crate) frame: u64,
}

/// The image's code: `.text` bytes at their load address, and where data sits in it.
pub(crate) struct Code<'a> {
    pub(crate) text: &'a [u8],
    pub(crate) base: u64,
    /// Sorted (address, is data) mapping-symbol marks.
    pub(crate) marks: Vec<(u64, bool)>,
    /// Functions whose address the image stores: what a call through a register may reach.
    pub(crate) taken: Vec<u64>,
}

impl Code<'_> {
    fn halfword(&self, addr: u64) -> Option<u16> {
        let at = usize::try_from(addr.checked_sub(self.base)?).ok()?;
        let b = self.text.get(at..at + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    fn is_data(&self, addr: u64) -> bool {
        let i = self.marks.partition_point(|m| m.0 <= addr);
        i > 0 && self.marks[i - 1].1
    }

    /// The targets of the direct calls and branches in `f`, and whether it calls through a
    /// register.
    fn calls(&self, f: &Function) -> (Vec<u64>, bool) {
        let (mut out, mut indirect) = (Vec::new(), false);
        let mut pc = f.addr;
        while pc < f.addr + f.size {
            let Some(hw1) = self.halfword(pc) else { break };
            if self.is_data(pc) {
                pc += 2;
                continue;
            }
            if hw1 >> 11 < 0b11101 {
                // BLX Rm: 0100 0111 1xxx x000.
                indirect |= hw1 & 0xFF87 == 0x4780;
                pc += 2;
                continue;
            }
            let hw2 = self.halfword(pc + 2).unwrap_or(0);
            // BL (T1) and B.W (T4): 11110 S imm10, 1 1/0 J1 1 J2 imm11.
            if hw1 & 0xF800 == 0xF000 && matches!(hw2 & 0xD000, 0xD000 | 0x9000) {
                let s = u32::from(hw1 >> 10) & 1;
                let i1 = !(u32::from(hw2 >> 13) ^ s) & 1;
                let i2 = !(u32::from(hw2 >> 11) ^ s) & 1;
                let imm = (s << 24)
                    | (i1 << 23)
                    | (i2 << 22)
                    | ((u32::from(hw1) & 0x3FF) << 12)
                    | ((u32::from(hw2) & 0x7FF) << 1);
                // A 25-bit signed offset from the instruction's address plus 4.
                let offset = i64::from((imm << 7).cast_signed() >> 7);
                let target = (pc + 4).cast_signed().wrapping_add(offset);
                out.push(target.cast_unsigned());
            }
            pc += 4;
        }
        (out, indirect)
    }
}

/// The worst chain from `root`: its frames, outermost first. A recursion is cut where it
/// closes.
pub(crate) fn worst<'f>(
    code: &Code<'_>,
    functions: &'f [Function],
    root: u64,
) -> Vec<&'f Function> {
    let by_addr: HashMap<u64, &'f Function> = functions.iter().map(|f| (f.addr, f)).collect();
    let mut best: HashMap<u64, (u64, Option<u64>)> = HashMap::new();
    let mut on_path = HashSet::new();
    deepest(code, &by_addr, root, &mut best, &mut on_path);
    let mut chain = Vec::new();
    let mut at = Some(root);
    while let Some(addr) = at {
        let Some(f) = by_addr.get(&addr) else { break };
        chain.push(*f);
        at = best.get(&addr).and_then(|b| b.1);
    }
    chain
}

/// The functions whose Thumb address (bit 0 set) is stored, aligned, in `data`.
pub(crate) fn address_taken(data: &[&[u8]], functions: &[Function]) -> Vec<u64> {
    let starts: HashSet<u64> = functions.iter().map(|f| f.addr).collect();
    let mut taken: Vec<u64> = data
        .iter()
        .flat_map(|d| d.chunks_exact(4))
        .map(|w| u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
        .filter(|w| w & 1 == 1 && starts.contains(&(w & !1)))
        .map(|w| w & !1)
        .collect();
    taken.sort_unstable();
    taken.dedup();
    taken
}

/// The deepest stack below `addr` (its own frame included), memoised in `best` with the
/// callee it goes through.
fn deepest(
    code: &Code<'_>,
    by_addr: &HashMap<u64, &Function>,
    addr: u64,
    best: &mut HashMap<u64, (u64, Option<u64>)>,
    on_path: &mut HashSet<u64>,
) -> u64 {
    if let Some(b) = best.get(&addr) {
        return b.0;
    }
    let Some(f) = by_addr.get(&addr) else {
        return 0;
    };
    if !on_path.insert(addr) {
        return 0;
    }
    let mut deepest_callee = (0, None);
    let (direct, indirect) = code.calls(f);
    let through_register = if indirect {
        code.taken.clone()
    } else {
        Vec::new()
    };
    for target in direct.into_iter().chain(through_register) {
        if target == f.addr || !by_addr.contains_key(&target) {
            continue;
        }
        let depth = deepest(code, by_addr, target, best, on_path);
        if depth > deepest_callee.0 {
            deepest_callee = (depth, Some(target));
        }
    }
    on_path.remove(&addr);
    let total = f.frame + deepest_callee.0;
    best.insert(addr, (total, deepest_callee.1));
    total
}

#[cfg(test)]
mod tests {
    use super::{Code, Function, worst};

    fn function(addr: u64, size: u64, frame: u64, name: &str) -> Function {
        Function {
            addr,
            size,
            name: name.into(),
            frame,
        }
    }

    /// `a` at 0x1000: BL to `b` at 0x1010 (offset 0x0C from pc + 4), then a literal pool
    /// whose words would decode as a BL to `c`; `b` at 0x1010, `c` at 0x1020.
    fn image(pool_marked: bool) -> (Vec<u8>, Vec<(u64, bool)>) {
        // Unmarked, the pool is read as the BL it looks like (kept for the first test's
        // counter-check).
        let mut text = vec![0u8; 0x30];
        text[0..4].copy_from_slice(&[0x00, 0xF0, 0x06, 0xF8]); // bl 0x1010
        text[4..6].copy_from_slice(&[0x70, 0x47]); // bx lr
        text[8..12].copy_from_slice(&[0x00, 0xF0, 0x0A, 0xF8]); // looks like bl 0x101c+4
        let mut marks = vec![(0x1000, false), (0x1010, false), (0x1020, false)];
        if pool_marked {
            marks.insert(1, (0x1008, true));
        }
        (text, marks)
    }

    fn functions() -> [Function; 3] {
        [
            function(0x1000, 0x10, 16, "a"),
            function(0x1010, 0x10, 32, "b"),
            function(0x1020, 0x10, 500, "c"),
        ]
    }

    /// The names on the worst chain from `a` of the image, its pool marked as data or not.
    fn chain_names(pool_marked: bool) -> Vec<String> {
        let (text, marks) = image(pool_marked);
        let code = Code {
            text: &text,
            base: 0x1000,
            marks,
            taken: Vec::new(),
        };
        let functions = functions();
        worst(&code, &functions, 0x1000)
            .iter()
            .map(|f| f.name.clone())
            .collect()
    }

    #[test]
    fn the_worst_chain_follows_a_bl_and_skips_a_marked_literal_pool() {
        assert_eq!(
            chain_names(true),
            ["a", "b"],
            "the pool is data, not a call to c"
        );
        assert_eq!(
            chain_names(false),
            ["a", "c"],
            "unmarked, the same words decode as a call to c"
        );
    }

    #[test]
    fn a_call_through_a_register_reaches_every_stored_address() {
        let (mut text, marks) = image(true);
        // b: blx r3, which may reach any stored address: here only c's.
        text[0x10..0x12].copy_from_slice(&[0x98, 0x47]);
        let code = Code {
            text: &text,
            base: 0x1000,
            marks,
            taken: vec![0x1020],
        };
        let functions = functions();
        let total: u64 = worst(&code, &functions, 0x1000)
            .iter()
            .map(|f| f.frame)
            .sum();
        assert_eq!(total, 16 + 32 + 500);
    }
}
