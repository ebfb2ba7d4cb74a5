//! Field encoding shared by the typed record writers (`cat048::PlotOut`, `cat062::TrackOut`):
//! range-checked quantisation and the 6-bit ICAO character set of aircraft identification.

use crate::error::EncodeError;

/// `value / lsb` rounded, checked against the field's `(min, max)` in LSBs.
pub(crate) fn quantize(
    value: f64,
    lsb: f64,
    (min, max): (i64, i64),
    item: &'static str,
    field: &'static str,
) -> Result<i64, EncodeError> {
    let q = (value / lsb).round();
    // NaN fails both comparisons, so it is refused with the out-of-range values.
    if q >= min as f64 && q <= max as f64 {
        Ok(q as i64)
    } else {
        Err(EncodeError::OutOfRange {
            item,
            field,
            value,
            min: min as f64 * lsb,
            max: max as f64 * lsb,
        })
    }
}

/// The range of a `bits`-wide two's complement field.
pub(crate) const fn signed(bits: u32) -> (i64, i64) {
    (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
}

/// 6-bit ICAO code of one identification character (Annex 10 Vol IV, Table 3-9).
fn icao6(c: u8) -> Option<u64> {
    match c {
        b'A'..=b'Z' => Some(u64::from(c - b'A' + 1)),
        b' ' => Some(32),
        b'0'..=b'9' => Some(u64::from(c - b'0' + 48)),
        _ => None,
    }
}

/// The 48-bit identification of `text` (item `item`, field `field`), padded with spaces.
pub(crate) fn callsign_bits(
    text: &str,
    item: &'static str,
    field: &'static str,
) -> Result<u64, EncodeError> {
    let bad = || EncodeError::BadText {
        item,
        field,
        text: text.to_owned(),
        max_chars: 8,
    };
    if text.len() > 8 {
        return Err(bad());
    }
    let mut bytes = text.bytes();
    (0..8).try_fold(0u64, |acc, _| {
        let code = icao6(bytes.next().unwrap_or(b' ')).ok_or_else(bad)?;
        Ok((acc << 6) | code)
    })
}
