//! Invariants over random exchanges: two centres, two links, messages both ways and
//! checkpoints at random moments always verify clean on both sides; any single-field
//! mutation of any stored entry is then detected at that entry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use vigil_core::UnixTime;
use vigil_ledger::{
    CentreId, Direction, DivergenceReason, Keys, Ledger, LedgerStore, MemoryStore, SigningKey,
    compare,
};

const LINKS: [&str; 2] = ["l0", "l1"];
const KINDS: [&str; 5] = [
    "track_update",
    "alert",
    "incident_transition",
    "handover",
    "heartbeat",
];

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn id(centre: &str) -> CentreId {
    CentreId {
        party: centre.into(),
        centre: centre.into(),
    }
}

fn keys(own: u8, partner: u8) -> Keys {
    let p = key(partner).verifying_key();
    LINKS
        .iter()
        .fold(Keys::new(key(own).verifying_key()), |k, l| {
            k.with_partner(l, p)
        })
}

/// One step: (action 0..6, link, kind, payload length).
type Op = (u8, usize, usize, usize);

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((0u8..6, 0usize..2, 0usize..5, 0usize..80), 1..60)
}

/// Plays the steps: A and B send to each other (ledgered on both sides) and exchange
/// checkpoints, which must agree when recorded.
fn play(ops: &[Op]) -> (Ledger<MemoryStore>, Ledger<MemoryStore>) {
    let mut a = Ledger::open(MemoryStore::new(), id("A")).unwrap();
    let mut b = Ledger::open(MemoryStore::new(), id("B")).unwrap();
    for (i, &(action, link, kind, len)) in ops.iter().enumerate() {
        let (link, kind) = (LINKS[link], KINDS[kind]);
        let t = UnixTime(1_700_000_000.0 + i as f64 * 1.5);
        let payload = vec![i as u8; len];
        let (from, to, from_key) = match action {
            0 | 2 => (&mut a, &mut b, key(1)),
            1 | 3 => (&mut b, &mut a, key(2)),
            4 => (&mut a, &mut b, key(1)),
            _ => (&mut b, &mut a, key(2)),
        };
        if action < 4 {
            let e = from
                .append(link, Direction::Sent, t, kind, &payload, None)
                .unwrap();
            to.append(
                link,
                Direction::Received,
                t.plus(0.1),
                kind,
                &payload,
                Some(e.seq),
            )
            .unwrap();
        } else {
            let cp = from.checkpoint(link, &from_key, t).unwrap();
            let d = to
                .record_partner_checkpoint(&cp, &from_key.verifying_key())
                .unwrap();
            assert_eq!(d, None);
        }
    }
    (a, b)
}

proptest! {
    #[test]
    fn random_exchanges_verify_clean(ops in ops()) {
        let (a, b) = play(&ops);
        let ra = a.verify(&keys(1, 2)).unwrap();
        let rb = b.verify(&keys(2, 1)).unwrap();
        prop_assert_eq!(ra.first_divergence, None);
        prop_assert_eq!(rb.first_divergence, None);
        for link in LINKS {
            let (ea, eb) = (a.store().entries(link).unwrap(), b.store().entries(link).unwrap());
            prop_assert_eq!(compare(&ea, &eb), None);
            prop_assert_eq!(compare(&eb, &ea), None);
        }
        // Reciprocity: what one sent is what the other received.
        let (ta, tb) = (a.report().unwrap(), b.report().unwrap());
        for link in LINKS {
            let (sa, ra) = ta.totals(link);
            let (sb, rb) = tb.totals(link);
            prop_assert_eq!((sa, ra), (rb, sb));
        }
    }

    #[test]
    fn any_single_field_mutation_is_detected_at_its_entry(
        ops in ops(),
        pick in any::<prop::sample::Index>(),
        field in 0u8..10,
        bit in 0usize..64,
    ) {
        let (mut a, _) = play(&ops);
        let all: Vec<(String, usize)> = LINKS
            .iter()
            .flat_map(|l| {
                let n = a.store().entries(l).unwrap().len();
                (0..n).map(move |i| (l.to_string(), i))
            })
            .collect();
        prop_assume!(!all.is_empty());
        let (link, i) = pick.get(&all).clone();
        let entries = a.store_mut().entries_mut(&link).unwrap();
        let e = &mut entries[i];
        let seq = e.seq;
        match field {
            0 => e.link.push('x'),
            1 => e.seq += 1 + bit as u64,
            2 => {
                e.direction = match e.direction {
                    Direction::Sent => Direction::Received,
                    Direction::Received => Direction::Sent,
                }
            }
            3 => e.time = UnixTime(f64::from_bits(e.time.0.to_bits() ^ (1 << bit))),
            4 => e.kind.push('x'),
            5 => e.peer_seq = Some(e.peer_seq.map_or(bit as u64, |p| p ^ (1 << bit))),
            6 => e.payload_sha256[bit % 32] ^= 1 << (bit % 8),
            7 => e.payload_len ^= 1 << bit,
            8 => e.prev[bit % 32] ^= 1 << (bit % 8),
            _ => e.hash[bit % 32] ^= 1 << (bit % 8),
        }
        let r = a.verify(&keys(1, 2)).unwrap();
        prop_assert_eq!(r.divergences.len(), 1, "{:?}", r.divergences);
        let d = &r.divergences[0];
        prop_assert_eq!((&d.link, d.seq), (&link, seq), "{}", d);
        if field == 1 {
            let is_gap = matches!(d.reason, DivergenceReason::SeqGap { .. });
            prop_assert!(is_gap, "{}", d);
        }
    }
}
