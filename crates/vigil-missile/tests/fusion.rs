//! Joint data fusion: two parties track the same RV with their own radars from different
//! directions; the fused 95 % impact ellipse is smaller than either party's and contains
//! the true impact point, and the fused state contains the truth.

mod common;

use vigil_missile::fusion::{PartyTracks, fuse};
use vigil_missile::radar::RadarId;
use vigil_missile::sim::PlotSim;
use vigil_missile::tracker::{MissileTracker, TrackStatus, TrackerConfig};
use vigil_track::chi2::chi2_gate;

#[test]
fn fused_ellipse_is_smaller_than_either_party() {
    let truth = common::rv_truth();
    let true_impact = truth.impact.point.pos;
    let mut ru = MissileTracker::new(TrackerConfig::default(), vec![common::radar_ru()]).unwrap();
    let mut nato =
        MissileTracker::new(TrackerConfig::default(), vec![common::radar_nato()]).unwrap();
    let mut sim_ru = PlotSim::new(11, 0.95);
    let mut sim_nato = PlotSim::new(12, 0.95);
    let mut checked = 0;
    for k in 0..70u32 {
        let t = f64::from(k) * common::REVISIT_S;
        let site = ru.radars()[0].clone();
        ru.process_scan(RadarId(0), t, &sim_ru.scan(&site, t, &[&truth]))
            .unwrap();
        let site = nato.radars()[0].clone();
        nato.process_scan(RadarId(0), t, &sim_nato.scan(&site, t, &[&truth]))
            .unwrap();
        if k % 10 != 9 {
            continue;
        }
        let confirmed = |tr: &MissileTracker| {
            tr.tracks()
                .iter()
                .filter(|x| x.status == TrackStatus::Confirmed)
                .count()
        };
        if confirmed(&ru) != 1 || confirmed(&nato) != 1 {
            continue;
        }
        let joint = fuse(
            ru.filter(),
            PartyTracks {
                party: "RU",
                tracks: ru.tracks(),
            },
            PartyTracks {
                party: "NATO",
                tracks: nato.tracks(),
            },
            t,
            true,
        );
        assert_eq!(
            joint.len(),
            1,
            "t {t}: one joint track, got {}",
            joint.len()
        );
        let j = &joint[0];
        assert_eq!(j.parts.len(), 2);
        let own = |tr: &MissileTracker| {
            tr.tracks()
                .iter()
                .find(|x| x.status == TrackStatus::Confirmed)
                .and_then(|x| x.impact)
                .unwrap()
        };
        // Each party's own prediction, made from its estimate at t.
        let mut areas = Vec::new();
        for tr in [&ru, &nato] {
            let x = tr
                .tracks()
                .iter()
                .find(|x| x.status == TrackStatus::Confirmed)
                .unwrap();
            let mut g = x.est;
            tr.filter().predict(&mut g, t - x.t).unwrap();
            let ip = vigil_missile::impact::predict_impact(tr.filter().ukf(), &g, t).unwrap();
            areas.push(ip.ellipse.area_m2());
            let _ = own(tr);
        }
        let fused = j.impact.unwrap();
        let fa = fused.ellipse.area_m2();
        eprintln!(
            "t {t:>4.0}: ellipse areas km2: RU {:.1}, NATO {:.1}, fused {:.1} (omega {:.2}); fused d2 of truth {:.2}",
            areas[0] / 1e6,
            areas[1] / 1e6,
            fa / 1e6,
            j.omega,
            fused.mahalanobis2(&true_impact)
        );
        assert!(
            fa < areas[0] && fa < areas[1],
            "t {t}: fused {fa} vs {areas:?}"
        );
        assert!(fused.mahalanobis2(&true_impact) <= vigil_missile::impact::CHI2_2DOF_95);
        // The fused state contains the truth (χ²₆ 99.99 % on position and velocity).
        let (pos, vel, _) = truth.state_at(t).unwrap();
        let mut e = j.est.x.fixed_rows::<6>(0).into_owned();
        for i in 0..3 {
            e[i] -= pos[i];
            e[i + 3] -= vel[i];
        }
        let p6 = j.est.p.fixed_view::<6, 6>(0, 0).into_owned();
        let d2 = e.dot(&p6.cholesky().unwrap().solve(&e));
        assert!(d2 < chi2_gate(6, 0.9999), "t {t}: fused state NEES {d2}");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} fusion instants checked");
}
