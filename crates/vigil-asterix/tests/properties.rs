//! Invariants on arbitrary input: decoding never panics, and encode/decode are inverse.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

mod common;

use common::generate::{Rng, gen_record};
use proptest::prelude::*;
use vigil_asterix::{DataBlock, Decoder, Record, Value, encode_record, tables};

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
