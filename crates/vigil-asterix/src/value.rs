//! Decoded item values: a tree that mirrors the item's [`Variation`], holding raw bits.
//!
//! Values keep raw bits (spares included), never scaled numbers, so that encoding a decoded
//! value gives back the same octets. Scaling and text are applied on access ([`Leaf`]).

use crate::bits::{BitReader, BitWriter};
use crate::error::{EncodeError, RecordError};
use crate::modes;
use crate::spec::{Content, Element, Field, Rep, Variation};

/// The value of an item, subitem or field, shaped like its [`Variation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Raw bits of an element (or a spare field inside a group).
    Element(u64),
    /// One value per field of the group, spares included.
    Group(Vec<Value>),
    /// The parts present (at least one), one value per field of each part.
    Extended(Vec<Vec<Value>>),
    /// The repetitions.
    Repetitive(Vec<Value>),
    /// The octets after the length octet.
    Explicit(Vec<u8>),
    /// Present subitems of a compound item.
    Compound {
        /// (0-based slot in the primary subfield, value), slots increasing.
        present: Vec<(usize, Value)>,
        /// Octets of the primary subfield as received. Encoding writes at least this many:
        /// some encoders send trailing empty octets, and keeping them makes decode → encode
        /// exact. Use 0 for the minimal length.
        fspec_octets: usize,
    },
}

/// Reads octets off the front of a record.
pub(crate) struct Cursor<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn take(&mut self, n: usize, item: &'static str) -> Result<&'a [u8], RecordError> {
        let available = self.buf.len() - self.pos;
        if n > available {
            return Err(RecordError::Truncated {
                item,
                need: n,
                available,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// An FSPEC-like FX chain; returns the 0-based slots whose bit is set.
    pub(crate) fn fspec(&mut self) -> Result<Vec<usize>, RecordError> {
        let mut slots = Vec::new();
        let mut octet = 0;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(RecordError::FspecOverrun);
            };
            self.pos += 1;
            for bit in 0..7 {
                if b & (0x80 >> bit) != 0 {
                    slots.push(octet * 7 + bit);
                }
            }
            if b & 1 == 0 {
                return Ok(slots);
            }
            octet += 1;
        }
    }
}

/// No FSPEC can be longer than a block; a bigger requested length is a caller's mistake.
pub(crate) const MAX_FSPEC_OCTETS: usize = u16::MAX as usize;

/// Appends the FX-chained presence bits for increasing `slots`: the minimal length, at least
/// one octet and at least `min_octets`.
pub(crate) fn write_fspec(slots: &[usize], min_octets: usize, out: &mut Vec<u8>) {
    let octets = slots.last().map_or(1, |s| s / 7 + 1).max(min_octets);
    let start = out.len();
    out.resize(start + octets, 0);
    for &s in slots {
        out[start + s / 7] |= 0x80 >> (s % 7);
    }
    for o in &mut out[start..start + octets - 1] {
        *o |= 1;
    }
}

/// Decodes one variation at the cursor.
pub(crate) fn decode(
    var: &Variation,
    cur: &mut Cursor<'_>,
    item: &'static str,
) -> Result<Value, RecordError> {
    match var {
        Variation::Element(_) | Variation::Group(_) => {
            let bits = fixed_octet_bits(var, 0, item)?;
            let bytes = cur.take(bits / 8, item)?;
            read_fixed(var, &mut BitReader::new(bytes), item)
        }
        Variation::Extended(parts) => {
            let mut present = Vec::new();
            for (i, fields) in parts.iter().enumerate() {
                let bits = fields_octet_bits(fields, 1, item)?;
                let bytes = cur.take(bits / 8, item)?;
                let mut r = BitReader::new(bytes);
                let values = fields
                    .iter()
                    .map(|f| read_field(f, &mut r, item))
                    .collect::<Result<Vec<_>, _>>()?;
                present.push(values);
                let fx = r.read(1).ok_or(RecordError::BadSpec { item })?;
                if fx == 0 {
                    return Ok(Value::Extended(present));
                }
                if i + 1 == parts.len() {
                    return Err(RecordError::ExtendedOverrun { item });
                }
            }
            // An extended item with no parts cannot be generated; treat it as a table bug.
            Err(RecordError::BadSpec { item })
        }
        Variation::Repetitive {
            rep: Rep::Byte,
            var,
        } => {
            let n = cur.take(1, item)?[0];
            let mut reps = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                reps.push(decode(var, cur, item)?);
            }
            Ok(Value::Repetitive(reps))
        }
        Variation::Repetitive { rep: Rep::Fx, var } => {
            let bits = fixed_octet_bits(var, 1, item)?;
            let mut reps = Vec::new();
            loop {
                // Each repetition consumes at least one octet, so this loop ends.
                let bytes = cur.take(bits / 8, item)?;
                let mut r = BitReader::new(bytes);
                reps.push(read_fixed(var, &mut r, item)?);
                if r.read(1).ok_or(RecordError::BadSpec { item })? == 0 {
                    return Ok(Value::Repetitive(reps));
                }
            }
        }
        Variation::Explicit(_) => {
            let len = usize::from(cur.take(1, item)?[0]);
            if len == 0 {
                return Err(RecordError::ExplicitLength { item });
            }
            Ok(Value::Explicit(cur.take(len - 1, item)?.to_vec()))
        }
        Variation::Compound(subs) => {
            let start = cur.pos;
            let slots = cur.fspec().map_err(|_| RecordError::Truncated {
                item,
                need: 1,
                available: 0,
            })?;
            let fspec_octets = cur.pos - start;
            let mut present = Vec::with_capacity(slots.len());
            for slot in slots {
                let Some(Some(sub)) = subs.get(slot) else {
                    return Err(RecordError::UnknownSubitem { item, slot });
                };
                present.push((slot, decode(&sub.var, cur, item)?));
            }
            Ok(Value::Compound {
                present,
                fspec_octets,
            })
        }
    }
}

/// Steps the cursor over one variation without decoding it: the same octets are used and the
/// same errors given as by [`decode`], with no allocation. The zero-allocation paths
/// ([`crate::RawItems`], the typed fast decoders) use it to find item boundaries.
pub(crate) fn skip(
    var: &Variation,
    cur: &mut Cursor<'_>,
    item: &'static str,
) -> Result<(), RecordError> {
    match var {
        Variation::Element(_) | Variation::Group(_) => {
            let bits = fixed_octet_bits(var, 0, item)?;
            cur.take(bits / 8, item)?;
            Ok(())
        }
        Variation::Extended(parts) => {
            for (i, fields) in parts.iter().enumerate() {
                let bits = fields_octet_bits(fields, 1, item)?;
                // FX is the last bit of the part, so the low bit of its last octet.
                let fx = cur.take(bits / 8, item)?.last().map(|b| b & 1);
                match fx {
                    Some(0) => return Ok(()),
                    Some(_) if i + 1 == parts.len() => {
                        return Err(RecordError::ExtendedOverrun { item });
                    }
                    Some(_) => {}
                    None => return Err(RecordError::BadSpec { item }),
                }
            }
            Err(RecordError::BadSpec { item })
        }
        Variation::Repetitive {
            rep: Rep::Byte,
            var,
        } => {
            let n = cur.take(1, item)?[0];
            for _ in 0..n {
                skip(var, cur, item)?;
            }
            Ok(())
        }
        Variation::Repetitive { rep: Rep::Fx, var } => {
            let octets = fixed_octet_bits(var, 1, item)? / 8;
            loop {
                let last = cur.take(octets, item)?.last().copied();
                match last {
                    Some(b) if b & 1 == 0 => return Ok(()),
                    Some(_) => {}
                    None => return Err(RecordError::BadSpec { item }),
                }
            }
        }
        Variation::Explicit(_) => {
            let len = usize::from(cur.take(1, item)?[0]);
            if len == 0 {
                return Err(RecordError::ExplicitLength { item });
            }
            cur.take(len - 1, item)?;
            Ok(())
        }
        Variation::Compound(subs) => {
            let start = cur.pos;
            // Walk the primary subfield in place: no slot list.
            loop {
                let Some(&b) = cur.buf.get(cur.pos) else {
                    return Err(RecordError::Truncated {
                        item,
                        need: 1,
                        available: 0,
                    });
                };
                cur.pos += 1;
                if b & 1 == 0 {
                    break;
                }
            }
            let fspec = &cur.buf[start..cur.pos];
            for (octet, &b) in fspec.iter().enumerate() {
                for bit in 0..7 {
                    if b & (0x80 >> bit) == 0 {
                        continue;
                    }
                    let slot = octet * 7 + bit;
                    let Some(Some(sub)) = subs.get(slot) else {
                        return Err(RecordError::UnknownSubitem { item, slot });
                    };
                    skip(&sub.var, cur, item)?;
                }
            }
            Ok(())
        }
    }
}

fn fixed_octet_bits(var: &Variation, extra: u32, item: &'static str) -> Result<usize, RecordError> {
    match var.fixed_bits() {
        Some(b) if (b + extra).is_multiple_of(8) && b + extra > 0 => Ok((b + extra) as usize),
        _ => Err(RecordError::BadSpec { item }),
    }
}

fn fields_octet_bits(
    fields: &[Field],
    extra: u32,
    item: &'static str,
) -> Result<usize, RecordError> {
    match crate::spec::fields_bits(fields) {
        Some(b) if (b + extra).is_multiple_of(8) => Ok((b + extra) as usize),
        _ => Err(RecordError::BadSpec { item }),
    }
}

fn read_fixed(
    var: &Variation,
    r: &mut BitReader<'_>,
    item: &'static str,
) -> Result<Value, RecordError> {
    match var {
        Variation::Element(e) => r
            .read(u32::from(e.bits))
            .map(Value::Element)
            .ok_or(RecordError::BadSpec { item }),
        Variation::Group(fields) => fields
            .iter()
            .map(|f| read_field(f, r, item))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Group),
        _ => Err(RecordError::BadSpec { item }),
    }
}

fn read_field(f: &Field, r: &mut BitReader<'_>, item: &'static str) -> Result<Value, RecordError> {
    match f {
        Field::Spare(n) => r
            .read(u32::from(*n))
            .map(Value::Element)
            .ok_or(RecordError::BadSpec { item }),
        Field::Named(n) => read_fixed(&n.var, r, item),
    }
}

/// Encodes one variation.
pub(crate) fn encode(
    var: &Variation,
    value: &Value,
    out: &mut Vec<u8>,
    item: &'static str,
) -> Result<(), EncodeError> {
    let shape = EncodeError::Shape { item };
    match (var, value) {
        (Variation::Element(_) | Variation::Group(_), _) => {
            let mut w = BitWriter::default();
            write_fixed(var, value, &mut w, item)?;
            out.extend_from_slice(&w.buf);
        }
        (Variation::Extended(parts), Value::Extended(present)) => {
            if present.is_empty() || present.len() > parts.len() {
                return Err(shape);
            }
            let mut w = BitWriter::default();
            for (i, (fields, values)) in parts.iter().zip(present).enumerate() {
                write_fields(fields, values, &mut w, item)?;
                w.write(u64::from(i + 1 < present.len()), 1);
            }
            out.extend_from_slice(&w.buf);
        }
        (
            Variation::Repetitive {
                rep: Rep::Byte,
                var,
            },
            Value::Repetitive(reps),
        ) => {
            let n = u8::try_from(reps.len()).map_err(|_| EncodeError::TooLong {
                item,
                len: reps.len(),
            })?;
            out.push(n);
            for r in reps {
                encode(var, r, out, item)?;
            }
        }
        (Variation::Repetitive { rep: Rep::Fx, var }, Value::Repetitive(reps)) => {
            if reps.is_empty() {
                return Err(shape);
            }
            let mut w = BitWriter::default();
            for (i, r) in reps.iter().enumerate() {
                write_fixed(var, r, &mut w, item)?;
                w.write(u64::from(i + 1 < reps.len()), 1);
            }
            out.extend_from_slice(&w.buf);
        }
        (Variation::Explicit(_), Value::Explicit(bytes)) => {
            let n = u8::try_from(bytes.len() + 1).map_err(|_| EncodeError::TooLong {
                item,
                len: bytes.len() + 1,
            })?;
            out.push(n);
            out.extend_from_slice(bytes);
        }
        (
            Variation::Compound(subs),
            Value::Compound {
                present,
                fspec_octets,
            },
        ) => {
            let slots: Vec<usize> = present.iter().map(|(s, _)| *s).collect();
            if slots.windows(2).any(|w| w[0] >= w[1]) || *fspec_octets > MAX_FSPEC_OCTETS {
                return Err(shape);
            }
            write_fspec(&slots, *fspec_octets, out);
            for (slot, v) in present {
                let Some(Some(sub)) = subs.get(*slot) else {
                    return Err(shape);
                };
                encode(&sub.var, v, out, item)?;
            }
        }
        _ => return Err(shape),
    }
    Ok(())
}

fn write_fixed(
    var: &Variation,
    value: &Value,
    w: &mut BitWriter,
    item: &'static str,
) -> Result<(), EncodeError> {
    match (var, value) {
        (Variation::Element(e), Value::Element(v)) => write_bits(*v, e.bits, w, item),
        (Variation::Group(fields), Value::Group(values)) => write_fields(fields, values, w, item),
        _ => Err(EncodeError::Shape { item }),
    }
}

fn write_fields(
    fields: &[Field],
    values: &[Value],
    w: &mut BitWriter,
    item: &'static str,
) -> Result<(), EncodeError> {
    if fields.len() != values.len() {
        return Err(EncodeError::Shape { item });
    }
    for (f, v) in fields.iter().zip(values) {
        match (f, v) {
            (Field::Spare(n), Value::Element(v)) => write_bits(*v, *n, w, item)?,
            (Field::Named(n), v) => write_fixed(&n.var, v, w, item)?,
            _ => return Err(EncodeError::Shape { item }),
        }
    }
    Ok(())
}

fn write_bits(v: u64, bits: u8, w: &mut BitWriter, item: &'static str) -> Result<(), EncodeError> {
    if bits < 64 && v >> bits != 0 {
        return Err(EncodeError::TooWide {
            item,
            value: v,
            bits,
        });
    }
    w.write(v, u32::from(bits));
    Ok(())
}

/// One element of a decoded item, with its name path and raw bits.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Names from the item down, joined by `/`; repetitions add `[i]`. Empty for an item that
    /// is a single element.
    pub path: String,
    /// The element definition.
    pub element: &'static Element,
    /// Raw bits.
    pub raw: u64,
}

impl Leaf {
    /// The raw value as a signed integer: sign-extended when the content is two's complement.
    pub fn signed(&self) -> i64 {
        let signed = matches!(
            self.element.content,
            Content::Quantity { signed: true, .. } | Content::Integer { signed: true }
        );
        sign_extend(self.raw, self.element.bits, signed)
    }

    /// The physical value of a quantity (in its unit) or an integer; `None` otherwise.
    pub fn value(&self) -> Option<f64> {
        match self.element.content {
            Content::Quantity { lsb, .. } => Some(self.signed() as f64 * lsb),
            Content::Integer { .. } => Some(self.signed() as f64),
            _ => None,
        }
    }

    /// The unit of a quantity.
    pub fn unit(&self) -> Option<&'static str> {
        match self.element.content {
            Content::Quantity { unit, .. } => Some(unit),
            _ => None,
        }
    }

    /// The text of a string element (ASCII, ICAO 6-bit or octal digits).
    pub fn text(&self) -> Option<String> {
        let bits = u32::from(self.element.bits);
        match self.element.content {
            Content::Ascii => Some(
                (0..bits / 8)
                    .rev()
                    .map(|i| char::from(((self.raw >> (i * 8)) & 0xff) as u8))
                    .collect(),
            ),
            Content::Icao => Some(modes::icao_chars(self.raw, bits / 6)),
            Content::Octal => Some(
                (0..bits / 3)
                    .rev()
                    .map(|i| char::from(b'0' + ((self.raw >> (i * 3)) & 7) as u8))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The description of an enumerated value, when the table has one.
    pub fn meaning(&self) -> Option<&'static str> {
        match self.element.content {
            Content::Table(t) => t
                .iter()
                .find(|(k, _)| u64::from(*k) == self.raw)
                .map(|(_, v)| *v),
            _ => None,
        }
    }
}

/// Sign-extends the low `bits` of `raw` when `signed`.
pub(crate) fn sign_extend(raw: u64, bits: u8, signed: bool) -> i64 {
    if signed && bits > 0 && bits < 64 && raw >> (bits - 1) & 1 == 1 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// Appends the leaves of `value` (shaped like `var`) under `prefix`.
pub(crate) fn leaves(var: &'static Variation, value: &Value, prefix: &str, out: &mut Vec<Leaf>) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        }
    };
    match (var, value) {
        (Variation::Element(e), Value::Element(raw)) => {
            out.push(Leaf {
                path: prefix.to_owned(),
                element: e,
                raw: *raw,
            });
        }
        (Variation::Group(fields), Value::Group(values)) => {
            field_leaves(fields, values, &join, out)
        }
        (Variation::Extended(parts), Value::Extended(present)) => {
            for (fields, values) in parts.iter().zip(present) {
                field_leaves(fields, values, &join, out);
            }
        }
        (Variation::Repetitive { var, .. }, Value::Repetitive(reps)) => {
            for (i, r) in reps.iter().enumerate() {
                leaves(var, r, &format!("{prefix}[{i}]"), out);
            }
        }
        (Variation::Compound(subs), Value::Compound { present, .. }) => {
            for (slot, v) in present {
                if let Some(Some(sub)) = subs.get(*slot) {
                    leaves(&sub.var, v, &join(sub.name), out);
                }
            }
        }
        _ => {}
    }
}

fn field_leaves(
    fields: &'static [Field],
    values: &[Value],
    join: &dyn Fn(&str) -> String,
    out: &mut Vec<Leaf>,
) {
    for (f, v) in fields.iter().zip(values) {
        if let Field::Named(n) = f {
            leaves(&n.var, v, &join(n.name), out);
        }
    }
}
