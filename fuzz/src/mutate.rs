//! Mutations for the stable driver: byte edits, dictionary tokens, splices and line-level
//! edits of TOML text, and "growth" (a line repeated thousands of times), which is what found
//! the stack overflows. No coverage feedback: the driver keeps inputs whose outcome is new.

use crate::DICTIONARY;

/// The largest input made: a little over the spec size limit, so that the limit is crossed.
pub const MAX_LEN: usize = llb_gen::limits::MAX_SPEC_BYTES + 64 * 1024;

/// A small, seeded pseudo-random generator (xorshift64*): runs are reproducible by seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced: xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that matter to TOML and to shells.
const INTERESTING: &[u8] = b" \n\"'[]{}=,.$\\\t#\r\0-_/:@;`()";

/// Numbers at the edges of what keys accept.
const NUMBERS: &[&str] = &[
    "-1",
    "0",
    "1",
    "65535",
    "65536",
    "4294967296",
    "-9223372036854775808",
    "9223372036854775807",
    "1e309",
    "nan",
];

/// Applies one to four mutations to `input`, drawing splices from `corpus`.
pub fn mutate(input: &[u8], corpus: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        mutate_once(&mut data, corpus, rng);
    }
    data.truncate(MAX_LEN);
    data
}

fn mutate_once(data: &mut Vec<u8>, corpus: &[Vec<u8>], rng: &mut Rng) {
    let at = rng.below(data.len() + 1);
    match rng.below(12) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = *rng.pick(INTERESTING);
        }
        2 | 3 => {
            let token = rng.pick(DICTIONARY).as_bytes();
            data.splice(at..at, token.iter().copied());
        }
        4 if !data.is_empty() => {
            let start = rng.below(data.len());
            let len = 1 + rng.below(16.min(data.len() - start));
            data.drain(start..start + len);
        }
        5 if !data.is_empty() => {
            let start = rng.below(data.len());
            let len = 1 + rng.below(64.min(data.len() - start));
            let chunk = data[start..start + len].to_vec();
            data.splice(at..at, chunk);
        }
        6 if !corpus.is_empty() => {
            let other = rng.pick(corpus);
            if !other.is_empty() {
                let start = rng.below(other.len());
                let len = 1 + rng.below(256.min(other.len() - start));
                data.splice(at..at, other[start..start + len].iter().copied());
            }
        }
        7 | 8 => lines(data, rng),
        9 => grow(data, rng),
        10 => {
            let number = rng.pick(NUMBERS).as_bytes();
            data.splice(at..at, number.iter().copied());
        }
        _ => {
            // A value that is a build arg, in a string.
            let values: [&str; 3] = ["\"${X}\"", "\"/${A}/x\"", "\"${A}${A}\""];
            let text = rng.pick(&values).as_bytes();
            data.splice(at..at, text.iter().copied());
        }
    }
}

/// Duplicates, deletes or swaps lines.
fn lines(data: &mut Vec<u8>, rng: &mut Rng) {
    let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.is_empty() {
        return;
    }
    let i = rng.below(lines.len());
    let j = rng.below(lines.len());
    match rng.below(3) {
        0 => {
            let line = lines[i].clone();
            lines.insert(j, line);
        }
        1 if lines.len() > 1 => {
            lines.remove(i);
        }
        _ => lines.swap(i, j),
    }
    *data = lines.join(&b'\n');
}

/// Repeats a line (a stage header and its body, a run entry...) up to thousands of times, or
/// adds a chain of stages each built from the previous one.
fn grow(data: &mut Vec<u8>, rng: &mut Rng) {
    let most = if rng.below(4) == 0 { 6_000 } else { 200 };
    let times = 1 + rng.below(most);
    if rng.below(3) == 0 {
        let mut chain = b"\n[stage.g0]\nfrom = \"busybox:1.36\"\n".to_vec();
        for i in 1..times {
            chain.extend_from_slice(format!("[stage.g{i}]\nfrom = \"g{}\"\n", i - 1).as_bytes());
            if chain.len() > MAX_LEN {
                break;
            }
        }
        data.extend(chain);
        return;
    }
    let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    let line = rng.pick(&lines).to_vec();
    let mut grown = Vec::new();
    for _ in 0..times {
        if grown.len() + line.len() > MAX_LEN {
            break;
        }
        grown.extend_from_slice(&line);
        grown.push(b'\n');
    }
    let at = rng.below(data.len() + 1);
    data.splice(at..at, grown);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_within_the_length_and_are_reproducible() {
        let seed = b"[stage.a]\nfrom = \"busybox:1.36\"\nrun = [\"x\"]\n".to_vec();
        let corpus = vec![seed.clone()];
        let run = |seed_value| {
            let mut rng = Rng::new(seed_value);
            let mut input = seed.clone();
            for _ in 0..300 {
                input = mutate(&input, &corpus, &mut rng);
                assert!(input.len() <= MAX_LEN);
            }
            input
        };
        assert_eq!(run(7), run(7));
    }
}
