//! Runs the STANDEX evaluation over the example station and prints the report.
//!
//! `cargo run -p vigil-standex --release --example evaluate [runs] [station.toml] [--truth]
//! [--seed=N]` (`--truth`: people tracks from the simulator's truth instead of the tracker;
//! `--seed=N`: first seed, default 1, so that a second seed range checks what was tuned on
//! the first).

use std::path::PathBuf;

use vigil_standex::eval::{EvalConfig, evaluate};
use vigil_station::Site;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let truth = args.iter().any(|a| a == "--truth");
    let seed: u64 = args
        .iter()
        .find_map(|a| a.strip_prefix("--seed="))
        .map(str::parse)
        .transpose()?
        .unwrap_or(1);
    let mut pos = args.iter().filter(|a| !a.starts_with("--"));
    let runs: usize = pos.next().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let path = pos.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations/example.toml")
    });
    let site = Site::load(&path)?;
    let eval = EvalConfig {
        runs,
        seed,
        use_tracker: !truth,
        ..EvalConfig::default()
    };
    // STANDEX_CONFIG=path: another STANDEX configuration (for tuning).
    let cfg = match std::env::var_os("STANDEX_CONFIG") {
        Some(p) => vigil_standex::StandexConfig::from_toml(&std::fs::read_to_string(p)?)?,
        None => vigil_standex::example_config()?,
    };
    let report = evaluate(&site, &cfg, &eval)?;
    println!("{report}");
    for r in &report.per_run {
        for c in &r.carriers {
            if !c.before_platform {
                println!(
                    "  seed {}: carrier entered {:.1}, platform {:?}, alarm {:?}, peak llr {:.2}",
                    c.seed, c.entered_at, c.reached_platform_at, c.alarm_t, c.peak_llr
                );
                for i in &c.chain {
                    println!(
                        "      {:>8} t {:6.1} {} w {:.2} llr {:+.2}",
                        i.sensor,
                        i.t,
                        if i.detected { "DET " } else { "miss" },
                        i.weight,
                        i.llr
                    );
                }
            }
        }
        if r.false_alarms > 0 {
            println!("  seed {}: {} false alarms", r.seed, r.false_alarms);
        }
    }
    Ok(())
}
