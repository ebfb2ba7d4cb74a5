//! Invariants on arbitrary input: decoding never panics, and encode/decode are inverse.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

use proptest::prelude::*;
use vigil_asterix::spec::{Category, Field, Rep, Variation};
use vigil_asterix::{DataBlock, Decoder, Record, Value, encode_record, tables};

/// A tiny deterministic generator, seeded by proptest, to build values of any table shape.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: plenty for shaping test values.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn bits(rng: &mut Rng, n: u8) -> u64 {
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

fn gen_value(var: &Variation, rng: &mut Rng) -> Value {
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

fn gen_record(cat: &Category, rng: &mut Rng) -> Vec<(usize, Value)> {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the decoder, framed or not.
    #[test]
    fn decoder_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut d = Decoder::new();
        let _ = d.decode(&data);
        for cat in tables::ALL {
            // Frame the bytes as a block of this category so the record engine sees them.
            let len = (data.len() + 3).min(usize::from(u16::MAX));
            let mut block = vec![cat.cat, (len >> 8) as u8, len as u8];
            block.extend_from_slice(&data[..len - 3]);
            if let Ok(b) = DataBlock::decode(cat, &block) {
                // Whatever decodes re-encodes, and decodes again to the same values.
                for r in &b.records {
                    let again = r.encode().expect("decoded values encode");
                    let (r2, used) = Record::decode(cat, &again).expect("re-encoded record decodes");
                    prop_assert_eq!(used, again.len());
                    prop_assert_eq!(&r2.items.iter().map(|i| &i.value).collect::<Vec<_>>(),
                                    &r.items.iter().map(|i| &i.value).collect::<Vec<_>>());
                    prop_assert_eq!(again.as_slice(), r.bytes);
                }
            }
        }
    }

    /// Values generated from the tables encode, decode to the same values, and encode again
    /// to the same octets, for every carried edition.
    #[test]
    fn generated_records_round_trip(seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        for cat in tables::ALL {
            let items = gen_record(cat, &mut rng);
            let bytes = encode_record(cat, items.iter().map(|(f, v)| (*f, v))).expect("generated values fit");
            let (rec, used) = Record::decode(cat, &bytes).expect("encoded record decodes");
            prop_assert_eq!(used, bytes.len());
            let decoded: Vec<(usize, Value)> = rec.items.iter().map(|i| (i.frn, i.value.clone())).collect();
            prop_assert_eq!(&decoded, &items);
            prop_assert_eq!(&rec.encode().expect("re-encode"), &bytes);
            // Corrupting one octet of a valid record never panics either; whatever still
            // decodes re-encodes to the corrupted octets.
            let mut bad = bytes.clone();
            let i = rng.below(bad.len() as u64) as usize;
            bad[i] ^= 1 << rng.below(8);
            if let Ok((r, used)) = Record::decode(cat, &bad) {
                prop_assert_eq!(r.encode().expect("re-encode"), &bad[..used]);
            }
        }
        prop_assert_eq!(encode_record(tables::CAT048, []), Err(vigil_asterix::EncodeError::EmptyRecord));
    }
}
