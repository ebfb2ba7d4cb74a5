//! The generic block/record engine on hand-made blocks: each item kind, and each error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

use vigil_asterix::{
    BlockError, DataBlock, Decoder, EncodeError, RecordError, Value, encode_record, tables,
};

fn bytes(hex: &str) -> Vec<u8> {
    let s: String = hex.split_whitespace().collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// What decoding one block should give: the (item, path, raw) of every leaf, or an error.
type Expected = Result<Vec<(&'static str, &'static str, u64)>, BlockError>;

fn check(input: &str, expected: Expected) {
    let b = bytes(input);
    let category = tables::default_for(b[0]).unwrap();
    let got = DataBlock::decode(category, &b).map(|blk| {
        let mut leaves = Vec::new();
        for r in &blk.records {
            for it in &r.items {
                for l in it.leaves() {
                    leaves.push((it.def.name, l.path, l.raw));
                }
            }
            assert_eq!(r.encode().unwrap(), r.bytes, "{input}: re-encoding");
        }
        leaves
    });
    let got = got.map(|v| {
        v.iter()
            .map(|(i, p, r)| (i.to_string(), p.clone(), *r))
            .collect::<Vec<_>>()
    });
    let expected = expected.map(|v| {
        v.iter()
            .map(|(i, p, r)| (i.to_string(), p.to_string(), *r))
            .collect::<Vec<_>>()
    });
    assert_eq!(got, expected, "{input}");
}

fn record_err(cat: u8, index: usize, offset: usize, source: RecordError) -> Expected {
    Err(BlockError::Record {
        cat,
        index,
        offset,
        source,
    })
}

#[test]
fn item_kinds() {
    // Fixed group: I048/010.
    check(
        "30 00 06 80 19 C9",
        Ok(vec![("010", "SAC", 25), ("010", "SIC", 201)]),
    );
    // Two records in one block.
    check(
        "30 00 09 80 19 C9 80 01 02",
        Ok(vec![
            ("010", "SAC", 25),
            ("010", "SIC", 201),
            ("010", "SAC", 1),
            ("010", "SIC", 2),
        ]),
    );
    // Extended: I048/020 with one extension (TYP=5, then TST=1).
    check(
        "30 00 06 20 A1 80",
        Ok(vec![
            ("020", "TYP", 5),
            ("020", "SIM", 0),
            ("020", "RDP", 0),
            ("020", "SPI", 0),
            ("020", "RAB", 0),
            ("020", "TST", 1),
            ("020", "ERR", 0),
            ("020", "XPP", 0),
            ("020", "ME", 0),
            ("020", "MI", 0),
            ("020", "FOEFRI", 0),
        ]),
    );
    // Repetitive with FX: I048/030 codes 1 and 2 (FRN 16).
    check(
        "30 00 08 01 01 40 03 04",
        Ok(vec![("030", "[0]", 1), ("030", "[1]", 2)]),
    );
    // Repetitive with a count: I048/250, one BDS 4,0 register.
    check(
        "30 00 0E 01 20 01 C0 78 00 31 BC 00 00 40",
        Ok(vec![
            ("250", "[0]/MBDATA", 0xC0780031BC0000),
            ("250", "[0]/BDS1", 4),
            ("250", "[0]/BDS2", 0),
        ]),
    );
    // Explicit: SP with two octets of anything, skipped by its length.
    check("30 00 0A 01 01 01 04 03 AB CD", Ok(vec![]));
    // Compound: I048/130 with SRL and SAM.
    check(
        "30 00 07 02 A0 56 B8",
        Ok(vec![("130", "SRL", 0x56), ("130", "SAM", 0xB8)]),
    );
    // Compound whose primary subfield has a trailing empty octet (seen in real CAT062 data).
    check("30 00 07 02 81 00 56", Ok(vec![("130", "SRL", 0x56)]));
    // A record FSPEC padded with empty octets well past the UAP is kept as received.
    let padded = format!(
        "30 00 {:02X} 81 {} 00 19 C9",
        3 + 1 + 39 + 1 + 2,
        "01 ".repeat(39)
    );
    check(&padded, Ok(vec![("010", "SAC", 25), ("010", "SIC", 201)]));
}

#[test]
fn errors() {
    check("30", Err(BlockError::TruncatedHeader { available: 1 }));
    check(
        "30 00 02",
        Err(BlockError::LengthTooShort {
            cat: 48,
            declared: 2,
        }),
    );
    check(
        "30 00 10 80",
        Err(BlockError::LengthMismatch {
            cat: 48,
            declared: 16,
            available: 4,
        }),
    );
    check(
        "30 00 04 81",
        record_err(48, 0, 3, RecordError::FspecOverrun),
    );
    check("30 00 04 00", record_err(48, 0, 3, RecordError::EmptyFspec));
    check(
        "30 00 05 80 19",
        record_err(
            48,
            0,
            3,
            RecordError::Truncated {
                item: "010",
                need: 2,
                available: 1,
            },
        ),
    );
    check(
        "3E 00 04 40",
        record_err(62, 0, 3, RecordError::UnknownItem { frn: 2 }),
    );
    check(
        "30 00 07 01 02 01 01",
        record_err(48, 0, 3, RecordError::ExtendedOverrun { item: "170" }),
    );
    check(
        "30 00 08 01 01 01 04 00",
        record_err(48, 0, 3, RecordError::ExplicitLength { item: "SP" }),
    );
    check(
        "30 00 0E 01 20 02 C0 78 00 31 BC 00 00 40",
        record_err(
            48,
            0,
            3,
            RecordError::Truncated {
                item: "250",
                need: 8,
                available: 0,
            },
        ),
    );
    check(
        "30 00 06 02 01 40",
        record_err(
            48,
            0,
            3,
            RecordError::UnknownSubitem {
                item: "130",
                slot: 8,
            },
        ),
    );
    // The second record is the bad one: its index and offset say so.
    check(
        "30 00 07 80 19 C9 80",
        record_err(
            48,
            1,
            6,
            RecordError::Truncated {
                item: "010",
                need: 2,
                available: 0,
            },
        ),
    );
}

#[test]
fn decoder_skips_unknown_categories_and_goes_on_after_bad_blocks() {
    let input = bytes("01 00 05 80 00  30 00 05 80 19  30 00 06 80 19 C9  30 00 09");
    let mut d = Decoder::new();
    let out = d.decode(&input);
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(matches!(out[0], Err(BlockError::Record { cat: 48, .. })));
    assert_eq!(out[1].as_ref().unwrap().records.len(), 1);
    assert!(matches!(
        out[2],
        Err(BlockError::LengthMismatch {
            cat: 48,
            declared: 9,
            available: 3
        })
    ));
    assert_eq!(d.stats.unknown_category_blocks, 1);
    assert_eq!(d.stats.records, 1);
    assert_eq!(d.stats.errors, 2);
    // A category can be switched off, and an older edition switched on.
    let mut d = Decoder::new()
        .without_category(48)
        .with_category(&tables::cat062_1_18::CATEGORY);
    assert!(d.decode(&bytes("30 00 06 80 19 C9")).is_empty());
    assert_eq!(d.stats.unknown_category_blocks, 1);
}

#[test]
fn encoder_rejects_values_that_do_not_fit() {
    let cat = tables::CAT048;
    let sac_sic = Value::Group(vec![Value::Element(25), Value::Element(201)]);
    assert_eq!(
        encode_record(cat, [(1, &sac_sic)]).unwrap(),
        bytes("80 19 C9")
    );
    let wide = Value::Group(vec![Value::Element(256), Value::Element(1)]);
    assert_eq!(
        encode_record(cat, [(1, &wide)]),
        Err(EncodeError::TooWide {
            item: "010",
            value: 256,
            bits: 8
        })
    );
    let wrong = Value::Element(1);
    assert_eq!(
        encode_record(cat, [(1, &wrong)]),
        Err(EncodeError::Shape { item: "010" })
    );
    assert_eq!(
        encode_record(cat, [(1, &sac_sic), (1, &sac_sic)]),
        Err(EncodeError::BadFrn { frn: 1 })
    );
    assert_eq!(
        encode_record(cat, [(29, &sac_sic)]),
        Err(EncodeError::BadFrn { frn: 29 })
    );
    let long = Value::Explicit(vec![0; 255]);
    assert_eq!(
        encode_record(cat, [(27, &long)]),
        Err(EncodeError::TooLong {
            item: "SP",
            len: 256
        })
    );
    assert!(matches!(
        vigil_asterix::encode_block(48, &[vec![0; 70_000]]),
        Err(EncodeError::BlockTooLong { .. })
    ));
}

#[test]
fn time_of_day_is_placed_on_the_nearest_day() {
    use vigil_core::UnixTime;
    let day = 86_400.0;
    let reference = UnixTime(100.0 * day + 10.0);
    let check = |tod: f64, expected: f64| {
        assert_eq!(
            vigil_asterix::time_of_day_to_unix(tod, reference),
            UnixTime(expected),
            "{tod}"
        );
    };
    check(5.0, 100.0 * day + 5.0);
    // Just before midnight: yesterday.
    check(day - 3.0, 100.0 * day - 3.0);
}
