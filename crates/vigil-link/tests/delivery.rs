//! Delivery between two centres in one process, over loopback with real certificates and
//! real SQLite stores: exactly-once events across a restart, newest-wins tracks under
//! backpressure, checkpoints exchanged and both ledgers verified.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::*;
use vigil_core::{Clock, SystemClock};
use vigil_ledger::Keys;
use vigil_link::certs;
use vigil_link::link::{Delivered, LinkState};
use vigil_link::store::LinkStore;
use vigil_release::Outbound;

async fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Drains what has been delivered so far.
fn drain(c: &mut Centre, into: &mut Vec<Delivered>) {
    while let Ok(d) = c.delivered.try_recv() {
        into.push(d);
    }
}

fn keys_of(store: &LinkStore, own_cert_pem: &str) -> Keys {
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(own_cert_pem.as_bytes())
        .map(|c: rustls_pki_types::CertificateDer<'static>| c.to_vec())
        .unwrap();
    let mut keys = Keys::new(certs::verifying_key_from_cert_der(&der).unwrap());
    for p in store.peers().unwrap() {
        keys = keys.with_partner(
            &p.link,
            certs::verifying_key_from_cert_der(&p.cert_der).unwrap(),
        );
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_exactly_once_across_a_receiver_restart() {
    let dir = tempfile::tempdir().unwrap();
    let Pair {
        pki,
        mut a,
        mut b,
        a_id,
        b_id,
    } = start_pair(dir.path()).await;
    let a_cert = a_id.cert_chain_pem.clone();
    let b_cert = b_id.cert_chain_pem.clone();
    let b_db = dir.path().join("b.db");
    let addr = b.links.local_addr().unwrap();
    let link_a = a.links.links()[0].clone();
    wait_for(|| link_a.status().state == LinkState::Up, "link up").await;

    let t0 = SystemClock.now().0;
    let mut got: Vec<Delivered> = Vec::new();
    // First half, then stop B mid-stream while the rest is being offered.
    for n in 0..300u64 {
        link_a.offer(event(n, t0)).await.unwrap();
        link_a.offer(track(n % 20, t0 + n as f64)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    drain(&mut b, &mut got);
    b.shutdown.cancel();
    let Centre {
        links,
        mut delivered,
        ..
    } = b;
    links.join().await;
    while let Ok(d) = delivered.try_recv() {
        got.push(d);
    }
    drop(delivered);
    for n in 300..600u64 {
        link_a.offer(event(n, t0)).await.unwrap();
    }
    // B comes back on the same store and port.
    let mut b = start_centre(
        b_id,
        nato(),
        pki.nato_ca.cert_pem(),
        &b_db,
        Some(&addr.to_string()),
        None,
        open_policy(),
        |_| {},
    )
    .await;
    let want: Vec<u64> = (0..600).collect();
    let mut tries = 0;
    loop {
        drain(&mut b, &mut got);
        let n = got
            .iter()
            .filter(|d| event_number(&d.msg).is_some())
            .count();
        if n >= 600 || tries > 400 {
            break;
        }
        tries += 1;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Each event exactly once, in order.
    let events: Vec<u64> = got.iter().filter_map(|d| event_number(&d.msg)).collect();
    assert_eq!(events, want, "every event exactly once, in order");
    // The store's inbox agrees with what was delivered.
    let inbox = b.store.lock().unwrap().inbox(Some(LINK)).unwrap();
    assert_eq!(inbox.len(), 600);
    let seqs: Vec<u64> = inbox.iter().map(|r| r.peer_seq).collect();
    let mut sorted = seqs.clone();
    sorted.dedup();
    assert_eq!(seqs, sorted, "no duplicate in the inbox");

    // Checkpoints both ways, then both ledgers verify against each other's signatures.
    let link_b = b.links.links()[0].clone();
    wait_for(|| link_b.status().state == LinkState::Up, "link up again").await;
    wait_for(|| link_a.status().unacked == 0, "all acknowledged").await;
    link_a.checkpoint_now().await.unwrap();
    link_b.checkpoint_now().await.unwrap();
    wait_for(
        || {
            link_a.status().last_partner_checkpoint.is_some()
                && link_b.status().last_partner_checkpoint.is_some()
        },
        "checkpoints exchanged",
    )
    .await;
    assert!(link_a.status().last_partner_checkpoint.unwrap().2);
    assert!(link_b.status().last_partner_checkpoint.unwrap().2);
    for (store, cert) in [(&a.store, &a_cert), (&b.store, &b_cert)] {
        let s = store.lock().unwrap();
        let report = s.verify(&keys_of(&s, cert)).unwrap();
        assert!(
            report.first_divergence.is_none(),
            "ledger verifies: {:?}",
            report.first_divergence
        );
        assert!(report.partner_checkpoints >= 1);
    }
    assert!(
        link_b.status().received > 0,
        "the restarted receiver got the rest"
    );
    a.shutdown.cancel();
    b.shutdown.cancel();
    drain(&mut a, &mut Vec::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_backpressure_tracks_coalesce_newest_wins_and_events_all_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let a_id = pki.identity(&pki.nato_ca, "warszawa-lu");
    let b_id = pki.identity(&pki.ru_ca, "kaliningrad-lu");
    // A listens (nobody there yet): everything offered now waits; the window is tiny.
    let a = start_centre(
        a_id,
        ru(),
        pki.ru_ca.cert_pem(),
        &dir.path().join("a.db"),
        Some("127.0.0.1:0"),
        None,
        open_policy(),
        |s| s.window = 8,
    )
    .await;
    let link_a = a.links.links()[0].clone();
    let t0 = SystemClock.now().0;
    for round in 0..100u64 {
        for id in 0..10u64 {
            link_a.offer(track(id, t0 + round as f64)).await.unwrap();
        }
        if round % 2 == 0 {
            link_a.offer(event(round, t0)).await.unwrap();
        }
    }
    wait_for(
        || link_a.status().unacked >= 50 && link_a.status().waiting_events == 0,
        "events sequenced regardless of the window",
    )
    .await;
    let st = link_a.status();
    assert!(
        st.waiting_tracks <= 10,
        "one waiting update per track at most"
    );

    let addr = a.links.local_addr().unwrap();
    let mut b = start_centre(
        b_id,
        nato(),
        pki.nato_ca.cert_pem(),
        &dir.path().join("b.db"),
        None,
        Some(addr.to_string()),
        open_policy(),
        |_| {},
    )
    .await;
    let mut got = Vec::new();
    wait_for(
        || {
            drain(&mut b, &mut got);
            link_a.status().unacked == 0 && link_a.status().waiting_tracks == 0
        },
        "drained",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drain(&mut b, &mut got);
    let events: Vec<u64> = got.iter().filter_map(|d| event_number(&d.msg)).collect();
    assert_eq!(events, (0..100).step_by(2).collect::<Vec<_>>());
    // The last update of every track arrived (newest wins), and updates of a track arrive
    // in time order.
    let mut last: BTreeMap<u64, f64> = BTreeMap::new();
    for d in &got {
        if let Outbound::Track(t) = &d.msg {
            let prev = last.insert(t.id, t.time.0);
            assert!(
                prev.is_none_or(|p| p < t.time.0),
                "track {} went back in time",
                t.id
            );
        }
    }
    assert_eq!(last.len(), 10);
    assert!(last.values().all(|&t| t == t0 + 99.0), "{last:?}");
    let n_tracks = got
        .iter()
        .filter(|d| matches!(d.msg, Outbound::Track(_)))
        .count();
    assert!(
        n_tracks < 1_000,
        "superseded updates were dropped ({n_tracks} sent)"
    );
    a.shutdown.cancel();
    b.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_is_ledgered_not_delivered_and_the_rest_flows() {
    let dir = tempfile::tempdir().unwrap();
    let Pair {
        mut a,
        mut b,
        a_id,
        b_id,
        ..
    } = start_pair(dir.path()).await;
    let link_a = a.links.links()[0].clone();
    let link_b = b.links.links()[0].clone();
    wait_for(|| link_a.status().state == LinkState::Up, "link up").await;
    let t0 = SystemClock.now().0;
    // A code with a digit over 7: the sender's encoder does not judge it, the receiver's
    // checks refuse it.
    let mut bad = track(7, t0);
    if let Outbound::Track(t) = &mut bad {
        t.identity.squawk = Some(0x7580);
    }
    link_a.offer(event(0, t0)).await.unwrap();
    link_a.offer(bad).await.unwrap();
    link_a.offer(event(1, t0)).await.unwrap();
    let mut got = Vec::new();
    wait_for(
        || {
            drain(&mut b, &mut got);
            got.iter()
                .filter(|d| event_number(&d.msg).is_some())
                .count()
                == 2
        },
        "both events",
    )
    .await;
    assert!(got.iter().all(|d| !matches!(d.msg, Outbound::Track(_))));
    assert_eq!(link_b.status().malformed, 1);
    let inbox = b.store.lock().unwrap().inbox(Some(LINK)).unwrap();
    assert_eq!(
        inbox.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        // Events go before track updates waiting at the same moment.
        ["alert", "incident", "track"],
        "the refused message is on record"
    );
    assert!(inbox[..2].iter().all(|r| r.refused.is_none()));
    assert!(
        inbox[2]
            .refused
            .as_deref()
            .is_some_and(|why| why.contains("squawk")),
        "{:?}",
        inbox[2].refused
    );
    // Both chains still agree.
    wait_for(|| link_a.status().unacked == 0, "all acknowledged").await;
    link_a.checkpoint_now().await.unwrap();
    link_b.checkpoint_now().await.unwrap();
    wait_for(
        || {
            link_a
                .status()
                .last_partner_checkpoint
                .is_some_and(|c| c.0 > 0)
                && link_b
                    .status()
                    .last_partner_checkpoint
                    .is_some_and(|c| c.0 > 0)
        },
        "checkpoints",
    )
    .await;
    for (store, cert) in [
        (&a.store, &a_id.cert_chain_pem),
        (&b.store, &b_id.cert_chain_pem),
    ] {
        let s = store.lock().unwrap();
        let report = s.verify(&keys_of(&s, cert)).unwrap();
        assert!(
            report.first_divergence.is_none(),
            "{:?}",
            report.first_divergence
        );
    }
    a.shutdown.cancel();
    b.shutdown.cancel();
    drain(&mut a, &mut Vec::new());
}
