//! Fuzzes the link's inbound wire path: any bytes as one envelope must decode and check or
//! give a `WireError`, never panic. Whatever is accepted is valid: a data message re-encodes
//! deterministically and decodes to itself, a checkpoint survives its protobuf round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_link::wire::{self, Inbound};

fuzz_target!(|data: &[u8]| {
    match wire::decode_envelope(data) {
        Ok(Inbound::Data { kind, msg, .. }) => {
            let (k, payload) = wire::encode_data(&msg).expect("a data message encodes");
            assert_eq!(k, kind, "re-encoded under its own kind");
            let again = wire::decode_data(k.into(), &payload).expect("re-encoded data decodes");
            assert_eq!(again, msg, "encode → decode round-trips");
            let (_, twice) = wire::encode_data(&again).expect("a data message encodes");
            assert_eq!(twice, payload, "encoding is deterministic");
        }
        Ok(Inbound::Checkpoint { checkpoint, .. }) => {
            let back = wire::checkpoint_from_pb(wire::checkpoint_to_pb(&checkpoint))
                .expect("an accepted checkpoint converts back");
            assert_eq!(back, checkpoint, "checkpoint round-trips");
        }
        Ok(Inbound::Hello { .. } | Inbound::Heartbeat { .. }) | Err(_) => {}
    }
});
