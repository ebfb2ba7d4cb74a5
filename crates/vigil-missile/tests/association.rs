//! Cross-party association at the fusion centre in a dense cloud: 100 objects (10 missiles,
//! each an RV, two spent stages and seven debris pieces a few m/s apart) seen by two radars
//! of each party, the benchmark's scenario. Each party's tracks are labelled with the truth
//! of the plots they took (the simulator's labels; the trackers never see them); the fusion
//! centre must pair the two parties' tracks of one object, and keep its joint ids from
//! cycle to cycle. `DIAG=1` prints each party's NEES over time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use vigil_ballistic::flight::Trajectory;
use vigil_missile::fusion::{FusionCentre, PartyTracks, distance2};
use vigil_missile::radar::RadarId;
use vigil_missile::sim::{PlotSim, dense_cloud, dense_cloud_radars};
use vigil_missile::tracker::{MissileTracker, TrackId, TrackStatus, TrackerConfig};

const REVISIT_S: f64 = 4.0;

fn objects() -> Vec<Trajectory> {
    dense_cloud().expect("the cloud flies")
}

/// How many of a track's latest plots decide which object it follows.
const LABEL_PLOTS: usize = 5;

/// One party: its tracker and the objects of each track's latest plots (the simulator's
/// labels). A track follows the object most of its last [`LABEL_PLOTS`] plots came from
/// (the latest one's on a tie): in a cloud closer than the radar resolves, a single plot
/// taken from a neighbour does not make the track the neighbour's.
struct Party {
    tracker: MissileTracker,
    label: BTreeMap<TrackId, std::collections::VecDeque<usize>>,
}

impl Party {
    fn scan(&mut self, sim: &mut PlotSim, t: f64, objects: &[&Trajectory]) {
        for i in 0..self.tracker.radars().len() {
            let site = self.tracker.radars()[i].clone();
            let (plots, truth) = sim.scan_labelled(&site, t, objects);
            self.tracker
                .process_scan(RadarId(i as u32), t, &plots)
                .unwrap();
            for &(id, j) in self.tracker.last_associations() {
                let l = self.label.entry(id).or_default();
                l.push_back(truth[j]);
                if l.len() > LABEL_PLOTS {
                    l.pop_front();
                }
            }
        }
        let live: Vec<TrackId> = self.tracker.tracks().iter().map(|x| x.id).collect();
        self.label.retain(|id, _| live.contains(id));
    }

    fn confirmed(&self) -> BTreeMap<TrackId, usize> {
        self.tracker
            .tracks()
            .iter()
            .filter(|x| x.status == TrackStatus::Confirmed)
            .filter_map(|x| Some((x.id, follows(self.label.get(&x.id)?)?)))
            .collect()
    }
}

/// The object most of `plots` came from; the latest one's on a tie.
fn follows(plots: &std::collections::VecDeque<usize>) -> Option<usize> {
    let count = |o: usize| plots.iter().filter(|&&x| x == o).count();
    let latest = *plots.back()?;
    let best = plots.iter().copied().max_by_key(|&o| count(o))?;
    Some(if count(latest) >= count(best) {
        latest
    } else {
        best
    })
}

#[test]
fn dense_cloud_pairs_the_same_objects_without_swaps() {
    let truth = objects();
    let refs: Vec<&Trajectory> = truth.iter().collect();
    let cfg = TrackerConfig {
        impact_interval_s: 1e9,
        max_predictions_per_scan: 1,
        max_full_per_scan: 1,
        full_impact_interval_s: 1e9,
        launch_interval_s: 1e9,
        max_launch_per_scan: 1,
        ..TrackerConfig::default()
    };
    let (ru_radars, nato_radars) = dense_cloud_radars();
    let mut ru = Party {
        tracker: MissileTracker::new(cfg, ru_radars).unwrap(),
        label: BTreeMap::new(),
    };
    let mut nato = Party {
        tracker: MissileTracker::new(cfg, nato_radars).unwrap(),
        label: BTreeMap::new(),
    };
    // No impact predictions at the centre: the association is under test.
    let mut centre = FusionCentre::new(1e9, 0);
    let mut sim = PlotSim::new(1, 0.95);
    let (mut both_total, mut correct_total, mut wrong_total) = (0usize, 0usize, 0usize);
    let mut gate_misses = Vec::new();
    let mut last_pair: BTreeMap<TrackId, TrackId> = BTreeMap::new();
    let mut joint_of_a: BTreeMap<TrackId, u64> = BTreeMap::new();
    let (mut swaps, mut id_changes, mut cycles) = (0, 0, 0);
    let mut window: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    let mut t = 0.0;
    while t <= 320.0 {
        ru.scan(&mut sim, t, &refs);
        nato.scan(&mut sim, t, &refs);
        let joint = centre.cycle(
            ru.tracker.filter(),
            PartyTracks {
                party: "RU",
                tracks: ru.tracker.tracks(),
            },
            PartyTracks {
                party: "NATO",
                tracks: nato.tracker.tracks(),
            },
            t,
        );
        let (la, lb) = (ru.confirmed(), nato.confirmed());
        // Swaps: a first-party track changing partner while its old partner still lives,
        // or changing joint id.
        let live_b: Vec<TrackId> = lb.keys().copied().collect();
        for j in joint.iter().filter(|j| j.parts.len() == 2) {
            let (a, b) = (j.parts[0].track, j.parts[1].track);
            if let Some(old) = last_pair.insert(a, b)
                && old != b
                && live_b.contains(&old)
            {
                swaps += 1;
                eprintln!("t {t}: RU {a:?} moved from NATO {old:?} to {b:?}");
            }
            if let Some(old) = joint_of_a.insert(a, j.id)
                && old != j.id
            {
                id_changes += 1;
            }
        }
        if std::env::var("DIAG").is_ok() && (t as u32).is_multiple_of(40) {
            for (name, p, l) in [("RU", &ru, &la), ("NATO", &nato, &lb)] {
                let (mut np, mut nv, mut n) = (0.0, 0.0, 0);
                let mut ep = 0.0;
                let mut all = Vec::new();
                for (id, o) in l.iter() {
                    let x = p.tracker.tracks().iter().find(|x| x.id == *id).unwrap();
                    let (pos, vel, _) = truth[*o].state_at(x.t).unwrap();
                    let e = x.est.x.fixed_rows::<3>(0) - pos;
                    let v = x.est.x.fixed_rows::<3>(3) - vel;
                    let pp = x.est.p.fixed_view::<3, 3>(0, 0).into_owned();
                    let pv = x.est.p.fixed_view::<3, 3>(3, 3).into_owned();
                    let q = e.dot(&pp.cholesky().unwrap().solve(&e));
                    all.push(q);
                    np += q;
                    nv += v.dot(&pv.cholesky().unwrap().solve(&v));
                    ep += e.norm();
                    n += 1;
                }
                let n = n.max(1) as f64;
                all.sort_by(f64::total_cmp);
                eprintln!(
                    "  pos NEES median {:?} p90 {:?} max {:?}",
                    all.get(all.len() / 2),
                    all.get(all.len() * 9 / 10),
                    all.last()
                );
                eprintln!(
                    "t {t} {name}: {} labelled confirmed, mean pos NEES {:.1}, vel NEES {:.1}, mean pos err {:.0} m",
                    l.len(),
                    np / n,
                    nv / n,
                    ep / n
                );
            }
        }
        if t >= 60.0 {
            cycles += 1;
            // Objects with a confirmed track in both parties.
            let objs_a: BTreeMap<usize, Vec<TrackId>> =
                la.iter().fold(BTreeMap::new(), |mut m, (id, o)| {
                    m.entry(*o).or_insert_with(Vec::new).push(*id);
                    m
                });
            let objs_b: BTreeMap<usize, Vec<TrackId>> =
                lb.iter().fold(BTreeMap::new(), |mut m, (id, o)| {
                    m.entry(*o).or_insert_with(Vec::new).push(*id);
                    m
                });
            for (o, ids_a) in &objs_a {
                let Some(ids_b) = objs_b.get(o) else { continue };
                both_total += 1;
                let ok = joint.iter().any(|j| {
                    j.parts.len() == 2
                        && ids_a.contains(&j.parts[0].track)
                        && ids_b.contains(&j.parts[1].track)
                });
                let w = window
                    .entry((t / 40.0) as u32 * 40)
                    .or_insert((0usize, 0usize));
                w.0 += 1;
                w.1 += usize::from(ok);
                if ok {
                    correct_total += 1;
                } else {
                    // Why not: the distance of the object's own tracks.
                    let est = |tr: &MissileTracker, id: &TrackId| {
                        let x = tr.tracks().iter().find(|x| x.id == *id).unwrap();
                        let mut g = x.est;
                        tr.filter().predict(&mut g, t - x.t).unwrap();
                        g
                    };
                    let d2 =
                        distance2(&est(&ru.tracker, &ids_a[0]), &est(&nato.tracker, &ids_b[0]));
                    gate_misses.push(d2.unwrap_or(f64::NAN));
                }
            }
            wrong_total += joint
                .iter()
                .filter(|j| {
                    j.parts.len() == 2 && la.get(&j.parts[0].track) != lb.get(&j.parts[1].track)
                })
                .count();
        }
        t += REVISIT_S;
    }
    for (w, (n, ok)) in &window {
        eprintln!(
            "from t {w} s: {ok}/{n} objects seen by both paired correctly ({:.1} %)",
            100.0 * *ok as f64 / (*n).max(1) as f64
        );
    }
    gate_misses.sort_by(f64::total_cmp);
    let frac = correct_total as f64 / both_total.max(1) as f64;
    eprintln!(
        "{cycles} cycles: objects seen by both (per cycle) {both_total}, paired correctly {correct_total} ({:.1} %), wrong pairs {wrong_total}; swaps {swaps}, joint id changes {id_changes}; distances of the missed own pairs (median {:?}): {:?}",
        100.0 * frac,
        gate_misses.get(gate_misses.len() / 2),
        &gate_misses[gate_misses.len().saturating_sub(10)..]
    );
    assert!(
        both_total >= 40 * cycles,
        "too few objects seen by both: {both_total}"
    );
    // Each party's tracker inflates a track's covariance by the ambiguity of its
    // association (other plots in its gate), so the two parties' tracks of one object stay
    // within each other's gate, and the centre re-pairs when another assignment is better
    // by more than `DEFAULT_KEEP_BONUS`. Measured: 85.7 % paired correctly overall; 31 %
    // at 40-80 s, when the debris is within a kilometre of each other and RU's radars
    // (1.2-1.5 mrad, some 2 km across at that range) cannot tell them apart; 94-97 % from
    // 240 s, once the cloud has spread. (Before the inflation: 35.7 % overall.)
    assert!(frac >= 0.80, "paired correctly {:.1} %", 100.0 * frac);
    for (w, (n, ok)) in window.range(240..) {
        assert!(
            *ok as f64 >= 0.9 * *n as f64,
            "from t {w} s: {ok}/{n} paired correctly"
        );
    }
    assert!(
        wrong_total * 100 <= correct_total * 12,
        "wrong pairs {wrong_total}"
    );
    assert!(swaps <= 200, "swaps {swaps}");
    assert_eq!(id_changes, 0, "joint ids changed");
}
