//! Big-endian bit reading and writing (ASTERIX numbers bits from the most significant).

/// Reads bit fields, most significant bit first.
pub(crate) struct BitReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The next `n` (≤ 64) bits; `None` past the end, so a bad table can never panic.
    pub(crate) fn read(&mut self, n: u32) -> Option<u64> {
        if n > 64 || self.pos + n as usize > self.buf.len() * 8 {
            return None;
        }
        let mut v: u64 = 0;
        let mut left = n;
        while left > 0 {
            let byte = *self.buf.get(self.pos / 8)?;
            let off = (self.pos % 8) as u32;
            let take = left.min(8 - off);
            let bits = (u64::from(byte) >> (8 - off - take)) & ((1u64 << take) - 1);
            // `take` ≤ 8 so the shift of a ≤ 64-bit accumulator never overflows past its width.
            v = (v << take) | bits;
            self.pos += take as usize;
            left -= take;
        }
        Some(v)
    }
}

/// Writes bit fields, most significant bit first.
#[derive(Default)]
pub(crate) struct BitWriter {
    pub(crate) buf: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    /// Appends the low `n` (≤ 64) bits of `v`; the caller checked that `v` fits.
    pub(crate) fn write(&mut self, v: u64, n: u32) {
        for i in (0..n).rev() {
            let bit = (v >> i) & 1;
            if self.bits.is_multiple_of(8) {
                self.buf.push(0);
            }
            if let Some(last) = self.buf.last_mut().filter(|_| bit == 1) {
                *last |= 0x80 >> (self.bits % 8);
            }
            self.bits += 1;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.
mod tests {
    use super::*;

    #[test]
    fn reads_across_octets() {
        let mut r = BitReader::new(&[0b1010_1100, 0b0101_0011]);
        assert_eq!(r.read(3), Some(0b101));
        assert_eq!(r.read(7), Some(0b011_0001));
        assert_eq!(r.read(6), Some(0b01_0011));
        assert_eq!(r.read(1), None);
    }

    #[test]
    fn writes_what_it_reads() {
        let mut w = BitWriter::default();
        w.write(0b101, 3);
        w.write(0b0110001, 7);
        w.write(0b010011, 6);
        assert_eq!(w.buf, vec![0b1010_1100, 0b0101_0011]);
        let mut w = BitWriter::default();
        w.write(u64::MAX, 64);
        assert_eq!(w.buf, vec![0xff; 8]);
    }
}
