//! Nothing leaves that the policy does not release: 10,000 generated pictures and policies
//! run through the whole outbound path (`release` for every message, `due` every step and
//! until drained at the end), checked against an oracle written plainly here: its own
//! point-in-polygon, its own redaction, its own reading of the policy. It calls nothing of
//! the releaser but the public outbound path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/oracle.rs"]
mod oracle;

use oracle::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(10_000)
    })]

    #[test]
    fn nothing_leaves_that_the_policy_does_not_release(
        policy in policy(),
        tracks in tracks(),
        msgs in messages(),
    ) {
        run(policy, tracks, msgs, &|m| m);
    }
}
