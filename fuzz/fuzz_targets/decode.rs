//! Fuzzes the Mode S decoders with the input as one reply: the rs1090 reference decoder and
//! the fast path must not panic, whatever the bytes and their length.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vigil_codec::reference::decode_json(data);
    let _ = vigil_codec::modes::decode(data);
});
