//! Framing tests: the Beast, AVR and SBS push framers against hand-written cases, real
//! recordings from `../shared/data`, and properties (no panic on any input; a stream split
//! anywhere frames exactly as the whole stream does).
//!
//! Tests that need the shared data skip, with a message, when it is absent; set
//! `VIGIL_SHARED_DATA` to point at it from elsewhere.

// Expectation tables read best as `&[item.clone()]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cloned_ref_to_slice_refs
)]

use proptest::prelude::*;
use vigil_codec::framing::sbs::SbsMessage;
use vigil_codec::framing::{self, FeedFormat, FramingStats};
use vigil_codec::{FeedItem, ModeSFrame};
use vigil_core::IcaoAddress;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Feeds `chunks` to a new framer for `format`, finishes it, and returns what came out.
fn run<'a>(
    format: FeedFormat,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<FeedItem>, FramingStats) {
    let mut framer = framing::framer(format);
    let mut items = Vec::new();
    for chunk in chunks {
        framer.push(chunk, &mut |item| items.push(item));
    }
    framer.finish();
    (items, framer.stats())
}

/// A small deterministic PRNG (xorshift64*), so that random splits are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `data` cut into chunks of random lengths 1..=`max`.
fn random_chunks(data: &[u8], seed: u64, max: usize) -> Vec<&[u8]> {
    let mut rng = Rng(seed | 1);
    let mut chunks = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (head, tail) = rest.split_at((1 + rng.below(max)).min(rest.len()));
        chunks.push(head);
        rest = tail;
    }
    chunks
}

/// The data-driven check every framer's table goes through: `input` fed whole, one byte at a
/// time, and split in two at every point must give exactly `expected` and `stats`.
#[track_caller]
fn check(format: FeedFormat, input: &[u8], expected: &[FeedItem], stats: FramingStats) {
    let shown = String::from_utf8_lossy(input);
    let (items, got) = run(format, [input]);
    assert_eq!(items, expected, "items of {shown:?}");
    assert_eq!(got, stats, "stats of {shown:?}");
    assert_eq!(
        run(format, input.chunks(1)),
        (items.clone(), got),
        "byte-wise {shown:?}"
    );
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        assert_eq!(
            run(format, [a, b]),
            (items.clone(), got),
            "{shown:?} split at {cut}"
        );
    }
}

/// Stats with only frame counters set.
fn frames(short: u64, long: u64) -> FramingStats {
    FramingStats {
        frames: short + long,
        short_frames: short,
        long_frames: long,
        ..Default::default()
    }
}

/// The item for a Mode S frame.
fn mode_s(data: &[u8], ticks: Option<u64>, signal: Option<u8>) -> FeedItem {
    FeedItem::ModeS(ModeSFrame::new(data, ticks, signal).unwrap())
}

/// A DF11 all-call reply (from the rs1090 documentation).
const SHORT: [u8; 7] = [0x5d, 0x3c, 0x66, 0xe6, 0xc6, 0xad, 0x01];
/// A DF17 airborne velocity (from the rs1090 documentation).
const LONG: [u8; 14] = [
    0x8d, 0x3c, 0x66, 0xe6, 0x99, 0x08, 0x6a, 0x91, 0x98, 0x38, 0x88, 0x43, 0x31, 0xc7,
];

/// One frame of `long_flight.csv`: MLAT ticks, signal level, Mode S bytes.
struct Recorded {
    ticks: u64,
    signal: u8,
    data: Vec<u8>,
}

impl Recorded {
    fn item(&self) -> FeedItem {
        mode_s(&self.data, Some(self.ticks), Some(self.signal))
    }
}

/// The 172,432 frames of `long_flight.csv` (each line `unix_ts,hex` with hex an unescaped
/// Beast record), or `None` if the shared data is absent.
fn long_flight() -> Option<Vec<Recorded>> {
    let path = vigil_testdata::path("adsb/long_flight.csv")?;
    let text = std::fs::read_to_string(path).unwrap();
    let records = text
        .lines()
        .map(|line| {
            let (_, hex) = line.split_once(',').unwrap();
            let raw = hex::decode(hex).unwrap();
            assert_eq!(raw[0], 0x1a);
            assert_eq!(raw.len(), if raw[1] == 0x32 { 16 } else { 23 }, "{line}");
            let ticks = raw[2..8]
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            Recorded {
                ticks,
                signal: raw[8],
                data: raw[9..].to_vec(),
            }
        })
        .collect::<Vec<_>>();
    assert_eq!(records.len(), 172_432);
    Some(records)
}

// ---------------------------------------------------------------------------------------------
// Beast

/// A Beast record of type `kind`, escaped as on the wire.
fn beast(kind: u8, ticks: u64, signal: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1a, kind];
    for &b in ticks.to_be_bytes()[2..]
        .iter()
        .chain([signal].iter())
        .chain(payload)
    {
        out.push(b);
        if b == 0x1a {
            out.push(0x1a);
        }
    }
    out
}

/// A Beast Mode S record for `data` (short or long by its length).
fn beast_frame(ticks: u64, signal: u8, data: &[u8]) -> Vec<u8> {
    beast(
        if data.len() == 7 { 0x32 } else { 0x33 },
        ticks,
        signal,
        data,
    )
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn beast_cases() {
    let short = beast_frame(0x0102_0304_0506, 0x80, &SHORT);
    let long = beast_frame(0xa0b0_c0d0_e0f0, 0xff, &LONG);
    let short_item = mode_s(&SHORT, Some(0x0102_0304_0506), Some(0x80));
    let long_item = mode_s(&LONG, Some(0xa0b0_c0d0_e0f0), Some(0xff));
    let check = |input: &[u8], expected: &[FeedItem], stats| {
        check(FeedFormat::Beast, input, expected, stats)
    };

    check(&[], &[], FramingStats::default());
    check(&short, &[short_item.clone()], frames(1, 0));
    check(&long, &[long_item.clone()], frames(0, 1));
    check(
        &cat(&[&long, &short, &long]),
        &[long_item.clone(), short_item.clone(), long_item.clone()],
        frames(1, 2),
    );

    // Every byte after the type escaped: 0x1a in timestamp, signal and data.
    let all_esc = beast_frame(0x1a1a_1a1a_1a1a, 0x1a, &[0x1a; 14]);
    assert_eq!(all_esc.len(), 2 + 2 * 21);
    check(
        &all_esc,
        &[mode_s(&[0x1a; 14], Some(0x1a1a_1a1a_1a1a), Some(0x1a))],
        frames(0, 1),
    );
    // A record whose last byte is an escaped 0x1a, right before the next record.
    let mut esc_last = SHORT;
    esc_last[6] = 0x1a;
    check(
        &cat(&[&beast_frame(7, 1, &esc_last), &short]),
        &[mode_s(&esc_last, Some(7), Some(1)), short_item.clone()],
        frames(2, 0),
    );

    // Garbage before a record is skipped.
    check(
        &cat(&[b"\x00\xffab", &short]),
        &[short_item.clone()],
        FramingStats {
            skipped_bytes: 4,
            ..frames(1, 0)
        },
    );
    // An escaped pair outside a record (we joined mid-record) is skipped too.
    check(
        &cat(&[&[0x1a, 0x1a, 0x00], &short]),
        &[short_item.clone()],
        FramingStats {
            skipped_bytes: 3,
            ..frames(1, 0)
        },
    );
    // Mode A/C is counted, not emitted; its payload may hold escapes.
    check(
        &cat(&[&beast(0x31, 1, 2, &[0x1a, 0x1a]), &short]),
        &[short_item.clone()],
        FramingStats {
            mode_ac: 1,
            ..frames(1, 0)
        },
    );
    // A Radarcape status record is framed and dropped without counting.
    check(
        &cat(&[&beast(0x34, 1, 2, &[0x1a; 14]), &short]),
        &[short_item.clone()],
        frames(1, 0),
    );
    // Unknown type: counted, then its bytes are skipped up to the next record.
    check(
        &cat(&[&[0x1a, 0x35, 1, 2, 3], &short]),
        &[short_item.clone()],
        FramingStats {
            unknown_type: 1,
            skipped_bytes: 3,
            ..frames(1, 0)
        },
    );
    // A record that lost its end: its lone 0x1a is the next record's start.
    check(
        &cat(&[&long[..5], &short]),
        &[short_item.clone()],
        FramingStats {
            bad_escape: 1,
            ..frames(1, 0)
        },
    );
    check(
        &cat(&[&long[..22], &long]),
        &[long_item.clone()],
        FramingStats {
            bad_escape: 1,
            ..frames(0, 1)
        },
    );
    // ... and when what follows the lone 0x1a is no record type.
    check(
        &[0x1a, 0x32, 0, 0, 0x1a, 0x99, 7, 7],
        &[],
        FramingStats {
            bad_escape: 1,
            unknown_type: 1,
            skipped_bytes: 2,
            ..Default::default()
        },
    );
    // Records cut by the end of the stream.
    check(
        &long[..10],
        &[],
        FramingStats {
            truncated: 1,
            ..Default::default()
        },
    );
    check(
        &cat(&[&short, &[0x1a]]),
        &[short_item.clone()],
        FramingStats {
            truncated: 1,
            ..frames(1, 0)
        },
    );
    let esc_cut = beast_frame(7, 1, &esc_last);
    check(
        &esc_cut[..esc_cut.len() - 1],
        &[],
        FramingStats {
            truncated: 1,
            ..Default::default()
        },
    );
}

#[test]
fn beast_sample_dump1090() {
    let Some(path) = vigil_testdata::path("adsb/sample_dump1090.bin") else {
        return;
    };
    let data = std::fs::read(path).unwrap();
    let (items, stats) = run(FeedFormat::Beast, [&data[..]]);
    assert_eq!(stats, frames(185, 54), "no errors, nothing skipped");
    // The first two records, read by hand: the second has an escaped 0x1a in its timestamp.
    assert_eq!(
        items[0],
        mode_s(
            &hex::decode("20000ca8f70aa7").unwrap(),
            Some(0x15a8877e),
            Some(0x0d)
        )
    );
    assert_eq!(
        items[1],
        mode_s(
            &hex::decode("02e18ca8f1d2ed").unwrap(),
            Some(0x15be1a0c),
            Some(0x0f)
        )
    );
    // Same items and counters one byte at a time and in random splits.
    assert_eq!(
        run(FeedFormat::Beast, data.chunks(1)),
        (items.clone(), stats)
    );
    for seed in 1..=20 {
        let chunks = random_chunks(&data, seed, 64);
        assert_eq!(
            run(FeedFormat::Beast, chunks),
            (items.clone(), stats),
            "seed {seed}"
        );
    }
}

#[test]
fn beast_long_flight_round_trip() {
    let Some(records) = long_flight() else { return };
    let stream: Vec<u8> = records
        .iter()
        .flat_map(|r| beast_frame(r.ticks, r.signal, &r.data))
        .collect();
    // The file's records hold 8,469 bytes 0x1a, each now escaped.
    assert_eq!(stream.len(), 71_639 * 16 + 100_793 * 23 + 8_469);
    let expected: Vec<FeedItem> = records.iter().map(Recorded::item).collect();
    let splits: [(&str, Vec<&[u8]>); 3] = [
        ("whole", vec![&stream[..]]),
        ("chunks of up to 4096", random_chunks(&stream, 7, 4096)),
        ("chunks of up to 5", random_chunks(&stream, 11, 5)),
    ];
    for (name, chunks) in splits {
        let (items, stats) = run(FeedFormat::Beast, chunks);
        assert_eq!(stats, frames(71_639, 100_793), "{name}");
        assert!(items == expected, "{name}: frames differ");
    }
}

#[test]
fn beast_resyncs_after_loss_and_garbage() {
    let Some(records) = long_flight() else { return };
    let records = &records[..20_000];
    let mut rng = Rng(42);
    let (mut stream, mut expected) = (Vec::new(), Vec::new());
    let (mut cut, mut garbage) = (0, 0);
    let mut after_cut = false;
    for r in records {
        let record = beast_frame(r.ticks, r.signal, &r.data);
        let choice = rng.below(10);
        if choice == 0 {
            // Lose the end of the record, but never split an escaped pair: a stream cut
            // between two 0x1a is ambiguous in the Beast format itself. (The trailing run
            // of 0x1a never reaches the start byte: the type byte sits between.)
            let mut keep = 2 + rng.below(record.len() - 2);
            while record[..keep]
                .iter()
                .rev()
                .take_while(|&&b| b == 0x1a)
                .count()
                % 2
                == 1
            {
                keep -= 1;
            }
            stream.extend_from_slice(&record[..keep]);
            cut += 1;
            after_cut = true;
            continue;
        }
        if choice == 1 && !after_cut {
            // Line noise between records, without the start byte. (Not right after a cut
            // record: the framer would rightly take it for the rest of that record.)
            let n = 1 + rng.below(30);
            stream.extend((0..n).map(|_| (rng.next() as u8) | 0x80));
            garbage += n as u64;
        }
        stream.extend_from_slice(&record);
        expected.push(r.item());
        after_cut = false;
    }
    let (items, stats) = run(FeedFormat::Beast, random_chunks(&stream, 3, 100));
    assert!(cut > 100 && garbage > 100);
    assert_eq!(items.len(), expected.len());
    assert!(items == expected, "surviving frames come back intact");
    assert_eq!(stats.bad_escape, cut);
    assert_eq!(stats.skipped_bytes, garbage);
    assert_eq!(stats.unknown_type + stats.malformed + stats.truncated, 0);
}

/// Throughput of the Beast framer: run with
/// `cargo test -p vigil-codec --release --test framing beast_throughput -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release"]
fn beast_throughput() {
    let mut stream = Vec::new();
    let mut n = 0u64;
    for i in 0..1_000_000u64 {
        if i % 3 == 0 {
            stream.extend(beast_frame(i * 1000, i as u8, &SHORT));
        } else {
            stream.extend(beast_frame(i * 1000, i as u8, &LONG));
        }
    }
    let mut framer = framing::framer(FeedFormat::Beast);
    let start = std::time::Instant::now();
    for _ in 0..5 {
        for chunk in stream.chunks(64 * 1024) {
            framer.push(chunk, &mut |item| {
                if let FeedItem::ModeS(f) = item {
                    n += u64::from(f.data()[0]);
                }
            });
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(framer.stats().frames, 5_000_000);
    eprintln!(
        "beast: {:.1} M frames/s, {:.0} MB/s (checksum {n})",
        5.0 / elapsed,
        5.0 * stream.len() as f64 / elapsed / 1e6
    );
}

// ---------------------------------------------------------------------------------------------
// AVR

#[test]
fn avr_cases() {
    let check = |input: &str, expected: &[FeedItem], stats| {
        check(FeedFormat::Avr, input.as_bytes(), expected, stats)
    };
    let short = mode_s(&SHORT, None, None);
    let long = mode_s(&LONG, None, None);
    let ts = Some(0x0102_0304_0506);

    check("", &[], FramingStats::default());
    check("*5D3C66E6C6AD01;\n", &[short.clone()], frames(1, 0));
    check(
        "*8d3c66e699086a919838884331c7;\r\n",
        &[long.clone()],
        frames(0, 1),
    );
    check(":5D3C66E6C6AD01;", &[short.clone()], frames(1, 0));
    check(
        "@0102030405065D3C66E6C6AD01;\n",
        &[mode_s(&SHORT, ts, None)],
        frames(1, 0),
    );
    check(
        "@0102030405068D3C66E699086A919838884331C7;\n",
        &[mode_s(&LONG, ts, None)],
        frames(0, 1),
    );
    check(
        "%0102030405065D3C66E6C6AD01;\n",
        &[mode_s(&SHORT, ts, None)],
        frames(1, 0),
    );
    check(
        "%010203040506805D3C66E6C6AD01;\n",
        &[mode_s(&SHORT, ts, Some(0x80))],
        frames(1, 0),
    );
    check(
        "%010203040506FF8D3C66E699086A919838884331C7;",
        &[mode_s(&LONG, ts, Some(0xff))],
        frames(0, 1),
    );
    check(
        "<0102030405068F8D3C66E699086A919838884331C7;\n",
        &[mode_s(&LONG, ts, Some(0x8f))],
        frames(0, 1),
    );
    // dump1090's example of an '@' line.
    check(
        "@03BA2A7C1DD15D4CA7F9A0B84B;",
        &[mode_s(
            &hex::decode("5D4CA7F9A0B84B").unwrap(),
            Some(0x03BA_2A7C_1DD1),
            None,
        )],
        frames(1, 0),
    );
    // Mode A/C (4 digits) is counted, not emitted.
    check(
        "*7700;\n@0102030405060123;\n",
        &[],
        FramingStats {
            mode_ac: 2,
            ..Default::default()
        },
    );
    // No line ends, NULs, blank lines and whitespace around and inside records.
    check(
        "*5D3C66E6C6AD01;*8D3C66E699086A919838884331C7;\0\n\n  *5D3C 66E6\tC6AD01 ;  \r\n",
        &[short.clone(), long.clone(), short.clone()],
        frames(2, 1),
    );
    // Bad hex: malformed, and the rest of the record is skipped.
    check(
        "*5D3C66E6C6AD0G;\n*5D3C66E6C6AD01;",
        &[short.clone()],
        FramingStats {
            malformed: 1,
            skipped_bytes: 1,
            ..frames(1, 0)
        },
    );
    // Wrong lengths.
    for bad in [
        "*5D3C66E6C6AD;",
        "*;",
        "@0102;",
        "@0102030405065D3C66E6C6AD;",
        "<0102030405065D3C66E6C6AD01;",
    ] {
        check(
            bad,
            &[],
            FramingStats {
                malformed: 1,
                ..Default::default()
            },
        );
    }
    // Unknown prefix: counted once, skipped to the end of the line.
    check(
        "#hello\r\n*5D3C66E6C6AD01;$GPGGA,1;",
        &[short.clone()],
        FramingStats {
            unknown_type: 2,
            skipped_bytes: 5 + 7,
            ..frames(1, 0)
        },
    );
    // Overlong garbage: malformed as soon as it passes 42 digits, the rest skipped.
    let overlong = format!("*{};*5D3C66E6C6AD01;", "A".repeat(100));
    check(
        &overlong,
        &[short.clone()],
        FramingStats {
            malformed: 1,
            skipped_bytes: 58,
            ..frames(1, 0)
        },
    );
    // A record cut short by the next record's prefix, or by a line end.
    check(
        "*5D3C66*5D3C66E6C6AD01;",
        &[short.clone()],
        FramingStats {
            malformed: 1,
            ..frames(1, 0)
        },
    );
    check(
        "*5D3C66\n*5D3C66E6C6AD01;",
        &[short.clone()],
        FramingStats {
            malformed: 1,
            ..frames(1, 0)
        },
    );
    // Cut by the end of the stream; a stray ';'.
    check(
        "*5D3C66E6C6AD01;*5D3C",
        &[short.clone()],
        FramingStats {
            truncated: 1,
            ..frames(1, 0)
        },
    );
    check(
        ";\n*5D3C66E6C6AD01;",
        &[short.clone()],
        FramingStats {
            skipped_bytes: 1,
            ..frames(1, 0)
        },
    );
}

#[test]
fn avr_overlong_stream_stays_bounded() {
    // A megabyte of hex digits with no end: one malformed record, no growth, no panic.
    let mut framer = framing::framer(FeedFormat::Avr);
    let junk = vec![b'F'; 64 * 1024];
    framer.push(b"*", &mut |_| panic!("no item"));
    for _ in 0..16 {
        framer.push(&junk, &mut |_| panic!("no item"));
    }
    framer.push(b";*5D3C66E6C6AD01;", &mut |item| {
        assert_eq!(item, mode_s(&SHORT, None, None))
    });
    framer.finish();
    let stats = framer.stats();
    assert_eq!(stats.malformed, 1);
    assert_eq!(stats.skipped_bytes, 16 * 64 * 1024 - 42);
    assert_eq!(stats.frames, 1);
}

/// An AVR line for a recorded frame, in one of several forms chosen by `i`.
fn avr_line(i: usize, r: &Recorded) -> (String, FeedItem) {
    let hex = if i.is_multiple_of(2) {
        hex::encode_upper(&r.data)
    } else {
        hex::encode(&r.data)
    };
    match i % 5 {
        0 => (format!("*{hex};\n"), mode_s(&r.data, None, None)),
        1 => (
            format!("@{:012X}{hex};\n", r.ticks),
            mode_s(&r.data, Some(r.ticks), None),
        ),
        2 => (
            format!("<{:012x}{:02x}{hex};\r\n", r.ticks, r.signal),
            r.item(),
        ),
        3 => (format!("%{:012X}{:02X}{hex};", r.ticks, r.signal), r.item()),
        _ => (
            format!("%{:012X}{hex};\n", r.ticks),
            mode_s(&r.data, Some(r.ticks), None),
        ),
    }
}

#[test]
fn avr_long_flight_round_trip() {
    let Some(records) = long_flight() else { return };
    let (lines, expected): (Vec<String>, Vec<FeedItem>) = records
        .iter()
        .enumerate()
        .map(|(i, r)| avr_line(i, r))
        .unzip();
    let stream = lines.concat();
    for (name, chunks) in [
        ("whole", vec![stream.as_bytes()]),
        (
            "chunks of up to 1000",
            random_chunks(stream.as_bytes(), 5, 1000),
        ),
        ("chunks of up to 3", random_chunks(stream.as_bytes(), 9, 3)),
    ] {
        let (items, stats) = run(FeedFormat::Avr, chunks);
        assert_eq!(stats, frames(71_639, 100_793), "{name}");
        assert!(items == expected, "{name}: frames differ");
    }
}

// ---------------------------------------------------------------------------------------------
// SBS

/// Unix seconds of a UTC date and time, counted naively day by day (an oracle independent of
/// the framer's closed-form conversion).
fn naive_unix(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    let days: i64 = (1970..y)
        .map(|y| if leap(y) { 366 } else { 365 })
        .sum::<i64>()
        + (1..mo).map(|m| i64::from(month_len(y, m))).sum::<i64>()
        + i64::from(d)
        - 1;
    days * 86_400 + i64::from(h * 3600 + mi * 60 + s)
}

fn leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn month_len(y: i64, m: u32) -> u32 {
    [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m as usize - 1]
}

/// The UTC date and time of Unix seconds `t >= 0`, counted naively.
fn naive_civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (mut days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400) as u32);
    let mut y = 1970;
    while days >= if leap(y) { 366 } else { 365 } {
        days -= if leap(y) { 366 } else { 365 };
        y += 1;
    }
    let mut m = 1;
    while days >= i64::from(month_len(y, m)) {
        days -= i64::from(month_len(y, m));
        m += 1;
    }
    (
        y,
        m,
        days as u32 + 1,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )
}

/// An SBS item.
fn sbs(msg: SbsMessage) -> FeedItem {
    FeedItem::Sbs(msg)
}

fn icao(s: &str) -> Option<IcaoAddress> {
    Some(s.parse().unwrap())
}

#[test]
fn sbs_cases() {
    let check_bytes =
        |input: &[u8], expected: &[FeedItem], stats| check(FeedFormat::Sbs, input, expected, stats);
    let check =
        |input: &str, expected: &[FeedItem], stats| check_bytes(input.as_bytes(), expected, stats);
    let one = FramingStats {
        frames: 1,
        ..Default::default()
    };
    let bad = FramingStats {
        malformed: 1,
        ..Default::default()
    };
    let unknown = FramingStats {
        unknown_type: 1,
        ..Default::default()
    };
    // 2016-01-26 20:56:09 UTC plus `s` seconds and a fraction, added as the framer does.
    assert_eq!(naive_unix(2016, 1, 26, 20, 56, 9), 1_453_841_769);
    let at = |s: i64, frac: f64| Some((1_453_841_769 + s) as f64 + frac);

    // The BaseStation examples, one per transmission type, as dump1090 documents them.
    check(
        "MSG,1,111,11111,40076D,111111,2016/01/26,20:56:09.968,2016/01/26,20:56:10.019,EZY44FH ,,,,,,,,,,,0\r\n",
        &[sbs(SbsMessage {
            transmission_type: 1,
            icao: icao("40076D"),
            generated: at(0, 0.968),
            callsign: Some("EZY44FH".into()),
            on_ground: Some(false),
            ..Default::default()
        })],
        one,
    );
    check(
        "MSG,2,111,11111,4CA2D6,111111,2016/01/26,20:56:09.000,2016/01/26,20:56:09.000,,0,12,270,53.35423,-2.27722,,,,,,-1\n",
        &[sbs(SbsMessage {
            transmission_type: 2,
            icao: icao("4CA2D6"),
            generated: at(0, 0.0),
            altitude_ft: Some(0),
            ground_speed_kt: Some(12.0),
            track_deg: Some(270.0),
            lat: Some(53.35423),
            lon: Some(-2.27722),
            on_ground: Some(true),
            ..Default::default()
        })],
        one,
    );
    check(
        "MSG,3,111,11111,40076D,111111,2016/01/26,20:56:10.358,2016/01/26,20:56:10.410,,37000,,,51.45735,-1.02826,,,0,0,0,0\n",
        &[sbs(SbsMessage {
            transmission_type: 3,
            icao: icao("40076D"),
            generated: at(1, 0.358),
            altitude_ft: Some(37000),
            lat: Some(51.45735),
            lon: Some(-1.02826),
            alert: Some(false),
            emergency: Some(false),
            spi: Some(false),
            on_ground: Some(false),
            ..Default::default()
        })],
        one,
    );
    check(
        "MSG,4,111,11111,40076D,111111,2016/01/26,20:56:10.473,2016/01/26,20:56:10.423,,,424,236,,,-64,,0,0,0,0\n",
        &[sbs(SbsMessage {
            transmission_type: 4,
            icao: icao("40076D"),
            generated: at(1, 0.473),
            ground_speed_kt: Some(424.0),
            track_deg: Some(236.0),
            vertical_rate_fpm: Some(-64),
            alert: Some(false),
            emergency: Some(false),
            spi: Some(false),
            on_ground: Some(false),
            ..Default::default()
        })],
        one,
    );
    // readsb style: `1` placeholders, upper-case hex, -1 flags, emergency squawk.
    check(
        "MSG,6,1,1,3C6586,1,2016/01/26,20:56:09.968,2016/01/26,20:56:09.970,,,,,,,,7500,-1,-1,0,0\r\n",
        &[sbs(SbsMessage {
            transmission_type: 6,
            icao: icao("3C6586"),
            generated: at(0, 0.968),
            squawk: Some(0o7500),
            alert: Some(true),
            emergency: Some(true),
            spi: Some(false),
            on_ground: Some(false),
            ..Default::default()
        })],
        one,
    );
    // MSG,5 and MSG,7 altitude replies, MSG,8 all-call; the flag 1 reads as true.
    let msg5 =
        "MSG,5,1,1,3C6586,1,2016/01/26,20:56:09.968,2016/01/26,20:56:09.970,,35000,,,,,,,0,,1,0\n";
    let msg7 =
        "MSG,7,1,1,3C6586,1,2016/01/26,20:56:09.968,2016/01/26,20:56:09.970,,35025,,,,,,,,,,0\n";
    let msg8 = "MSG,8,1,1,3C6586,1,2016/01/26,20:56:09.968,2016/01/26,20:56:09.970,,,,,,,,,,,,\n";
    let base = SbsMessage {
        icao: icao("3C6586"),
        generated: at(0, 0.968),
        ..Default::default()
    };
    check(
        &[msg5, msg7, msg8].concat(),
        &[
            sbs(SbsMessage {
                transmission_type: 5,
                altitude_ft: Some(35000),
                alert: Some(false),
                spi: Some(true),
                on_ground: Some(false),
                ..base.clone()
            }),
            sbs(SbsMessage {
                transmission_type: 7,
                altitude_ft: Some(35025),
                on_ground: Some(false),
                ..base.clone()
            }),
            sbs(SbsMessage {
                transmission_type: 8,
                ..base.clone()
            }),
        ],
        FramingStats {
            frames: 3,
            ..Default::default()
        },
    );
    // readsb extras: GNSS 'H' suffix, MLAT counts in fields 19/20, '~' non-ICAO address,
    // lower-case hex, decimals in integer fields, '-' dates, no time fraction, extra fields;
    // bare CR line ends and blank lines.
    check(
        "\r\n\rMSG,3,1,1,~abc123,1,2016-01-26,20:56:09,,,,37000H,,,10.5,20.25,-1200H,,5,12,,\rMSG,4,1,1,abc123,1,2016/01/26,20:56:09.5,,,,,424.4,,,,64.0,,,,,,extra,fields\n",
        &[
            sbs(SbsMessage {
                transmission_type: 3,
                icao: icao("ABC123"),
                generated: at(0, 0.0),
                altitude_ft: Some(37000),
                lat: Some(10.5),
                lon: Some(20.25),
                vertical_rate_fpm: Some(-1200),
                ..Default::default()
            }),
            sbs(SbsMessage {
                transmission_type: 4,
                icao: icao("ABC123"),
                generated: at(0, 0.5),
                ground_speed_kt: Some(424.4),
                vertical_rate_fpm: Some(64),
                ..Default::default()
            }),
        ],
        FramingStats {
            frames: 2,
            ..Default::default()
        },
    );
    // Squawk with fewer digits; no date: no generated time.
    check(
        "MSG,6,1,1,3C6586,1,,,,,,,,,,,,1200,,,,\nMSG,6,1,1,3C6586,1,2016/01/26,,,,,,,,,,,0017,,,,\n",
        &[
            sbs(SbsMessage {
                transmission_type: 6,
                icao: icao("3C6586"),
                squawk: Some(0o1200),
                ..Default::default()
            }),
            sbs(SbsMessage {
                transmission_type: 6,
                icao: icao("3C6586"),
                squawk: Some(0o17),
                ..Default::default()
            }),
        ],
        FramingStats {
            frames: 2,
            ..Default::default()
        },
    );

    // Other record types of the BaseStation protocol.
    for line in [
        "SEL,,496,2286,4CA4E5,27215,2010/02/19,18:06:07.710,2010/02/19,18:06:07.710,RYR1427\r\n",
        "ID,,496,7162,405637,27928,2010/02/19,18:06:07.115,2010/02/19,18:06:07.115,EZY691A\r\n",
        "AIR,,496,5906,400A6A,27930,2010/02/19,18:06:07.975,2010/02/19,18:06:07.975\r\n",
        "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM\r\n",
        "CLK,,496,-1,,-1,2010/02/19,18:18:19.036,2010/02/19,18:18:19.036\r\n",
        "MSG,9,1,1,3C6586,1,2016/01/26,20:56:09.968,2016/01/26,20:56:09.970,,,,,,,,,,,,\n",
        "MSG,0,1,1,3C6586,1,2016/01/26,20:56:09.968,2016/01/26,20:56:09.970,,,,,,,,,,,,\n",
        "hello world\n",
    ] {
        check(line, &[], unknown);
    }

    // Bad fields: each line is one good line with one field spoiled.
    let good = "MSG,3,1,1,40076D,1,2016/01/26,20:56:10.358,2016/01/26,20:56:10.410,EZY1,37000,400,90,51.45735,-1.02826,-64,7500,0,0,0,0";
    check(
        good,
        &[],
        FramingStats {
            truncated: 1,
            ..Default::default()
        },
    );
    for (field, value) in [
        (1, "x"),
        (1, ""),
        (4, "40076"),
        (4, "40076G"),
        (4, "+40076"),
        (6, "2016/13/26"),
        (6, "2016/02/30"),
        (6, "2016/01"),
        (6, "16/01/26x"),
        (7, "24:00:00.000"),
        (7, "20:60:00"),
        (7, "20:56"),
        (7, "20:56:10.3a"),
        (11, "37000ft"),
        (11, "99999999999"),
        (12, "nan"),
        (13, "inf"),
        (14, "90.5"),
        (15, "-180.01"),
        (16, "-6.4e"),
        (17, "7800"),
        (17, "07500"),
        (18, "yes"),
        (18, "0.5"),
        (20, "2"),
        (21, "-2"),
    ] {
        let mut fields: Vec<&str> = good.split(',').collect();
        fields[field] = value;
        check(&format!("{}\n", fields.join(",")), &[], bad);
    }
    // Too few fields; not UTF-8 (Latin-1 in a callsign). Any UTF-8 text is a callsign.
    check("MSG,3,1,1,40076D,1,2016/01/26,20:56:10.358\n", &[], bad);
    let mut latin1 = good.replace("EZY1", "EZY?1").into_bytes();
    let q = latin1.iter().position(|&b| b == b'?').unwrap();
    latin1[q] = 0xe9;
    latin1.push(b'\n');
    check_bytes(&latin1, &[], bad);
    check(
        "MSG,1,1,1,40076D,1,,,,,\u{e9}Z\u{fffd}1,,,,,,,,,,,\n",
        &[sbs(SbsMessage {
            transmission_type: 1,
            icao: icao("40076D"),
            callsign: Some("\u{e9}Z\u{fffd}1".into()),
            ..Default::default()
        })],
        one,
    );

    // An overlong line is malformed, then framing carries on.
    let good_msg = SbsMessage {
        transmission_type: 3,
        icao: icao("40076D"),
        generated: at(1, 0.358),
        callsign: Some("EZY1".into()),
        altitude_ft: Some(37000),
        ground_speed_kt: Some(400.0),
        track_deg: Some(90.0),
        lat: Some(51.45735),
        lon: Some(-1.02826),
        vertical_rate_fpm: Some(-64),
        squawk: Some(0o7500),
        alert: Some(false),
        emergency: Some(false),
        spi: Some(false),
        on_ground: Some(false),
    };
    check(&format!("{good}\n"), &[sbs(good_msg.clone())], one);
    let overlong = format!("MSG,{}\n{good}\n", "x".repeat(600));
    check(
        &overlong,
        &[sbs(good_msg)],
        FramingStats {
            malformed: 1,
            ..one
        },
    );
}

#[test]
fn sbs_overlong_stream_stays_bounded() {
    let mut framer = framing::framer(FeedFormat::Sbs);
    let junk = vec![b'x'; 64 * 1024];
    for _ in 0..16 {
        framer.push(&junk, &mut |_| panic!("no item"));
    }
    framer.push(b"\n\n", &mut |_| panic!("no item"));
    framer.finish();
    assert_eq!(
        framer.stats(),
        FramingStats {
            malformed: 1,
            ..Default::default()
        }
    );
}

/// SBS lines built from `full_flight_short.jsonl` (rs1090's decode of a real flight) the way
/// readsb writes them, with the messages they must parse back to.
fn sbs_from_full_flight() -> Option<(String, Vec<FeedItem>)> {
    let path = vigil_testdata::path("adsb/full_flight_short.jsonl")?;
    let text = std::fs::read_to_string(path).unwrap();
    let (mut out, mut expected) = (String::new(), Vec::new());
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let get = |k: &str| v.get(k).filter(|x| !x.is_null());
        let num = |k: &str| get(k).and_then(serde_json::Value::as_f64);
        let df = get("df").and_then(|x| x.as_str()).unwrap_or("");
        let bds = get("bds").and_then(|x| x.as_str()).unwrap_or("");
        let ty = match (df, bds) {
            ("17" | "18", "08") => 1,
            ("17" | "18", "06") => 2,
            ("17" | "18", "05") => 3,
            ("17" | "18", "09") => 4,
            ("4" | "20", _) => 5,
            ("5" | "21", _) => 6,
            ("0" | "16", _) => 7,
            ("11", _) => 8,
            _ => continue,
        };
        let icao_hex = get("icao24").unwrap().as_str().unwrap().to_uppercase();
        let ms = (v["timestamp"].as_f64().unwrap() * 1000.0).floor() as i64;
        let (y, mo, d, h, mi, s) = naive_civil(ms.div_euclid(1000));
        let frac = ms.rem_euclid(1000);
        let mut msg = SbsMessage {
            transmission_type: ty,
            icao: icao(&icao_hex),
            generated: Some(naive_unix(y, mo, d, h, mi, s) as f64 + frac as f64 / 1000.0),
            ..Default::default()
        };
        let mut f = vec![String::new(); 22];
        f[0] = "MSG".into();
        f[1] = ty.to_string();
        (f[2], f[3], f[5]) = ("1".into(), "1".into(), "1".into());
        f[4] = icao_hex;
        f[6] = format!("{y:04}/{mo:02}/{d:02}");
        f[7] = format!("{h:02}:{mi:02}:{s:02}.{frac:03}");
        (f[8], f[9]) = (f[6].clone(), f[7].clone());
        if let Some(cs) = get("callsign").and_then(|x| x.as_str()).filter(|_| ty == 1) {
            f[10] = format!("{cs:<8}");
            msg.callsign = Some(cs.trim().to_owned()).filter(|c| !c.is_empty());
        }
        if let Some(alt) = num("altitude").filter(|_| matches!(ty, 3 | 5 | 7)) {
            f[11] = format!("{}", alt as i32);
            msg.altitude_ft = Some(alt as i32);
        }
        if let (true, Some(gs), Some(trk)) = (matches!(ty, 2 | 4), num("groundspeed"), num("track"))
        {
            f[12] = format!("{gs:.0}");
            f[13] = format!("{trk:.0}");
            msg.ground_speed_kt = Some(f[12].parse().unwrap());
            msg.track_deg = Some(f[13].parse().unwrap());
        }
        if let (Some(lat), Some(lon)) = (num("latitude"), num("longitude")) {
            f[14] = format!("{lat:.6}");
            f[15] = format!("{lon:.6}");
            msg.lat = Some(f[14].parse().unwrap());
            msg.lon = Some(f[15].parse().unwrap());
        }
        if let Some(vr) = num("vertical_rate").filter(|_| ty == 4) {
            f[16] = format!("{}", vr as i32);
            msg.vertical_rate_fpm = Some(vr as i32);
        }
        if let Some(sq) = get("squawk").and_then(|x| x.as_str()).filter(|_| ty == 6) {
            f[17] = sq.to_owned();
            msg.squawk = Some(u16::from_str_radix(sq, 8).unwrap());
            let emergency = matches!(sq, "7500" | "7600" | "7700");
            f[19] = if emergency { "-1" } else { "0" }.into();
            msg.emergency = Some(emergency);
        }
        let on_ground = ty == 2;
        f[21] = if on_ground { "-1" } else { "0" }.into();
        msg.on_ground = Some(on_ground);
        out.push_str(&f.join(","));
        out.push_str("\r\n");
        expected.push(sbs(msg));
    }
    Some((out, expected))
}

#[test]
fn sbs_full_flight_round_trip() {
    let Some((stream, expected)) = sbs_from_full_flight() else {
        return;
    };
    assert!(expected.len() > 40_000, "{} lines", expected.len());
    for (name, chunks) in [
        ("whole", vec![stream.as_bytes()]),
        (
            "chunks of up to 700",
            random_chunks(stream.as_bytes(), 13, 700),
        ),
        ("chunks of up to 4", random_chunks(stream.as_bytes(), 17, 4)),
    ] {
        let (items, stats) = run(FeedFormat::Sbs, chunks);
        assert_eq!(
            stats,
            FramingStats {
                frames: expected.len() as u64,
                ..Default::default()
            },
            "{name}"
        );
        for (got, want) in items.iter().zip(&expected) {
            assert_eq!(got, want, "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Any split of any input gives the same items and counters as the whole input.
fn split_invariant(format: FeedFormat, data: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let whole = run(format, [data]);
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut from = 0;
    for p in points {
        chunks.push(&data[from..p]);
        from = p;
    }
    chunks.push(&data[from..]);
    prop_assert_eq!(run(format, chunks), whole.clone());
    prop_assert_eq!(run(format, data.chunks(1)), whole);
    Ok(())
}

/// A Mode S frame whose bytes are often 0x1a, to exercise escaping.
fn arb_frame() -> impl Strategy<Value = (u64, u8, Vec<u8>)> {
    let byte = prop_oneof![3 => any::<u8>(), 1 => Just(0x1a)];
    (
        prop_oneof![
            any::<u64>().prop_map(|t| t & 0xffff_ffff_ffff),
            Just(0x1a1a_1a1a_1a1a)
        ],
        byte.clone(),
        prop_oneof![
            prop::collection::vec(byte.clone(), 7),
            prop::collection::vec(byte, 14)
        ],
    )
}

/// Text made mostly of the characters AVR records are made of.
fn avr_like() -> impl Strategy<Value = String> {
    "([*@%<:#;]?[0-9A-Fa-f \t]{0,50}[;G]?(\r|\n|\r\n)?){0,12}"
}

/// Text made mostly of the characters SBS lines are made of.
fn sbs_like() -> impl Strategy<Value = String> {
    "((MSG|SEL|CLK),[0-9]{0,2}(,[-0-9.:/~H A-Fa-f]{0,12}){0,24}(\r|\n|\r\n)?){0,6}"
}

proptest! {
    #[test]
    fn beast_any_bytes(data in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        split_invariant(FeedFormat::Beast, &data, &cuts)?;
    }

    #[test]
    fn beast_escape_heavy_bytes(data in prop::collection::vec(prop_oneof![Just(0x1a), Just(0x32), Just(0x33), Just(0x31), any::<u8>()], 0..400), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        split_invariant(FeedFormat::Beast, &data, &cuts)?;
    }

    #[test]
    fn beast_valid_stream_splits(frames_in in prop::collection::vec(arb_frame(), 0..20), cuts in prop::collection::vec(any::<usize>(), 0..10)) {
        let stream: Vec<u8> = frames_in.iter().flat_map(|(t, s, d)| beast_frame(*t, *s, d)).collect();
        let expected: Vec<FeedItem> = frames_in.iter().map(|(t, s, d)| mode_s(d, Some(*t), Some(*s))).collect();
        let (items, stats) = run(FeedFormat::Beast, [&stream[..]]);
        prop_assert_eq!(&items, &expected);
        prop_assert_eq!(stats.errors() + stats.skipped_bytes, 0);
        split_invariant(FeedFormat::Beast, &stream, &cuts)?;
    }

    #[test]
    fn avr_any_bytes(data in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        split_invariant(FeedFormat::Avr, &data, &cuts)?;
    }

    #[test]
    fn avr_like_text(text in avr_like(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        split_invariant(FeedFormat::Avr, text.as_bytes(), &cuts)?;
    }

    #[test]
    fn avr_valid_stream_splits(frames_in in prop::collection::vec(arb_frame(), 0..20), cuts in prop::collection::vec(any::<usize>(), 0..10)) {
        let recorded: Vec<Recorded> = frames_in.into_iter().map(|(ticks, signal, data)| Recorded { ticks, signal, data }).collect();
        let (lines, expected): (Vec<String>, Vec<FeedItem>) = recorded.iter().enumerate().map(|(i, r)| avr_line(i, r)).unzip();
        let stream = lines.concat();
        let (items, stats) = run(FeedFormat::Avr, [stream.as_bytes()]);
        prop_assert_eq!(&items, &expected);
        prop_assert_eq!(stats.errors() + stats.skipped_bytes, 0);
        split_invariant(FeedFormat::Avr, stream.as_bytes(), &cuts)?;
    }

    #[test]
    fn sbs_any_bytes(data in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        split_invariant(FeedFormat::Sbs, &data, &cuts)?;
    }

    #[test]
    fn sbs_like_text(text in sbs_like(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        split_invariant(FeedFormat::Sbs, text.as_bytes(), &cuts)?;
    }

    #[test]
    fn sbs_generated_time(t in 0i64..4_102_444_800, ms in 0u32..1000) {
        // The framer's closed-form date conversion against naive day counting, to 2100.
        let (y, mo, d, h, mi, s) = naive_civil(t);
        prop_assert_eq!(naive_unix(y, mo, d, h, mi, s), t);
        let line = format!("MSG,8,1,1,ABCDEF,1,{y:04}/{mo:02}/{d:02},{h:02}:{mi:02}:{s:02}.{ms:03},,,,,,,,,,,,,,\n");
        let (items, _) = run(FeedFormat::Sbs, [line.as_bytes()]);
        let want = t as f64 + f64::from(ms) / 1000.0;
        prop_assert!(matches!(&items[..], [FeedItem::Sbs(m)] if m.generated == Some(want)), "{line}: {items:?}");
    }

    #[test]
    fn sbs_round_trip(
        (ty, icao_v, alt, gs, trk) in (1u8..=8, prop::option::of(0u32..0x100_0000), prop::option::of(-2000i32..60_000), prop::option::of(0.0f64..700.0), prop::option::of(0.0f64..360.0)),
        (lat, lon, vr, sq) in (prop::option::of(-90.0f64..=90.0), prop::option::of(-180.0f64..=180.0), prop::option::of(-8000i32..8000), prop::option::of(0u16..0o10000)),
        flags in prop::collection::vec(prop::option::of(any::<bool>()), 4),
        callsign in prop::option::of("[A-Z0-9]{1,8}"),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let show = |v: Option<String>| v.unwrap_or_default();
        let flag = |f: Option<bool>| show(f.map(|b| if b { "-1".to_owned() } else { "0".to_owned() }));
        let line = format!(
            "MSG,{ty},1,1,{},1,,,,,{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            show(icao_v.map(|v| format!("{v:06X}"))),
            show(callsign.clone()),
            show(alt.map(|v| v.to_string())),
            show(gs.map(|v| v.to_string())),
            show(trk.map(|v| v.to_string())),
            show(lat.map(|v| v.to_string())),
            show(lon.map(|v| v.to_string())),
            show(vr.map(|v| v.to_string())),
            show(sq.map(|v| format!("{v:04o}"))),
            flag(flags[0]), flag(flags[1]), flag(flags[2]), flag(flags[3]),
        );
        let want = SbsMessage {
            transmission_type: ty,
            icao: icao_v.map(IcaoAddress::new),
            generated: None,
            callsign,
            altitude_ft: alt,
            ground_speed_kt: gs,
            track_deg: trk,
            lat,
            lon,
            vertical_rate_fpm: vr,
            squawk: sq,
            alert: flags[0],
            emergency: flags[1],
            spi: flags[2],
            on_ground: flags[3],
        };
        let (items, stats) = run(FeedFormat::Sbs, [line.as_bytes()]);
        prop_assert_eq!(items, vec![sbs(want)], "{}", line);
        prop_assert_eq!(stats.errors(), 0);
        split_invariant(FeedFormat::Sbs, line.as_bytes(), &cuts)?;
    }
}
