//! The `rs1090` reference decoder: full decodes for `vigil decode`, and the oracle the fast
//! path is checked against.

/// Decodes one Mode S reply with rs1090 into its JSON form (the fields `decode1090` prints).
/// `None` when rs1090 cannot decode it.
pub fn decode_json(data: &[u8]) -> Option<serde_json::Value> {
    use rs1090::prelude::*;
    let msg = Message::try_from(data).ok()?;
    serde_json::to_value(&msg).ok()
}
