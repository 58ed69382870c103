//! What a client does to a connection, in a form both a fuzzer's raw
//! bytes and a property test's generator can make: bytes, how they are
//! cut into reads, and how the connection ends.

/// One client's session with a state machine.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Everything the client sends, in order.
    pub input: Vec<u8>,
    /// The lengths of the reads the bytes arrive in (the rest in one last
    /// read); a length of 0 is taken as 1.
    pub cuts: Vec<usize>,
    /// The client reads every answer at once (else only when the server
    /// stops reading because its queue is full, and at the end).
    pub reader_keeps_up: bool,
    /// The client ends its side after sending (`eof_received`).
    pub eof: bool,
    /// The server's timer runs out after the last byte (`timed_out`).
    pub timeout: bool,
}

impl Script {
    /// A script from a fuzzer's bytes: byte 0 holds the flags (bit 0
    /// keeps up, bit 1 end of input, bit 2 time out), byte 1 seeds the read
    /// lengths (0: all in one read), the rest is the input.
    pub fn from_fuzz(data: &[u8]) -> Script {
        let flags = data.first().copied().unwrap_or(0);
        let seed = data.get(1).copied().unwrap_or(0);
        let input = data.get(2..).unwrap_or_default().to_vec();
        let mut cuts = Vec::new();
        if seed != 0 {
            // A small xorshift: read lengths 1..=64, the same for the same seed.
            let mut x = u32::from(seed).wrapping_mul(0x9e37_79b9) | 1;
            let mut total = 0;
            while total < input.len() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let n = (x % 64 + 1) as usize;
                cuts.push(n);
                total += n;
            }
        }
        Script {
            input,
            cuts,
            reader_keeps_up: flags & 1 != 0,
            eof: flags & 2 != 0,
            timeout: flags & 4 != 0,
        }
    }

    /// The input cut into its reads.
    pub fn reads(&self) -> Vec<&[u8]> {
        let mut reads = Vec::new();
        let mut rest = &self.input[..];
        for &cut in &self.cuts {
            if rest.is_empty() {
                break;
            }
            let (read, after) = rest.split_at(cut.clamp(1, rest.len()));
            reads.push(read);
            rest = after;
        }
        if !rest.is_empty() {
            reads.push(rest);
        }
        reads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fuzzers_bytes_become_flags_reads_and_input() {
        for seed in [0u8, 1, 7, 255] {
            let data = [&[0b111, seed][..], &[b'x'; 300][..]].concat();
            let script = Script::from_fuzz(&data);
            assert!(script.reader_keeps_up && script.eof && script.timeout);
            assert_eq!(script.reads().concat(), vec![b'x'; 300]);
            assert!(script.reads().iter().all(|r| !r.is_empty()));
            if seed == 0 {
                assert_eq!(script.reads().len(), 1);
            } else {
                assert!(script.reads().iter().all(|r| r.len() <= 64));
            }
        }
        assert!(Script::from_fuzz(&[]).reads().is_empty());
    }
}
