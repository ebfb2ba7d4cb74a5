//! Fuzzes the ASTERIX block decoder: arbitrary bytes must never panic, and whatever decodes
//! must re-encode to the same octets.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_asterix::{DataBlock, Decoder, tables};

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
});
