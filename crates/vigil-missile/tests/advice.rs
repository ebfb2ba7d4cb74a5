//! Threat assessment, engagement advice and the serialisable report on the scenario's RV,
//! with the example configurations of `config/missile/`.

mod common;

use std::path::Path;

use vigil_missile::planning::PlanningConfig;
use vigil_missile::radar::RadarId;
use vigil_missile::report::{ReportContext, track_report};
use vigil_missile::sim::PlotSim;
use vigil_missile::threat::CityList;
use vigil_missile::tracker::{MissileTracker, TrackStatus, TrackerConfig};

fn config(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../config/missile")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn example_configs_parse() {
    let cities = CityList::from_toml(&config("cities.toml")).unwrap();
    assert!(cities.cities.len() >= 10);
    let plan = PlanningConfig::from_toml(&config("interceptors.toml")).unwrap();
    assert!(plan.sites.iter().any(|s| s.party == "NATO"));
    assert!(plan.sites.iter().any(|s| s.party == "RU"));
    // Unknown fields are refused.
    assert!(
        CityList::from_toml(
            "[[city]]\nname='x'\ncountry='y'\nparty='z'\nlat=1.0\nlon=2.0\npopulation=3\nsize=4\n"
        )
        .is_err()
    );
}

#[test]
fn threat_and_engagement_advice() {
    let cities = CityList::from_toml(&config("cities.toml")).unwrap();
    let plan = PlanningConfig::from_toml(&config("interceptors.toml")).unwrap();
    let truth = common::rv_truth();
    let mut tracker = MissileTracker::new(
        TrackerConfig::default(),
        vec![
            common::radar_ru(),
            common::radar_ru2(),
            common::radar_nato(),
        ],
    )
    .unwrap();
    tracker.set_launch_time(-90.0);
    let mut sim = PlotSim::new(5, 0.95);
    let t_stop = 300.0;
    let mut t = 0.0;
    while t <= t_stop {
        for ri in 0..3u32 {
            let site = tracker.radars()[ri as usize].clone();
            let plots = sim.scan(&site, t, &[&truth]);
            tracker.process_scan(RadarId(ri), t, &plots).unwrap();
        }
        t += common::REVISIT_S;
    }
    let tr = tracker
        .tracks()
        .iter()
        .find(|t| t.status == TrackStatus::Confirmed)
        .unwrap();
    let ctx = ReportContext {
        cities: &cities.cities,
        city_margin_km: 100.0,
        planning: Some(&plan),
    };
    let rep = track_report("RU", tr, &ctx);
    let json = serde_json::to_string_pretty(&rep).unwrap();
    eprintln!("{json}");
    let back: vigil_missile::report::TrackReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.id, rep.id);
    let imp = rep.impact.unwrap();
    let tti = rep.time_to_impact_s.unwrap();
    // Above the atmosphere β is still the prior's (1000/κ, κ = 0.3 ± 0.5): the time of
    // impact carries that uncertainty.
    assert!(
        (imp.t - truth.t_end()).abs() < 3.0 * imp.t_sd + 1.0,
        "impact time {} ± {} vs {}",
        imp.t,
        imp.t_sd,
        truth.t_end()
    );
    assert!(tti > 0.0);
    // The true impact is 60 km from Mykolaiv (Ukraine) on the Black Sea's north coast.
    let threat = rep.threat.unwrap();
    assert_eq!(threat.country.as_deref(), Some("Ukraine"));
    assert!(
        threat.cities.iter().any(|c| c.name == "Mykolaiv"),
        "{threat:?}"
    );
    // The launch point: back-propagated to the warning's time, some way from the burnout
    // point at 34N 48E (up to the boost's downrange distance and more).
    let launch = rep.launch.unwrap();
    assert!(
        (launch.lat - 34.0).abs() < 3.0 && (launch.lon - 48.0).abs() < 3.0,
        "{launch:?}"
    );
    let adv = rep.engagement.unwrap();
    assert!(adv.advice_only);
    assert_eq!(adv.sector_party.as_deref(), Some("RU"));
    for w in &adv.windows {
        assert!(w.t_first <= w.t_last && w.t_last <= imp.t + 1.0, "{w:?}");
        let site = plan.sites.iter().find(|s| s.name == w.site).unwrap();
        assert!(w.launch_by >= tr.t + site.reaction_time_s - 1e-9);
    }
    assert!(
        adv.windows.iter().any(|w| w.site == "Black Sea ship"),
        "{:?}",
        adv.windows
    );
}
