//! The ROCA test (CVE-2017-15361): an RSA modulus made by Infineon's RSALib (TPMs since
//! 2012, until their firmware update) is congruent to a power of 65537 modulo the product of
//! the primes up to 167. The check is the published discrete-log fingerprint: for each
//! prime p, N mod p must be a power of 65537 mod p, and the exponents must agree modulo the
//! orders' common factors (one exponent for the whole product, by the Chinese remainder
//! theorem). A random modulus passes by chance with probability about 2^-154.

/// The primes 2..167 of the fingerprint.
const PRIMES: [u32; 39] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// `value` mod `p` for a big-endian number.
fn residue(value: &[u8], p: u32) -> u32 {
    value.iter().fold(0, |r, &b| (r * 256 + u32::from(b)) % p)
}

/// The discrete log of `r` to base 65537 modulo `p`, and the order of 65537 there.
fn dlog(r: u32, p: u32) -> Option<(u32, u32)> {
    let g = 65537 % p;
    let mut x = 1 % p;
    let mut found = None;
    for k in 0..p {
        if x == r && found.is_none() {
            found = Some(k);
        }
        x = x * g % p;
        if x == 1 % p {
            return found.map(|k| (k, k_order(k, p)));
        }
    }
    None
}

/// The order of 65537 mod `p` (the cycle length), found by iterating.
fn k_order(_: u32, p: u32) -> u32 {
    let g = 65537 % p;
    let mut x = g;
    let mut n = 1;
    while x != 1 % p {
        x = x * g % p;
        n += 1;
    }
    n
}

const fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Whether the big-endian RSA modulus carries the ROCA fingerprint.
#[must_use]
pub fn has_fingerprint(modulus: &[u8]) -> bool {
    let mut logs = Vec::with_capacity(PRIMES.len());
    for p in PRIMES {
        match dlog(residue(modulus, p), p) {
            Some(log) => logs.push(log),
            None => return false,
        }
    }
    // One exponent for all primes: the logs agree wherever the orders share a factor.
    logs.iter().enumerate().all(|(i, &(ki, oi))| {
        logs.iter().skip(i + 1).all(|&(kj, oj)| {
            let g = gcd(oi, oj);
            ki % g == kj % g
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Big-endian bytes (256 of them) of a number with residues `r(p)` modulo every prime
    /// of the fingerprint, built by the Chinese remainder theorem: a modulus stand-in whose
    /// only property the test reads is its residues.
    fn with_residues(r: impl Fn(u32) -> u32) -> Vec<u8> {
        // x = sum of r_p * (M/p) * inv(M/p mod p) mod M, computed on byte strings.
        let mut x = vec![0u8; 256];
        for p in PRIMES {
            let m_over_p: Vec<u32> = PRIMES.iter().copied().filter(|&q| q != p).collect();
            let mp = m_over_p.iter().fold(1u32, |a, &q| a * (q % p) % p);
            let inv = (1..p).find(|i| mp * i % p == 1).unwrap_or(1);
            let coeff = r(p) * inv % p;
            let mut term = vec![0u8; 256];
            *term.last_mut().unwrap() = 1;
            for q in m_over_p.iter().copied().chain([coeff]) {
                mul_small(&mut term, q);
            }
            add(&mut x, &term);
        }
        x
    }

    fn mul_small(x: &mut [u8], q: u32) {
        let mut carry = 0u32;
        for b in x.iter_mut().rev() {
            let v = u32::from(*b) * q + carry;
            *b = (v & 0xFF) as u8;
            carry = v >> 8;
        }
    }

    fn add(x: &mut [u8], y: &[u8]) {
        let mut carry = 0u32;
        for (a, b) in x.iter_mut().rev().zip(y.iter().rev()) {
            let v = u32::from(*a) + u32::from(*b) + carry;
            *a = (v & 0xFF) as u8;
            carry = v >> 8;
        }
    }

    fn power(e: u32, p: u32) -> u32 {
        (0..e).fold(1 % p, |a, _| a * (65537 % p) % p)
    }

    #[test]
    fn a_modulus_congruent_to_a_power_of_65537_is_flagged() {
        // N = 65537^1234 mod each prime: the structure of an RSALib modulus.
        let n = with_residues(|p| power(1234, p));
        assert_eq!(n.len(), 256);
        for p in PRIMES {
            assert_eq!(residue(&n, p), power(1234, p), "residue mod {p}");
        }
        assert!(has_fingerprint(&n));
    }

    #[test]
    fn residues_in_the_subgroup_with_disagreeing_logs_are_not_flagged() {
        // Each residue a power of 65537 (the per-prime test of older detectors passes), but
        // no single exponent fits: mod 11 (order 2) odd, mod 13 (order 6) even.
        let n = with_residues(|p| match p {
            11 => power(1, p),
            _ => power(2, p),
        });
        assert!(!has_fingerprint(&n));
    }

    #[test]
    fn ordinary_moduli_are_not_flagged() {
        // 2^2048 - 1 and a residue outside the subgroup mod 11.
        assert!(!has_fingerprint(&[0xFF; 256]));
        let n = with_residues(|p| if p == 11 { 2 } else { power(5, p) });
        assert!(!has_fingerprint(&n));
    }
}
