//! Nothing leaves that the policy does not release, on the outbound path as a whole: the
//! release oracle's 10,000 generated pictures and policies (shared with vigil-release's own
//! test) go through the link's `Releaser`, then the link's wire encoding, then the partner's
//! checked decoding, and what the partner would read is checked against the oracle: only
//! what it allows, redacted as it says, no withheld field, every track's newest allowed
//! update. The link adds nothing and drops nothing on the way (delivery, ordering and
//! newest-wins under backpressure are `delivery.rs`'s).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../vigil-release/tests/support/oracle.rs"]
mod oracle;

use oracle::*;
use proptest::prelude::*;
use vigil_link::wire;
use vigil_release::Outbound;

/// What the partner reads of a released copy: encoded as the link sends it, decoded and
/// checked as the partner's link does. A copy the partner would refuse fails the test.
fn across_the_wire(m: Outbound) -> Outbound {
    if let Outbound::Heartbeat(h) = m {
        // A heartbeat is the link's own control envelope: nothing but the time.
        let bytes = prost::Message::encode_to_vec(&wire::heartbeat_envelope(0, h.time, 0));
        return match wire::decode_envelope(&bytes) {
            Ok(wire::Inbound::Heartbeat { time, .. }) => {
                Outbound::Heartbeat(vigil_release::Heartbeat { time })
            }
            other => panic!("a heartbeat came back as {other:?}"),
        };
    }
    let (kind, payload) =
        wire::encode_data(&m).unwrap_or_else(|| panic!("released a non-data message {m:?}"));
    let again = wire::encode_data(&m).map(|(_, p)| p);
    assert_eq!(again.as_ref(), Some(&payload), "encoding is deterministic");
    wire::decode_data(kind as i32, &payload)
        .unwrap_or_else(|e| panic!("the partner refuses a released {m:?}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(10_000)
    })]

    #[test]
    fn nothing_reaches_the_partner_that_the_policy_does_not_release(
        policy in policy(),
        tracks in tracks(),
        msgs in messages(),
    ) {
        run(policy, tracks, msgs, &across_the_wire);
    }
}
