//! Runs the example station's scenario and prints a summary (a quick look at the crowd).
//!
//! `cargo run -p vigil-station --release --example station_run [path]`
//!
//! Prints the openings, the cameras' floor coverage (`UNSEEN=1` lists unseen cells), and
//! after the scenario: peak and departed people, mean moving speed, peak density, closest
//! pair, carriers, people slower than 150 s, entry-to-platform times. `TRACE=<sim id>`
//! follows one person every 2 s.

use std::path::PathBuf;

use vigil_station::{Crowd, Site};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations/example.toml")
        });
    let site = Site::load(&path)?;
    let st = &site.station;
    println!(
        "station {:?}: {} zones, {} walls, {} portals",
        st.name(),
        st.zones().len(),
        st.walls().len(),
        st.portals().len()
    );
    for p in st.portals() {
        println!(
            "  portal {} <-> {} width {:.2} mid {:?}",
            st.zone(p.a).id,
            st.zone(p.b).id,
            p.width(),
            p.mid()
        );
    }
    // Camera coverage over a 0.5 m lattice of the floor.
    let (lo, hi) = st.bounds();
    let (mut n, mut c1, mut c2) = (0, 0, 0);
    let mut unseen = std::collections::BTreeMap::new();
    let mut x = lo[0] + 0.25;
    while x < hi[0] {
        let mut y = lo[1] + 0.25;
        while y < hi[1] {
            if st.zone_at([x, y]).is_some() {
                n += 1;
                let k = site.cameras.iter().filter(|c| c.sees([x, y])).count();
                if k == 0 && std::env::var_os("UNSEEN").is_some() {
                    println!("unseen {x} {y}");
                }
                if k >= 1 {
                    c1 += 1
                } else {
                    *unseen
                        .entry(st.zone(st.zone_at([x, y]).ok_or("zone")?).id.clone())
                        .or_insert(0) += 1;
                }
                if k >= 2 {
                    c2 += 1
                }
            }
            y += 0.5;
        }
        x += 0.5;
    }
    println!("unseen cells (0.25 m2) per zone: {unseen:?}");
    println!(
        "camera coverage: {:.1}% by one or more, {:.1}% by two or more",
        100.0 * c1 as f64 / n as f64,
        100.0 * c2 as f64 / n as f64
    );
    let scenario = site.scenario.clone().ok_or("no scenario")?;
    let mut crowd = Crowd::new(st, &scenario)?;
    let dt = scenario.dt_s;
    let (mut speed_sum, mut speed_n, mut max_rho, mut min_d) = (0.0, 0usize, 0.0f64, f64::INFINITY);
    let mut peak = 0;
    while !crowd.finished() {
        crowd.step(dt);
        if let Some(id) = std::env::var("TRACE")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
        {
            for p in crowd.people().iter().filter(|p| p.id.0 == id) {
                if (crowd.time() * 10.0).round() as i64 % 20 == 0 {
                    println!(
                        "trace {:.1} {:?} v {:?} rho {:.2} path {:?}",
                        crowd.time(),
                        p.position,
                        p.velocity,
                        p.local_density,
                        crowd.remaining_path(p.id)
                    );
                }
            }
        }
        peak = peak.max(crowd.people().len());
        for p in crowd.people() {
            let s = p.velocity[0].hypot(p.velocity[1]);
            if s > 0.2 {
                speed_sum += s;
                speed_n += 1;
            }
            max_rho = max_rho.max(p.local_density);
        }
        let ps = crowd.people();
        let sample = (crowd.time() * 10.0).round() as i64 % 10 == 0;
        for i in 0..if sample { ps.len() } else { 0 } {
            for j in i + 1..ps.len() {
                let d = (ps[i].position[0] - ps[j].position[0])
                    .hypot(ps[i].position[1] - ps[j].position[1]);
                min_d = min_d.min(d);
            }
        }
    }
    println!(
        "t={:.0} people now {} peak {} departed {}",
        crowd.time(),
        crowd.people().len(),
        peak,
        crowd.departed().len()
    );
    println!(
        "mean moving speed {:.2} m/s, max density {:.2}/m2, min distance {:.2} m",
        speed_sum / speed_n.max(1) as f64,
        max_rho,
        min_d
    );
    for d in crowd.departed().iter().filter(|d| d.carrier.is_some()) {
        println!(
            "carrier {:?}: entered {:.1} platform {:?} left {:.1} from {}",
            d.id,
            d.entered_at,
            d.reached_platform_at,
            d.left_at,
            st.zone(d.zone).id
        );
    }
    for p in crowd.people().iter().filter(|p| p.carrier.is_some()) {
        println!(
            "carrier {:?} still in: at {:?} zone {:?} platform {:?}",
            p.id,
            p.position,
            p.zone.map(|z| st.zone(z).id.clone()),
            p.reached_platform_at
        );
    }
    for p in crowd
        .people()
        .iter()
        .filter(|p| p.reached_platform_at.is_none() && crowd.time() - p.entered_at > 150.0)
    {
        println!(
            "slow: {:?} entered {:.0} at {:?} zone {:?} leaving {}",
            p.id,
            p.entered_at,
            p.position,
            p.zone.map(|z| st.zone(z).id.clone()),
            p.leaving
        );
    }
    let mut dense: Vec<_> = crowd
        .people()
        .iter()
        .filter(|p| p.local_density > 3.0)
        .map(|p| (p.id, p.entered_at, p.position, p.leaving))
        .collect();
    dense.truncate(12);
    println!("dense now: {dense:?}");
    let trips: Vec<f64> = crowd
        .departed()
        .iter()
        .filter_map(|d| d.reached_platform_at.map(|r| r - d.entered_at))
        .filter(|x| *x > 0.0)
        .collect();
    println!(
        "entry->platform: n {} mean {:.1} s max {:.1}",
        trips.len(),
        trips.iter().sum::<f64>() / trips.len().max(1) as f64,
        trips.iter().cloned().fold(0.0, f64::max)
    );
    Ok(())
}
