//! Fuzzes the SBS framer: no panic on any input, the same frames however the stream is split.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_codec::framing::FeedFormat;

fuzz_target!(|data: &[u8]| vigil_fuzz::split_feed(FeedFormat::Sbs, data));
