//! Append, verify, tamper, checkpoints, cross-checks and reciprocity on both stores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use vigil_core::UnixTime;
use vigil_ledger::{
    CentreId, Direction, DivergenceReason, Keys, Ledger, LedgerError, LedgerStore, MemoryStore,
    Origin, SigningKey, SqliteStore, compare,
};

const LINK: &str = "nato-partner";
/// 2026-03-01T23:59:00Z: the exchange crosses midnight.
const T0: f64 = 1_772_409_540.0;

fn nato_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}
fn partner_key() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}
fn nato_id() -> CentreId {
    CentreId {
        party: "NATO".into(),
        centre: "CRC-A".into(),
    }
}
fn partner_id() -> CentreId {
    CentreId {
        party: "Partner".into(),
        centre: "CC-P".into(),
    }
}
fn nato_keys() -> Keys {
    Keys::new(nato_key().verifying_key()).with_partner(LINK, partner_key().verifying_key())
}
fn partner_keys() -> Keys {
    Keys::new(partner_key().verifying_key()).with_partner(LINK, nato_key().verifying_key())
}

/// A temporary SQLite path, removed (with its WAL files) on drop.
struct TempDb(PathBuf);
impl TempDb {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("vigil-ledger-{}-{name}.db", std::process::id()));
        let db = TempDb(p);
        db.clean();
        db
    }
    fn clean(&self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
        }
    }
}
impl Drop for TempDb {
    fn drop(&mut self) {
        self.clean();
    }
}

/// Sends one message from `from` to `to` on LINK (ledgered on both sides).
fn send<A: LedgerStore, B: LedgerStore>(
    from: &mut Ledger<A>,
    to: &mut Ledger<B>,
    t: f64,
    kind: &str,
    payload: &[u8],
) {
    let e = from
        .append(LINK, Direction::Sent, UnixTime(t), kind, payload, None)
        .unwrap();
    to.append(
        LINK,
        Direction::Received,
        UnixTime(t + 0.02),
        kind,
        payload,
        Some(e.seq),
    )
    .unwrap();
}

/// `from` signs its head and `to` records it; the checkpoint must agree.
fn exchange_checkpoint<A: LedgerStore, B: LedgerStore>(
    from: &mut Ledger<A>,
    key: &SigningKey,
    to: &mut Ledger<B>,
    t: f64,
) {
    let cp = from.checkpoint(LINK, key, UnixTime(t)).unwrap();
    let d = to
        .record_partner_checkpoint(&cp, &key.verifying_key())
        .unwrap();
    assert_eq!(d, None, "checkpoint disagrees: {d:?}");
}

/// A day of traffic both ways with checkpoints: NATO's ledger ends with 20 entries.
fn exchange<A: LedgerStore, B: LedgerStore>(nato: &mut Ledger<A>, partner: &mut Ledger<B>) {
    let kinds = [
        "track_update",
        "track_update",
        "alert",
        "heartbeat",
        "handover",
    ];
    for i in 0..10u32 {
        let t = T0 + f64::from(i) * 15.0;
        let kind = kinds[i as usize % kinds.len()];
        let payload = format!("{kind} #{i} from NATO").into_bytes();
        send(nato, partner, t, kind, &payload);
        let back = format!("heartbeat #{i} from partner").into_bytes();
        send(partner, nato, t + 1.0, "heartbeat", &back);
        if i % 3 == 2 {
            exchange_checkpoint(nato, &nato_key(), partner, t + 2.0);
            exchange_checkpoint(partner, &partner_key(), nato, t + 2.5);
        }
    }
    exchange_checkpoint(nato, &nato_key(), partner, T0 + 200.0);
    exchange_checkpoint(partner, &partner_key(), nato, T0 + 200.5);
}

fn assert_clean<S: LedgerStore>(l: &Ledger<S>, keys: &Keys) {
    let r = l.verify(keys).unwrap();
    assert_eq!(r.first_divergence, None, "{:?}", r.divergences);
    assert_eq!(r.links, 1);
}

#[test]
fn append_and_verify_in_memory() {
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    exchange(&mut nato, &mut partner);
    assert_clean(&nato, &nato_keys());
    assert_clean(&partner, &partner_keys());
    let r = nato.verify(&nato_keys()).unwrap();
    assert_eq!(r.entries, 20);
    assert_eq!(r.own_checkpoints, 4);
    assert_eq!(r.partner_checkpoints, 4);
    assert_eq!(nato.head(LINK).seq, 20);
    assert_eq!(nato.head("other").seq, 0);
    // Each sender's chain against the receiver's, both ways.
    let (a, b) = (
        nato.store().entries(LINK).unwrap(),
        partner.store().entries(LINK).unwrap(),
    );
    assert_eq!(compare(&a, &b), None);
    assert_eq!(compare(&b, &a), None);
}

#[test]
fn append_and_verify_in_sqlite_and_reopen() {
    let db = TempDb::new("reopen");
    let mut nato = Ledger::open(SqliteStore::open(&db.0).unwrap(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    exchange(&mut nato, &mut partner);
    assert_clean(&nato, &nato_keys());
    let head = nato.head(LINK);
    drop(nato);

    // Reopened, the chain continues where it was, exchange digests included.
    let mut nato = Ledger::open(SqliteStore::open(&db.0).unwrap(), nato_id()).unwrap();
    assert_eq!(nato.head(LINK), head);
    let mode: String = nato
        .store()
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    send(
        &mut nato,
        &mut partner,
        T0 + 300.0,
        "alert",
        b"after restart",
    );
    send(&mut partner, &mut nato, T0 + 301.0, "alert", b"ack");
    exchange_checkpoint(&mut nato, &nato_key(), &mut partner, T0 + 302.0);
    exchange_checkpoint(&mut partner, &partner_key(), &mut nato, T0 + 303.0);
    assert_clean(&nato, &nato_keys());
    assert_clean(&partner, &partner_keys());
}

#[test]
fn schema_version_is_recorded_once() {
    let db = TempDb::new("schema");
    for _ in 0..2 {
        let s = SqliteStore::open(&db.0).unwrap();
        let v: i64 = s
            .connection()
            .query_row(
                "SELECT version FROM schema_version WHERE component = 'ledger'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, vigil_ledger::sqlite::SCHEMA_VERSION);
    }
}

/// NATO's ledger in SQLite after the exchange, with the seq of the entries by position.
fn tampered(sql: &str) -> Option<vigil_ledger::Divergence> {
    let mut nato = Ledger::open(SqliteStore::open_in_memory().unwrap(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    exchange(&mut nato, &mut partner);
    assert_clean(&nato, &nato_keys());
    let n = nato.store().connection().execute(sql, []).unwrap();
    assert!(n >= 1, "{sql} changed nothing");
    nato.verify(&nato_keys()).unwrap().first_divergence
}

#[test]
fn editing_one_stored_entry_is_detected_at_its_seq() {
    use DivergenceReason::*;
    // (statement, seq named, reason). Seq 7 is a sent heartbeat, seq 8 a received one.
    let cases: &[(&str, u64, DivergenceReason)] = &[
        (
            "UPDATE ledger_entries SET kind = 'alert' WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET payload_sha256 = zeroblob(32) WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET payload_len = payload_len + 1 WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET time = time + 1e-6 WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET direction = 1 - direction WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET peer_seq = peer_seq + 1 WHERE seq = 8",
            8,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET hash = zeroblob(32) WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "UPDATE ledger_entries SET prev = zeroblob(32) WHERE seq = 7",
            7,
            HashMismatch,
        ),
        (
            "DELETE FROM ledger_entries WHERE seq = 7",
            7,
            SeqGap {
                expected: 7,
                found: Some(8),
            },
        ),
        (
            "UPDATE ledger_entries SET seq = 100 WHERE seq = 7",
            7,
            SeqGap {
                expected: 7,
                found: Some(8),
            },
        ),
    ];
    for (sql, seq, reason) in cases {
        let d = tampered(sql).unwrap_or_else(|| panic!("not detected: {sql}"));
        assert_eq!((d.seq, &d.reason), (*seq, reason), "{sql}: {d}");
        assert_eq!(d.link, LINK);
        if !matches!(reason, SeqGap { .. }) {
            assert!(d.time.is_some() && d.kind.is_some(), "{sql}: {d}");
        }
    }
    // The heartbeat at seq 7 is named with its time and kind.
    let d =
        tampered("UPDATE ledger_entries SET payload_sha256 = zeroblob(32) WHERE seq = 7").unwrap();
    assert_eq!(d.kind.as_deref(), Some("heartbeat"));
    assert_eq!(d.time, Some(UnixTime(T0 + 45.0)));
}

#[test]
fn unreadable_row_is_a_divergence() {
    let d = tampered("UPDATE ledger_entries SET hash = x'00' WHERE seq = 5").unwrap();
    assert_eq!(d.seq, 5);
    assert!(
        matches!(d.reason, DivergenceReason::Unreadable { .. }),
        "{d}"
    );
}

#[test]
fn cutting_the_tail_is_caught_by_the_checkpoints() {
    // The last two entries (after the last checkpoints) leave no gap; NATO's own
    // checkpoint at seq 20 proves them.
    let d = tampered("DELETE FROM ledger_entries WHERE seq >= 19").unwrap();
    assert!(
        matches!(
            d.reason,
            DivergenceReason::OwnCheckpointHead { checkpoint_seq: 20 }
        ),
        "{d}"
    );
    // Named after the last checkpoint that agreed (seq 18), with no entry there any more.
    assert_eq!((d.seq, d.time), (19, None));
}

#[test]
fn tampering_with_a_checkpoint_is_detected() {
    let cases = [
        // Own checkpoints.
        "UPDATE ledger_checkpoints SET signature = zeroblob(64) WHERE origin = 0 AND seq = 12",
        "UPDATE ledger_checkpoints SET head_hash = zeroblob(32) WHERE origin = 0 AND seq = 12",
        "UPDATE ledger_checkpoints SET seq = 11 WHERE origin = 0 AND seq = 12",
        // Partner checkpoints.
        "UPDATE ledger_checkpoints SET signature = zeroblob(64) WHERE origin = 1 AND seq = 12",
        "UPDATE ledger_checkpoints SET sent_count = 5 WHERE origin = 1 AND seq = 12",
        "UPDATE ledger_checkpoints SET received_digest = zeroblob(32) WHERE origin = 1 AND seq = 12",
    ];
    for sql in cases {
        let d = tampered(sql).unwrap_or_else(|| panic!("not detected: {sql}"));
        assert!(
            matches!(
                d.reason,
                DivergenceReason::OwnCheckpointSignature { .. }
                    | DivergenceReason::PartnerCheckpointSignature { .. }
            ),
            "{sql}: {d}"
        );
    }
}

#[test]
fn forged_partner_checkpoint_is_refused() {
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    exchange(&mut nato, &mut partner);
    let mut cp = partner
        .checkpoint(LINK, &partner_key(), UnixTime(T0 + 900.0))
        .unwrap();
    // Signed with the wrong key.
    let err = nato
        .record_partner_checkpoint(&cp, &nato_key().verifying_key())
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::BadSignature { seq: 20, .. }),
        "{err}"
    );
    // Altered after signing.
    cp.head_hash[0] ^= 1;
    let err = nato
        .record_partner_checkpoint(&cp, &partner_key().verifying_key())
        .unwrap_err();
    assert!(matches!(err, LedgerError::BadSignature { .. }), "{err}");
    assert_eq!(nato.verify(&nato_keys()).unwrap().partner_checkpoints, 4);
}

#[test]
fn missing_partner_key_is_reported() {
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    exchange(&mut nato, &mut partner);
    let d = nato
        .verify(&Keys::new(nato_key().verifying_key()))
        .unwrap()
        .first_divergence
        .unwrap();
    assert_eq!((d.seq, d.reason), (0, DivergenceReason::NoPartnerKey));
}

/// The partner sends five alerts and checkpoints after every message (`every` = 1) or
/// only after the 2nd and 5th; NATO ledgers the fourth with another payload (altered on
/// the way, or by NATO's software), its own chain consistent.
fn altered_reception(every: bool) -> (Option<vigil_ledger::Divergence>, Ledger<MemoryStore>) {
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    send(&mut nato, &mut partner, T0, "heartbeat", b"hb");
    let mut first = None;
    for i in 1..=5u32 {
        let t = T0 + f64::from(i);
        let payload = format!("alert {i}").into_bytes();
        let e = partner
            .append(LINK, Direction::Sent, UnixTime(t), "alert", &payload, None)
            .unwrap();
        let got: &[u8] = if i == 4 { b"alert 4, edited" } else { &payload };
        nato.append(
            LINK,
            Direction::Received,
            UnixTime(t + 0.5),
            "alert",
            got,
            Some(e.seq),
        )
        .unwrap();
        if every || i == 2 || i == 5 {
            let cp = partner
                .checkpoint(LINK, &partner_key(), UnixTime(t + 0.1))
                .unwrap();
            let d = nato
                .record_partner_checkpoint(&cp, &partner_key().verifying_key())
                .unwrap();
            first = first.or(d);
        }
    }
    (first, nato)
}

#[test]
fn partner_checkpoint_disagreeing_with_our_received_chain() {
    // Checkpoints after every message: the divergence is exact, named on reception.
    let (on_record, nato) = altered_reception(true);
    let d = on_record.expect("reported when the checkpoint arrives");
    // NATO's chain: 1 heartbeat sent, then alerts 1..5 received as seq 2..6.
    assert_eq!(d.seq, 5);
    assert_eq!(d.time, Some(UnixTime(T0 + 4.5)));
    assert_eq!(d.kind.as_deref(), Some("alert"));
    assert!(
        matches!(
            d.reason,
            DivergenceReason::PartnerSentDiffers {
                theirs: 4,
                ours: 4,
                ..
            }
        ),
        "{d}"
    );
    let report = nato.verify(&nato_keys()).unwrap();
    assert_eq!(report.first_divergence, Some(d));

    // Sparse checkpoints: named at the first entry after the last agreeing one (alert 3).
    let (_, nato) = altered_reception(false);
    let d = nato.verify(&nato_keys()).unwrap().first_divergence.unwrap();
    assert_eq!((d.seq, d.kind.as_deref()), (4, Some("alert")), "{d}");
}

#[test]
fn partner_received_digest_checks_what_we_sent() {
    // NATO ledgers a sent message the partner never got; the partner's signed
    // received digest then covers fewer messages than NATO sent, which is fine (in
    // flight), but a different message at the same position is not.
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    send(&mut nato, &mut partner, T0, "alert", b"one");
    nato.append(
        LINK,
        Direction::Sent,
        UnixTime(T0 + 1.0),
        "alert",
        b"two",
        None,
    )
    .unwrap();
    exchange_checkpoint(&mut partner, &partner_key(), &mut nato, T0 + 2.0);
    // Now the partner records a "two" that differs from NATO's.
    partner
        .append(
            LINK,
            Direction::Received,
            UnixTime(T0 + 3.0),
            "alert",
            b"2",
            Some(2),
        )
        .unwrap();
    let cp = partner
        .checkpoint(LINK, &partner_key(), UnixTime(T0 + 4.0))
        .unwrap();
    let d = nato
        .record_partner_checkpoint(&cp, &partner_key().verifying_key())
        .unwrap()
        .unwrap();
    assert_eq!((d.seq, d.time), (2, Some(UnixTime(T0 + 1.0))));
    assert!(
        matches!(
            d.reason,
            DivergenceReason::PartnerReceivedDiffers {
                theirs: 2,
                ours: 2,
                ..
            }
        ),
        "{d}"
    );
    // The full cross-check names the same message.
    let d2 = compare(
        &nato.store().entries(LINK).unwrap(),
        &partner.store().entries(LINK).unwrap(),
    )
    .unwrap();
    assert_eq!(d2.seq, 2);
    assert_eq!(
        d2.reason,
        DivergenceReason::ExchangeDiffers { their_seq: 2 }
    );
}

#[test]
fn compare_finds_missing_and_extra_messages() {
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    send(&mut nato, &mut partner, T0, "alert", b"one");
    nato.append(
        LINK,
        Direction::Sent,
        UnixTime(T0 + 1.0),
        "handover",
        b"two",
        None,
    )
    .unwrap();
    let (a, b) = (
        nato.store().entries(LINK).unwrap(),
        partner.store().entries(LINK).unwrap(),
    );
    let d = compare(&a, &b).unwrap();
    assert_eq!((d.seq, d.kind.as_deref()), (2, Some("handover")));
    assert_eq!(d.reason, DivergenceReason::NotReceived);
    assert_eq!(compare(&a[..1], &b), None);
    // The receiver holds a message the sender's chain does not.
    let d = compare(&[], &b).unwrap();
    assert_eq!(d.reason, DivergenceReason::ReceivedNotSent { their_seq: 1 });
}

#[test]
fn appends_are_checked() {
    let mut l = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let t = UnixTime(T0);
    let e = l.append(LINK, Direction::Received, t, "alert", b"x", None);
    assert!(matches!(e, Err(LedgerError::PeerSeq { .. })));
    let e = l.append(LINK, Direction::Sent, t, "alert", b"x", Some(1));
    assert!(matches!(e, Err(LedgerError::PeerSeq { .. })));
    let e = l.append(
        LINK,
        Direction::Sent,
        UnixTime(f64::NAN),
        "alert",
        b"x",
        None,
    );
    assert!(matches!(e, Err(LedgerError::BadTime { .. })));
    l.append(LINK, Direction::Received, t, "alert", b"x", Some(5))
        .unwrap();
    let e = l.append(LINK, Direction::Received, t, "alert", b"x", Some(5));
    assert!(matches!(
        e,
        Err(LedgerError::PeerSeqNotIncreasing {
            previous: 5,
            got: 5,
            ..
        })
    ));
    // Refused appends left nothing behind.
    assert_eq!(l.head(LINK).seq, 1);
    assert_eq!(l.store().entries(LINK).unwrap().len(), 1);
}

#[test]
fn batch_is_all_or_nothing() {
    use vigil_ledger::Message;
    let mut l = Ledger::open(SqliteStore::open_in_memory().unwrap(), nato_id()).unwrap();
    let m = |link, payload: &'static [u8], peer_seq: Option<u64>| Message {
        link,
        direction: if peer_seq.is_some() {
            Direction::Received
        } else {
            Direction::Sent
        },
        time: UnixTime(T0),
        kind: "track_update",
        payload,
        peer_seq,
    };
    let out = l
        .append_batch(&[
            m("a", b"1", None),
            m("b", b"2", Some(1)),
            m("a", b"3", None),
        ])
        .unwrap();
    assert_eq!(out.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 1, 2]);
    assert_eq!(out[2].prev, out[0].hash);
    let err = l.append_batch(&[m("a", b"4", None), m("b", b"5", Some(1))]);
    assert!(err.is_err());
    assert_eq!((l.head("a").seq, l.head("b").seq), (2, 1));
    assert_eq!(l.store().entries("a").unwrap().len(), 2);
    let keys = Keys::new(nato_key().verifying_key());
    let r = l.verify(&keys).unwrap();
    assert_eq!((r.links, r.entries, r.first_divergence), (2, 3, None));
}

#[test]
fn reciprocity_report_counts_per_link_day_and_kind() {
    let mut nato = Ledger::open(MemoryStore::new(), nato_id()).unwrap();
    let mut partner = Ledger::open(MemoryStore::new(), partner_id()).unwrap();
    exchange(&mut nato, &mut partner);
    let r = nato.report().unwrap();
    let rows: Vec<(String, &str, u64, u64, u64, u64)> = r
        .rows
        .iter()
        .map(|r| {
            (
                r.day.to_string(),
                r.kind.as_str(),
                r.sent.count,
                r.sent.bytes,
                r.received.count,
                r.received.bytes,
            )
        })
        .collect();
    // NATO sent at T0 + 15 i (i = 0..9): i = 0..3 on 1 March (until 23:59:45), the rest
    // on 2 March; the partner's heartbeats came one second later (i = 0..3 still 1 March).
    // Payloads: "track_update #0 from NATO" = 25 bytes; "heartbeat #0 from partner" = 25.
    let expected: Vec<(String, &str, u64, u64, u64, u64)> = vec![
        ("2026-03-01".into(), "alert", 1, 18, 0, 0),
        ("2026-03-01".into(), "heartbeat", 1, 22, 4, 100),
        ("2026-03-01".into(), "track_update", 2, 50, 0, 0),
        ("2026-03-02".into(), "alert", 1, 18, 0, 0),
        ("2026-03-02".into(), "handover", 2, 42, 0, 0),
        ("2026-03-02".into(), "heartbeat", 1, 22, 6, 150),
        ("2026-03-02".into(), "track_update", 2, 50, 0, 0),
    ];
    assert_eq!(rows, expected);
    let (sent, received) = r.totals(LINK);
    assert_eq!((sent.count, received.count), (10, 10));
    // Reciprocity: what NATO sent is what the partner received, per kind and day, except
    // for the 20 ms transit, which crosses no midnight here.
    let p = partner.report().unwrap();
    let (psent, preceived) = p.totals(LINK);
    assert_eq!((psent, preceived), (received, sent));
}

#[test]
fn checkpoint_kinds_are_stored_per_origin() {
    let mut nato = Ledger::open(SqliteStore::open_in_memory().unwrap(), nato_id()).unwrap();
    let cp = nato.checkpoint(LINK, &nato_key(), UnixTime(T0)).unwrap();
    assert_eq!((cp.seq, cp.head_hash), (0, [0; 32]));
    assert!(cp.verify(&nato_key().verifying_key()));
    let stored = nato.store().checkpoints(LINK, Origin::Own).unwrap();
    assert_eq!(stored, vec![cp]);
    assert!(
        nato.store()
            .checkpoints(LINK, Origin::Partner)
            .unwrap()
            .is_empty()
    );
}
