//! Random values of any table shape, for the property tests.

use vigil_asterix::Value;
use vigil_asterix::spec::{Category, Field, Rep, Variation};

/// A tiny deterministic generator, seeded by proptest, to build values of any table shape.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // xorshift64*: plenty for shaping test values.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub fn bits(rng: &mut Rng, n: u8) -> u64 {
    if n >= 64 {
        rng.next()
    } else {
        rng.next() & ((1u64 << n) - 1)
    }
}

fn gen_fields(fields: &[Field], rng: &mut Rng) -> Vec<Value> {
    fields
        .iter()
        .map(|f| match f {
            Field::Spare(n) => Value::Element(bits(rng, *n)),
            Field::Named(n) => gen_value(&n.var, rng),
        })
        .collect()
}

pub fn gen_value(var: &Variation, rng: &mut Rng) -> Value {
    match var {
        Variation::Element(e) => Value::Element(bits(rng, e.bits)),
        Variation::Group(fields) => Value::Group(gen_fields(fields, rng)),
        Variation::Extended(parts) => {
            let n = 1 + rng.below(parts.len() as u64) as usize;
            Value::Extended(parts[..n].iter().map(|p| gen_fields(p, rng)).collect())
        }
        Variation::Repetitive { rep, var } => {
            let n = match rep {
                Rep::Byte => rng.below(4),
                Rep::Fx => 1 + rng.below(3),
            };
            Value::Repetitive((0..n).map(|_| gen_value(var, rng)).collect())
        }
        Variation::Explicit(_) => {
            Value::Explicit((0..rng.below(6)).map(|_| rng.next() as u8).collect())
        }
        Variation::Compound(subs) => {
            let mut present = Vec::new();
            for (i, s) in subs.iter().enumerate() {
                if let Some(s) = s.as_ref().filter(|_| rng.below(3) == 0) {
                    present.push((i, gen_value(&s.var, rng)));
                }
            }
            let fspec_octets = present.last().map_or(1, |(s, _)| s / 7 + 1);
            Value::Compound {
                present,
                fspec_octets,
            }
        }
    }
}

pub fn gen_record(cat: &Category, rng: &mut Rng) -> Vec<(usize, Value)> {
    let mut items = Vec::new();
    for frn in 1..=cat.uap.len() {
        if let Some(it) = cat.item_at(frn).filter(|_| rng.below(3) == 0) {
            items.push((frn, gen_value(&it.var, rng)));
        }
    }
    if items.is_empty() {
        // A record has at least one item; FRN 1 is I010 in every category carried.
        if let Some(it) = cat.item_at(1) {
            items.push((1, gen_value(&it.var, rng)));
        }
    }
    items
}
