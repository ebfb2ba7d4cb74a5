//! The Mode S 24-bit parity (CRC with generator polynomial 0x1FFF409).

/// Generator polynomial without its top bit.
const POLY: u32 = 0x00FF_F409;

/// Byte-wise lookup table, built at compile time.
const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 16;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x80_0000 != 0 {
                (c << 1) ^ POLY
            } else {
                c << 1
            };
            k += 1;
        }
        t[i] = c & 0x00FF_FFFF;
        i += 1;
    }
    t
};

/// Parity of `data` (all bytes but the trailing 24-bit parity field).
#[inline]
pub fn parity(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc = ((crc << 8) ^ TABLE[(((crc >> 16) as u8) ^ b) as usize]) & 0x00FF_FFFF;
    }
    crc
}

/// The remainder of a whole reply: the computed parity XOR the transmitted parity field.
/// Zero for an intact DF17 reply; the address for DF0/4/5/16/20/21 (address/parity overlay);
/// the interrogator identifier for DF11. `frame` must be 7 or 14 bytes.
#[inline]
pub fn remainder(frame: &[u8]) -> u32 {
    let n = frame.len();
    if n < 4 {
        return u32::MAX;
    }
    let tx =
        (u32::from(frame[n - 3]) << 16) | (u32::from(frame[n - 2]) << 8) | u32::from(frame[n - 1]);
    parity(&frame[..n - 3]) ^ tx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hex_frame: &str, expected: u32) {
        let bytes = hex::decode(hex_frame).unwrap();
        assert_eq!(remainder(&bytes), expected, "{hex_frame}");
    }

    #[test]
    fn book_vectors() {
        // The 1090 MHz Riddle, error-control chapter.
        check("8D406B902015A678D4D220AA4BDA", 0);
        check("8D4CA251204994B1C36E60A5343D", 16);
        check("5D484FDEA248F5", 22);
        assert_eq!(
            parity(&hex::decode("8D406B902015A678D4D220").unwrap()),
            0xAA4BDA
        );
        // DF20: remainder is the address 3C6DD0.
        check("A0001838CA380031440000F24177", 0x3C6DD0);
    }
}
