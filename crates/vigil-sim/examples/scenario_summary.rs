//! Prints a scenario's truth as a timeline: what happens, when, where.
//!
//! `cargo run -p vigil-sim --example scenario_summary -- scenarios/vigilant_skies_2011_day1.toml`
//! (add `--no-background` to skip the recording, `--track [--from S --to S --every S]` for
//! positions over time).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .expect("usage: scenario_summary FILE [--no-background]");
    let mut s = vigil_sim::Scenario::load(Path::new(path)).expect("scenario");
    if args.iter().any(|a| a == "--no-background") {
        s.background = None;
    }
    let t0 = std::time::Instant::now();
    let truth = vigil_sim::generate(&s).expect("generate");
    let took = t0.elapsed();
    let rel = |t: f64| t - truth.start;
    println!(
        "{} ({} aircraft, generated in {took:?})",
        s.name,
        truth.aircraft.len()
    );
    for n in &truth.notes {
        println!("note: {n}");
    }
    for a in truth.aircraft.iter().filter(|a| !a.background) {
        let p = &a.trajectory.points;
        let (Some(f), Some(l)) = (p.first(), p.last()) else {
            println!("{}: never airborne", a.callsign);
            continue;
        };
        println!(
            "{:8} {:>6.0}..{:>6.0} s  from {:.3},{:.3}  to {:.3},{:.3} at {:.0} ft  max {:.0} ft",
            a.callsign,
            rel(f.t),
            rel(l.t),
            f.pos.pos.lat,
            f.pos.pos.lon,
            l.pos.pos.lat,
            l.pos.pos.lon,
            l.pos.height_m / 0.3048,
            p.iter()
                .map(|x| x.pos.height_m / 0.3048)
                .fold(0.0, f64::max)
        );
        for (t, c) in &a.squawk {
            println!("         squawk {:04x} at {:.0}", c, rel(*t));
        }
        for (t, e) in &a.emergency {
            println!("         emergency {e:?} at {:.0}", rel(*t));
        }
        for (a0, b) in &a.transponder_off {
            println!("         transponder off {:.0}..{:?}", rel(*a0), b.map(rel));
        }
    }
    for r in &truth.reports {
        println!(
            "report {:>6.0} s {} {:?} by {}",
            rel(r.t),
            r.callsign,
            r.kind,
            r.source
        );
    }
    for e in &truth.escorts {
        println!(
            "escort {} -> {} {:.0}..{:.0} s",
            e.fighter,
            e.target,
            rel(e.start),
            rel(e.end)
        );
    }
    for h in &truth.handovers {
        println!(
            "handover {:.1} s {} {:?} -> {} at {:.4},{:.4} FL{:.0}: {:?} -> {:?}",
            rel(h.t),
            h.target,
            h.fir_from,
            h.fir_to,
            h.pos.lat,
            h.pos.lon,
            h.alt_ft / 100.0,
            h.from_fighters,
            h.to_fighters
        );
    }
    // Every minute: where the scenario aircraft are.
    if args.iter().any(|a| a == "--track") {
        let num = |name: &str, d: f64| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(d)
        };
        let every = num("--every", 60.0);
        let mut t = truth.start + num("--from", 0.0);
        let until = truth.start + num("--to", truth.end - truth.start);
        while t <= until {
            let mut line = format!("{:>5.0}", rel(t));
            for a in truth.aircraft.iter().filter(|a| !a.background) {
                if let Some(p) = a.trajectory.at(t) {
                    line += &format!(
                        " | {} {:.3},{:.3} {:>5.0}ft {:>3.0}kt {:>3.0}",
                        a.callsign,
                        p.pos.pos.lat,
                        p.pos.pos.lon,
                        p.pos.height_m / 0.3048,
                        p.vel[0].hypot(p.vel[1]) / 0.514444,
                        p.vel[0].atan2(p.vel[1]).to_degrees().rem_euclid(360.0)
                    );
                }
            }
            println!("{line}");
            t += every;
        }
    }
}
