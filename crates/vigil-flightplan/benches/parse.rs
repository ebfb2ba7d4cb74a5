//! Parsing a day of flight plans: 30,000 varied FPL messages generated deterministically in
//! memory (AFTN-style headers between them, line breaks inside), through `parse_messages`;
//! then building a `FlightPlanBook` from them; and loading the real navigation data when
//! present (with a rough resident-memory figure printed once).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vigil_flightplan::{FlightPlanBook, NavData, parse_messages};

/// A small deterministic generator (SplitMix64), so the bench input is the same every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'A' + self.below(26) as u8))
            .collect()
    }
}

const AIRLINES: &[&str] = &[
    "LOT", "DLH", "RYR", "WZZ", "BAW", "AFR", "KLM", "SAS", "EZY", "THY",
];
const TYPES: &[&str] = &[
    "B738/M", "A320/M", "A21N/M", "E195/M", "B77W/H", "A359/H", "DH8D/M", "AT76/M", "C172/L",
    "2F16/M",
];
const AERODROMES: &[&str] = &[
    "EPKK", "EPGD", "EPWA", "EPKT", "EPWR", "EPPO", "EDDF", "EDDM", "EGLL", "LFPG", "EHAM", "LIRF",
    "LOWW", "LKPR", "ESSA", "EKCH",
];
const AIRWAYS: &[&str] = &[
    "L621", "N133", "M985", "UL607", "UN869", "T709", "Z95", "P733", "UM860", "L984",
];

fn day_of_plans(n: usize) -> String {
    let mut g = Gen(0x5EED);
    let mut out = String::with_capacity(n * 260);
    for i in 0..n {
        // An AFTN-ish header between messages, as a real stream has.
        let _ = write!(
            out,
            "ZCZC EPA{:04}\nFF EPWWZQZX\n{:06} EPKKZPZX\n",
            i % 10_000,
            g.below(240_000)
        );
        let cs = if g.below(3) == 0 {
            format!("{}{}{}", g.pick(AIRLINES), g.below(999) + 1, g.letters(1))
        } else {
            format!("{}{}", g.pick(AIRLINES), g.below(9_999) + 1)
        };
        let ssr = if g.below(2) == 0 {
            format!("/A{:o}", 0o1000 + g.below(0o6777))
        } else {
            String::new()
        };
        let rules = g.pick(&["IS", "IN", "VG", "YS", "IS"]);
        let ty = g.pick(TYPES);
        let dep = g.pick(AERODROMES);
        let dest = g.pick(AERODROMES);
        let speed_level = match g.below(4) {
            0 => format!("M0{}F{}", 70 + g.below(15), 290 + 10 * g.below(12)),
            1 => format!("K0{}S{:04}", 700 + g.below(200), 900 + 30 * g.below(20)),
            _ => format!("N0{}F{}", 380 + g.below(120), 240 + 10 * g.below(17)),
        };
        let mut route = String::from("DCT");
        for k in 0..2 + g.below(10) {
            match g.below(5) {
                0 => {
                    let _ = write!(route, " {}", g.pick(AIRWAYS));
                    let _ = write!(route, " {}", g.letters(5));
                }
                1 => {
                    let _ = write!(route, " {}N0{}E", 49 + g.below(6), 14 + g.below(10));
                }
                2 if k == 1 => {
                    let _ = write!(route, " {}/N0450F{}", g.letters(5), 300 + 10 * g.below(10));
                }
                _ => {
                    let _ = write!(route, " {} DCT", g.letters(5));
                }
            }
        }
        let _ = write!(
            out,
            "(FPL-{cs}{ssr}-{rules}\n-{ty}-SDE2E3FGHIJ3J4J5M1RWXY/LB1D1\n-{dep}{:02}{:02}\n-{speed_level} {route}\n-{dest}0{}{:02} {}\n-PBN/A1B1C1D1L1O1S2 DOF/{} REG/SP{} EET/EPWW00{:02} CODE/{:06X} RMK/TCAS{}\n",
            g.below(24),
            g.below(60),
            g.below(4),
            g.below(60),
            g.pick(AERODROMES),
            g.pick(&["240607", "240608"]),
            g.letters(3),
            g.below(60),
            g.below(0x100_0000),
            if g.below(4) == 0 {
                "\n-E/0300 P/TBN R/VE S/M J/L"
            } else {
                ""
            },
        );
        out.push_str(")\nNNNN\n\n");
    }
    out
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds (user + system) this process has used: on a shared, loaded machine the wall
/// times criterion reports include waiting for a core; this does not.
fn cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn cpu_of<T>(label: &str, f: impl Fn() -> T) {
    const RUNS: u32 = 5;
    if let Some(a) = cpu_s() {
        for _ in 0..RUNS {
            black_box(f());
        }
        if let Some(b) = cpu_s() {
            eprintln!(
                "{label}: {:.0} ms CPU per run (mean of {RUNS})",
                (b - a) * 1000.0 / f64::from(RUNS)
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    let text = day_of_plans(30_000);
    let parsed = parse_messages(&text);
    let ok = parsed.iter().filter(|r| r.is_ok()).count();
    assert_eq!(parsed.len(), 30_000);
    assert_eq!(
        ok,
        30_000,
        "first error: {:?}",
        parsed.iter().find(|r| r.is_err())
    );
    eprintln!("input: 30,000 FPL, {:.1} MB", text.len() as f64 / 1e6);
    cpu_of("parse_messages 30,000 FPL", || parse_messages(&text));

    let mut g = c.benchmark_group("ats");
    g.sample_size(10);
    g.bench_function("parse_messages_30000_fpl", |b| {
        b.iter(|| parse_messages(black_box(&text)))
    });
    g.bench_function("book_apply_30000_fpl", |b| {
        b.iter(|| {
            let mut book = FlightPlanBook::new();
            for m in parse_messages(&text).into_iter().flatten() {
                let _ = book.apply(m);
            }
            book.len()
        })
    });
    g.finish();

    if let Some(dir) =
        vigil_testdata::path("aero/earth_fix.dat").and_then(|p| p.parent().map(|p| p.to_path_buf()))
    {
        let before = rss_kib();
        let nav = NavData::load_dir(&dir).unwrap();
        if let (Some(a), Some(b)) = (before, rss_kib()) {
            eprintln!(
                "navdata: {} fixes, {} navaids, {} segments, {} airports; resident memory +{:.0} MB",
                nav.fixes().len(),
                nav.navaids().len(),
                nav.segments().len(),
                nav.airports().len(),
                (b.saturating_sub(a)) as f64 / 1024.0
            );
        }
        drop(nav);
        cpu_of("NavData::load_dir (real data)", || {
            NavData::load_dir(&dir).unwrap()
        });
        let mut g = c.benchmark_group("navdata");
        g.sample_size(10);
        g.bench_function("load_dir_real", |b| {
            b.iter(|| NavData::load_dir(&dir).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
