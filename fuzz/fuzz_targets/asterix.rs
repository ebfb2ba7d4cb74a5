//! Fuzzes the ASTERIX block decoder: arbitrary bytes must never panic, and whatever decodes
//! must re-encode to the same octets. The fast paths (`RawItems`, the typed CAT048 decoder)
//! must accept exactly what the generic engine accepts.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_asterix::{DataBlock, Decoder, RawItems, Record, cat048::ReportDecoder, tables};

fuzz_target!(|data: &[u8]| {
    // As a datagram of concatenated blocks, with the default editions.
    let mut decoder = Decoder::new();
    for block in decoder.decode(data).into_iter().flatten() {
        for record in &block.records {
            let again = record.encode().expect("decoded values encode");
            assert_eq!(again.as_slice(), record.bytes, "decode → encode is exact");
        }
    }
    // As the body of one block of every carried edition, so the record engine sees the bytes
    // whatever the first octet is.
    let len = (data.len() + 3).min(usize::from(u16::MAX));
    for category in tables::ALL {
        let mut block = Vec::with_capacity(len);
        block.push(category.cat);
        block.extend_from_slice(&(len as u16).to_be_bytes());
        block.extend_from_slice(&data[..len - 3]);
        if let Ok(b) = DataBlock::decode(category, &block) {
            assert_eq!(b.encode().expect("decoded block encodes"), block);
        }
    }
    // The fast paths over the same bytes as one record: same verdict as the generic engine.
    for category in tables::ALL {
        let generic = Record::decode(category, data).map(|(_, n)| n);
        let raw = RawItems::new(category, data).and_then(|mut items| {
            for item in items.by_ref() {
                item?;
            }
            Ok(items.position())
        });
        assert_eq!(generic.is_ok(), raw.is_ok(), "RawItems and Record agree on acceptance");
        if let (Ok(a), Ok(b)) = (&generic, &raw) {
            assert_eq!(a, b, "same record length");
        }
    }
    let fast = ReportDecoder::new(tables::CAT048).decode(data).map(|(_, n)| n);
    let generic = Record::decode(tables::CAT048, data).map(|(_, n)| n);
    assert_eq!(fast.is_ok(), generic.is_ok(), "CAT048 fast path agrees with the engine");
});
