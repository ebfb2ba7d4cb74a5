//! CAT048 Monoradar Target Reports: a typed view of the fields a tracker uses.
//!
//! Two ways to the same [`Report`]:
//!
//! * [`Report::from_record`] reads a record the generic engine decoded, by item and field
//!   name. It is obviously right and works for any table, but builds a value tree and name
//!   paths per record (about 250,000 records/s).
//! * [`ReportDecoder`] goes straight from the octets: it works out each UAP slot's size and
//!   meaning from the table once, then per record walks the FSPEC and reads the fields the
//!   report carries at their fixed positions. It allocates only the report's callsign and
//!   Comm-B list, and nothing when decoding into a reused report
//!   ([`ReportDecoder::decode_into`]); over twenty times faster (`docs/BENCHMARKS.md`).
//!   Feeds use this path.
//!
//! The tests hold the two to the same result on every record of the real captures, for both
//! carried editions, and on random records (`tests/fast_paths.rs`).

use vigil_core::IcaoAddress;

use crate::error::{BlockError, RecordError};
use crate::modes::{self, CommB};
use crate::record::{Record, block_header};
use crate::spec::{Category, Content, Element, Field, Item, Named, Variation};
use crate::tables;
use crate::value::{self, Cursor, Value, sign_extend};
use crate::view::{Fields, KT_PER_NM_S, sac_sic, scalar};

mod out;
pub use out::{DescriptorOut, PlotKind, PlotOut};

/// I048/020 Target Report Descriptor (first octet and first extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// TYP: 0 no detection, 1 PSR, 2 SSR, 3 SSR+PSR, 4 Mode S all-call, 5 roll-call,
    /// 6 all-call + PSR, 7 roll-call + PSR.
    pub typ: u8,
    /// Simulated target report.
    pub simulated: bool,
    /// Report from RDP chain 2.
    pub rdp_chain_2: bool,
    /// Special Position Identification.
    pub spi: bool,
    /// Report from a field monitor (fixed transponder).
    pub field_monitor: bool,
    /// Test target (first extension).
    pub test: Option<bool>,
    /// Military emergency (first extension).
    pub military_emergency: Option<bool>,
}

/// A Mode 3/A (or Mode 2) code with its quality bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeCode {
    /// The 12 code bits; `format!("{:04o}", code)` prints the usual four octal digits.
    pub code: u16,
    /// V = 0.
    pub validated: bool,
    /// G = 1.
    pub garbled: bool,
    /// L = 1: not extracted this scan (smoothed / changed meaning per category).
    pub not_extracted: bool,
}

/// I048/090 Flight level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightLevel {
    /// Flight level (hundreds of feet), resolution 1/4.
    pub fl: f64,
    /// V = 0.
    pub validated: bool,
    /// G = 1.
    pub garbled: bool,
}

/// I048/130 Radar plot characteristics (each subfield optional).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PlotCharacteristics {
    /// SSR plot runlength, degrees.
    pub ssr_runlength_deg: Option<f64>,
    /// Number of received (M)SSR replies.
    pub ssr_replies: Option<u8>,
    /// (M)SSR reply amplitude, dBm.
    pub ssr_amplitude_dbm: Option<f64>,
    /// Primary plot runlength, degrees.
    pub psr_runlength_deg: Option<f64>,
    /// Primary plot amplitude, dBm.
    pub psr_amplitude_dbm: Option<f64>,
    /// Range PSR − SSR, NM.
    pub range_diff_nm: Option<f64>,
    /// Azimuth PSR − SSR, degrees.
    pub azimuth_diff_deg: Option<f64>,
}

/// I048/170 Track status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackStatus {
    /// CNF = 0.
    pub confirmed: bool,
    /// RAD: 0 combined, 1 PSR, 2 SSR/Mode S, 3 invalid.
    pub rad: u8,
    /// Low confidence in plot-to-track association.
    pub doubtful: bool,
    /// Horizontal manoeuvre sensed.
    pub manoeuvre: bool,
    /// CDM: 0 maintaining, 1 climbing, 2 descending, 3 unknown.
    pub climb_descent: u8,
    /// Last report for this track (first extension).
    pub end_of_track: Option<bool>,
    /// Ghost target track (first extension).
    pub ghost: Option<bool>,
}

/// I048/230 Communications/ACAS capability and flight status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommsCapability {
    /// COM: communications capability.
    pub com: u8,
    /// STAT: flight status (alert, SPI, on ground).
    pub stat: u8,
    /// II-code capable.
    pub ii_capable: bool,
    /// Mode S specific service capability.
    pub mssc: bool,
    /// 25 ft altitude reporting.
    pub alt_25ft: bool,
    /// Aircraft identification capability.
    pub aic: bool,
    /// BDS 1,0 bit 16.
    pub b1a: u8,
    /// BDS 1,0 bits 37/40.
    pub b1b: u8,
}

/// The fields of a CAT048 record that the tracker uses, in physical units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// I010 (SAC, SIC).
    pub sac_sic: Option<(u8, u8)>,
    /// I140 time of day, seconds since UTC midnight.
    pub time_of_day_s: Option<f64>,
    /// I020.
    pub descriptor: Option<Descriptor>,
    /// I040 measured position: (rho NM, theta degrees).
    pub polar: Option<(f64, f64)>,
    /// I070.
    pub mode3a: Option<ModeCode>,
    /// I090.
    pub flight_level: Option<FlightLevel>,
    /// I130.
    pub plot: Option<PlotCharacteristics>,
    /// I220.
    pub address: Option<IcaoAddress>,
    /// I240 (8 characters, trailing spaces kept).
    pub callsign: Option<String>,
    /// I250 Comm-B registers.
    pub comm_b: Vec<CommB>,
    /// I161.
    pub track_number: Option<u16>,
    /// I042 calculated position (x NM, y NM).
    pub cartesian: Option<(f64, f64)>,
    /// I200 calculated velocity (ground speed kt, heading degrees).
    pub velocity: Option<(f64, f64)>,
    /// I170.
    pub track_status: Option<TrackStatus>,
    /// I110 height measured by a 3D radar, ft.
    pub height_3d_ft: Option<f64>,
    /// I230.
    pub comms: Option<CommsCapability>,
}

impl Report {
    /// Reads the typed fields of a CAT048 record (any carried edition). Absent or
    /// undecodable items are `None`; this never fails.
    pub fn from_record(rec: &Record<'_>) -> Self {
        let descriptor = Fields::of(rec, "020").and_then(|f| {
            Some(Descriptor {
                typ: f.u8("TYP")?,
                simulated: f.flag("SIM")?,
                rdp_chain_2: f.flag("RDP")?,
                spi: f.flag("SPI")?,
                field_monitor: f.flag("RAB")?,
                test: f.flag("TST"),
                military_emergency: f.flag("ME"),
            })
        });
        let plot = Fields::of(rec, "130").map(|f| PlotCharacteristics {
            ssr_runlength_deg: f.f("SRL"),
            ssr_replies: f.u8("SRR"),
            ssr_amplitude_dbm: f.f("SAM"),
            psr_runlength_deg: f.f("PRL"),
            psr_amplitude_dbm: f.f("PAM"),
            range_diff_nm: f.f("RPD"),
            azimuth_diff_deg: f.f("APD"),
        });
        let track_status = Fields::of(rec, "170").and_then(|f| {
            Some(TrackStatus {
                confirmed: !f.flag("CNF")?,
                rad: f.u8("RAD")?,
                doubtful: f.flag("DOU")?,
                manoeuvre: f.flag("MAH")?,
                climb_descent: f.u8("CDM")?,
                end_of_track: f.flag("TRE"),
                ghost: f.flag("GHO"),
            })
        });
        let comms = Fields::of(rec, "230").and_then(|f| {
            Some(CommsCapability {
                com: f.u8("COM")?,
                stat: f.u8("STAT")?,
                ii_capable: f.flag("SI")?,
                mssc: f.flag("MSSC")?,
                alt_25ft: f.flag("ARC")?,
                aic: f.flag("AIC")?,
                b1a: f.u8("B1A")?,
                b1b: f.u8("B1B")?,
            })
        });
        Self {
            sac_sic: sac_sic(rec),
            time_of_day_s: scalar(rec, "140"),
            descriptor,
            polar: Fields::of(rec, "040").and_then(|f| Some((f.f("RHO")?, f.f("THETA")?))),
            mode3a: Fields::of(rec, "070").and_then(|f| mode_code(&f, "MODE3A")),
            flight_level: Fields::of(rec, "090").and_then(|f| {
                Some(FlightLevel {
                    fl: f.f("FL")?,
                    validated: !f.flag("V")?,
                    garbled: f.flag("G")?,
                })
            }),
            plot,
            address: Fields::of(rec, "220")
                .and_then(|f| f.u(""))
                .map(|a| IcaoAddress::new(a as u32)),
            callsign: Fields::of(rec, "240").and_then(|f| f.text("")),
            comm_b: rec
                .item("250")
                .map(|i| comm_b(i.repetitions()))
                .unwrap_or_default(),
            track_number: Fields::of(rec, "161").and_then(|f| f.u16("TRN")),
            cartesian: Fields::of(rec, "042").and_then(|f| Some((f.f("X")?, f.f("Y")?))),
            velocity: Fields::of(rec, "200")
                .and_then(|f| Some((f.f("GSP")? * KT_PER_NM_S, f.f("HDG")?))),
            track_status,
            height_3d_ft: Fields::of(rec, "110").and_then(|f| f.f("3DH")),
            comms,
        }
    }
}

/// A Mode 2 / Mode 3/A code group (V, G, L, code).
pub(crate) fn mode_code(f: &Fields, code: &str) -> Option<ModeCode> {
    Some(ModeCode {
        code: f.u16(code)?,
        validated: !f.flag("V")?,
        garbled: f.flag("G")?,
        not_extracted: f.flag("L").or_else(|| f.flag("CH"))?,
    })
}

/// Decodes I048/250 repetitions (MBDATA 56 bits, BDS1, BDS2).
fn comm_b(reps: &[Value]) -> Vec<CommB> {
    reps.iter()
        .filter_map(|r| match r {
            Value::Group(g) => match g.as_slice() {
                [Value::Element(mb), Value::Element(b1), Value::Element(b2)] => {
                    Some(CommB::decode(((b1 << 4) | b2) as u8, *mb))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

impl Report {
    /// Decodes the CAT048 record at the start of `buf` with the default edition
    /// ([`tables::CAT048`]) straight into a report; returns it and the record's length. For
    /// many records, keep a [`ReportDecoder`]: this prepares one per call.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), RecordError> {
        ReportDecoder::new(tables::CAT048).decode(buf)
    }
}

/// The items a [`Report`] reads, recognised once per UAP slot by FRN and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    I010,
    I140,
    I020,
    I040,
    I070,
    /// I090, with whether its FL element is two's complement (1.32 yes, 1.27 no).
    I090 {
        signed: bool,
    },
    I130,
    I220,
    I240,
    I250,
    I161,
    I042,
    I200,
    I170,
    I110,
    I230,
    /// An item the report does not carry: only stepped over.
    Other,
}

impl Known {
    fn of(frn: usize, def: &Item) -> Self {
        match (frn, def.name) {
            (1, "010") => Known::I010,
            (2, "140") => Known::I140,
            (3, "020") => Known::I020,
            (4, "040") => Known::I040,
            (5, "070") => Known::I070,
            (6, "090") => Known::I090 {
                signed: fl_is_signed(def),
            },
            (7, "130") => Known::I130,
            (8, "220") => Known::I220,
            (9, "240") => Known::I240,
            (10, "250") => Known::I250,
            (11, "161") => Known::I161,
            (12, "042") => Known::I042,
            (13, "200") => Known::I200,
            (14, "170") => Known::I170,
            (19, "110") => Known::I110,
            (21, "230") => Known::I230,
            _ => Known::Other,
        }
    }
}

/// What the decoder knows about one UAP slot, worked out from the table once.
#[derive(Debug, Clone, Copy)]
struct Slot {
    item: &'static Item,
    layout: Layout,
    known: Known,
}

/// How to find the end of an item, precomputed for the layouts CAT048 records are made of.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// An element or group of this many octets.
    Fixed(usize),
    /// An extended item: octets of each part (FX included), at most `MAX_PARTS`.
    Extended {
        parts: [u8; MAX_PARTS],
        count: usize,
    },
    /// A one-octet count, then repetitions of this many octets.
    Repeated(usize),
    /// Anything else (compound, explicit, odd tables): the generic walker.
    Walk,
}

/// More extension octets than any CAT048 item has (I020 has 7 in 1.32).
const MAX_PARTS: usize = 8;

impl Layout {
    fn of(var: &Variation) -> Self {
        let octets = |bits: Option<u32>| match bits {
            Some(b) if b > 0 && b % 8 == 0 => usize::try_from(b / 8).ok(),
            _ => None,
        };
        match var {
            Variation::Element(_) | Variation::Group(_) => {
                octets(var.fixed_bits()).map_or(Layout::Walk, Layout::Fixed)
            }
            Variation::Extended(list) if list.len() <= MAX_PARTS => {
                let mut parts = [0u8; MAX_PARTS];
                for (p, fields) in parts.iter_mut().zip(list.iter()) {
                    let bits = crate::spec::fields_bits(fields).map(|b| b + 1);
                    match octets(bits).and_then(|o| u8::try_from(o).ok()) {
                        Some(o) => *p = o,
                        None => return Layout::Walk,
                    }
                }
                Layout::Extended {
                    parts,
                    count: list.len(),
                }
            }
            Variation::Repetitive {
                rep: crate::spec::Rep::Byte,
                var,
            } => octets(var.fixed_bits()).map_or(Layout::Walk, Layout::Repeated),
            _ => Layout::Walk,
        }
    }

    /// The end of the item starting at `pos`, with the generic engine's errors.
    #[inline]
    fn end(&self, item: &'static Item, buf: &[u8], pos: usize) -> Result<usize, RecordError> {
        let take = |pos: usize, n: usize| {
            let available = buf.len() - pos;
            if n > available {
                Err(RecordError::Truncated {
                    item: item.name,
                    need: n,
                    available,
                })
            } else {
                Ok(pos + n)
            }
        };
        match *self {
            Layout::Fixed(n) => take(pos, n),
            Layout::Extended { parts, count } => {
                let mut pos = pos;
                for (i, &n) in parts[..count].iter().enumerate() {
                    pos = take(pos, usize::from(n))?;
                    // FX is the low bit of the part's last octet.
                    if buf[pos - 1] & 1 == 0 {
                        return Ok(pos);
                    }
                    if i + 1 == count {
                        return Err(RecordError::ExtendedOverrun { item: item.name });
                    }
                }
                Err(RecordError::BadSpec { item: item.name })
            }
            Layout::Repeated(n) => {
                let mut end = take(pos, 1)?;
                for _ in 0..buf[pos] {
                    end = take(end, n)?;
                }
                Ok(end)
            }
            Layout::Walk => {
                let mut cur = Cursor { buf, pos };
                value::skip(&item.var, &mut cur, item.name)?;
                Ok(cur.pos)
            }
        }
    }
}

/// Decodes CAT048 records straight into [`Report`]s, without the generic value tree.
///
/// [`ReportDecoder::new`] works out, from the edition's table, each UAP slot's layout (fixed
/// size, extension octets, repetition size) and which report field it fills; decoding a
/// record is then one FSPEC walk with a table look-up per item (compound items are stepped
/// over by the same walker as [`crate::RawItems`]). It gives the same report as [`Record::decode`] then
/// [`Report::from_record`], and the same errors. Items are recognised by FRN and name, so
/// the table of another category gives reports with only the items that happen to match.
#[derive(Debug, Clone)]
pub struct ReportDecoder {
    category: &'static Category,
    /// Slot `frn - 1`; `None` for a spare UAP slot.
    slots: Vec<Option<Slot>>,
}

impl ReportDecoder {
    /// A decoder for `category` (a CAT048 edition, e.g. [`tables::CAT048`]).
    pub fn new(category: &'static Category) -> Self {
        let slots = category
            .uap
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.map(|item| Slot {
                    item,
                    layout: Layout::of(&item.var),
                    known: Known::of(i + 1, item),
                })
            })
            .collect();
        Self { category, slots }
    }

    /// The edition this decoder reads.
    pub fn category(&self) -> &'static Category {
        self.category
    }

    /// Decodes the record at the start of `buf`; returns the report and the record's length.
    pub fn decode(&self, buf: &[u8]) -> Result<(Report, usize), RecordError> {
        let mut r = Report::default();
        let used = self.decode_into(buf, &mut r)?;
        Ok((r, used))
    }

    /// Like [`ReportDecoder::decode`], into a report the caller keeps from record to record:
    /// its callsign and Comm-B buffers are reused, so once they have grown, decoding
    /// allocates nothing. Returns the record's length. On error `out` holds the items before
    /// the bad one and should not be used.
    pub fn decode_into(&self, buf: &[u8], out: &mut Report) -> Result<usize, RecordError> {
        // The whole FSPEC first, as the generic engine does, so errors come in its order.
        let mut fspec = 0;
        let mut any = false;
        loop {
            let b = *buf.get(fspec).ok_or(RecordError::FspecOverrun)?;
            fspec += 1;
            any |= b & 0xfe != 0;
            if b & 1 == 0 {
                break;
            }
        }
        if !any {
            return Err(RecordError::EmptyFspec);
        }
        let mut spare_callsign = out.callsign.take();
        let mut comm_b = std::mem::take(&mut out.comm_b);
        comm_b.clear();
        *out = Report {
            comm_b,
            ..Report::default()
        };
        let mut pos = fspec;
        for (octet, &b) in buf[..fspec].iter().enumerate() {
            let mut bits = b & 0xfe;
            while bits != 0 {
                let at = bits.leading_zeros() as usize;
                bits &= !(0x80 >> at);
                let frn = octet * 7 + at + 1;
                let slot = self
                    .slots
                    .get(frn - 1)
                    .and_then(Option::as_ref)
                    .ok_or(RecordError::UnknownItem { frn })?;
                let start = pos;
                pos = slot.layout.end(slot.item, buf, pos)?;
                if slot.known != Known::Other {
                    out.read_item(slot.known, &buf[start..pos], &mut spare_callsign);
                }
            }
        }
        Ok(pos)
    }

    /// Decodes every record of one data block (`block` starts at CAT): the zero-tree
    /// counterpart of [`crate::DataBlock::decode`].
    pub fn reports<'a>(&'a self, block: &'a [u8]) -> Reports<'a> {
        match block_header(block) {
            Ok((cat, block)) => Reports {
                decoder: self,
                cat,
                block,
                pos: 3,
                index: 0,
                header: None,
            },
            Err(e) => Reports {
                decoder: self,
                cat: 0,
                block: &[],
                pos: 0,
                index: 0,
                header: Some(e),
            },
        }
    }
}

impl Report {
    /// Fills the fields of one item from its octets. Offsets and masks follow the layouts of
    /// editions 1.27 and 1.32, identical for every field read here.
    /// `spare_callsign` is a buffer to reuse for I240.
    fn read_item(&mut self, known: Known, b: &[u8], spare_callsign: &mut Option<String>) {
        let be = |n: usize| {
            b.iter()
                .take(n)
                .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
        };
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        // Fixed-size items were sized from the table and variable ones walked, so `b` is
        // the whole item; the `len` guards keep the indexing sound for any table.
        match known {
            Known::I010 if b.len() == 2 => self.sac_sic = Some((b[0], b[1])),
            Known::I140 if b.len() == 3 => self.time_of_day_s = Some(be(3) as f64 * TIME_LSB),
            Known::I020 if !b.is_empty() => {
                let ext = b.get(1);
                self.descriptor = Some(Descriptor {
                    typ: b[0] >> 5,
                    simulated: b[0] & 0x10 != 0,
                    rdp_chain_2: b[0] & 0x08 != 0,
                    spi: b[0] & 0x04 != 0,
                    field_monitor: b[0] & 0x02 != 0,
                    test: ext.map(|e| e & 0x80 != 0),
                    military_emergency: ext.map(|e| e & 0x10 != 0),
                });
            }
            Known::I040 if b.len() == 4 => {
                self.polar = Some((
                    f64::from(u16_at(0)) * RHO_LSB,
                    f64::from(u16_at(2)) * ANGLE_LSB,
                ));
            }
            Known::I070 if b.len() == 2 => self.mode3a = Some(mode_code_bits(u16_at(0))),
            Known::I090 { signed } if b.len() == 2 => {
                let w = u16_at(0);
                let fl = sign_extend(u64::from(w & 0x3fff), 14, signed);
                self.flight_level = Some(FlightLevel {
                    fl: fl as f64 * 0.25,
                    validated: w & 0x8000 == 0,
                    garbled: w & 0x4000 != 0,
                });
            }
            Known::I130 => self.plot = Some(plot_bits(b)),
            Known::I220 if b.len() == 3 => self.address = Some(IcaoAddress::new(be(3) as u32)),
            Known::I240 if b.len() == 6 => {
                let mut text = spare_callsign.take().unwrap_or_default();
                text.clear();
                modes::push_icao_chars(be(6), 8, &mut text);
                self.callsign = Some(text);
            }
            Known::I250 if !b.is_empty() => {
                self.comm_b = b[1..]
                    .chunks_exact(8)
                    .map(|c| {
                        let mb = c[..7]
                            .iter()
                            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
                        CommB::decode(c[7], mb)
                    })
                    .collect();
            }
            Known::I161 if b.len() == 2 => self.track_number = Some(u16_at(0) & 0x0fff),
            Known::I042 if b.len() == 4 => {
                self.cartesian = Some((
                    f64::from(u16_at(0) as i16) * XY_LSB,
                    f64::from(u16_at(2) as i16) * XY_LSB,
                ));
            }
            Known::I200 if b.len() == 4 => {
                self.velocity = Some((
                    f64::from(u16_at(0)) * GSP_LSB * KT_PER_NM_S,
                    f64::from(u16_at(2)) * ANGLE_LSB,
                ));
            }
            Known::I170 if !b.is_empty() => {
                let ext = b.get(1);
                self.track_status = Some(TrackStatus {
                    confirmed: b[0] & 0x80 == 0,
                    rad: (b[0] >> 5) & 3,
                    doubtful: b[0] & 0x10 != 0,
                    manoeuvre: b[0] & 0x08 != 0,
                    climb_descent: (b[0] >> 1) & 3,
                    end_of_track: ext.map(|e| e & 0x80 != 0),
                    ghost: ext.map(|e| e & 0x40 != 0),
                });
            }
            Known::I110 if b.len() == 2 => {
                let h = sign_extend(u64::from(u16_at(0) & 0x3fff), 14, true);
                self.height_3d_ft = Some(h as f64 * 25.0);
            }
            Known::I230 if b.len() == 2 => {
                self.comms = Some(CommsCapability {
                    com: b[0] >> 5,
                    stat: (b[0] >> 2) & 7,
                    ii_capable: b[0] & 0x02 != 0,
                    mssc: b[1] & 0x80 != 0,
                    alt_25ft: b[1] & 0x40 != 0,
                    aic: b[1] & 0x20 != 0,
                    b1a: (b[1] >> 4) & 1,
                    b1b: b[1] & 0x0f,
                });
            }
            _ => {}
        }
    }
}

/// I140 time of day LSB, s.
const TIME_LSB: f64 = 1.0 / 128.0;
/// I040 RHO LSB, NM.
const RHO_LSB: f64 = 1.0 / 256.0;
/// I040 THETA and I200 HDG LSB, degrees.
const ANGLE_LSB: f64 = 360.0 / 65536.0;
/// I042 X/Y LSB, NM.
const XY_LSB: f64 = 1.0 / 128.0;
/// I200 GSP LSB, NM/s.
const GSP_LSB: f64 = 1.0 / 16384.0;
/// I130 SRL/PRL LSB, degrees.
const RUNLENGTH_LSB: f64 = 360.0 / 8192.0;

/// V, G, L and the 12-bit code of I070 (and I050).
fn mode_code_bits(w: u16) -> ModeCode {
    ModeCode {
        code: w & 0x0fff,
        validated: w & 0x8000 == 0,
        garbled: w & 0x4000 != 0,
        not_extracted: w & 0x2000 != 0,
    }
}

/// I130: primary subfield, then one octet per present subfield. The item walker checked that only
/// the seven defined subfields are announced and that their octets are there.
fn plot_bits(b: &[u8]) -> PlotCharacteristics {
    let fspec_len = b.iter().position(|x| x & 1 == 0).map_or(b.len(), |i| i + 1);
    let present = b.first().copied().unwrap_or(0);
    let mut data = b.get(fspec_len..).unwrap_or(&[]).iter().copied();
    let mut p = PlotCharacteristics::default();
    let mut next = |slot: u8| {
        (present & (0x80 >> slot) != 0)
            .then(|| data.next())
            .flatten()
    };
    p.ssr_runlength_deg = next(0).map(|v| f64::from(v) * RUNLENGTH_LSB);
    p.ssr_replies = next(1);
    p.ssr_amplitude_dbm = next(2).map(|v| f64::from(v as i8));
    p.psr_runlength_deg = next(3).map(|v| f64::from(v) * RUNLENGTH_LSB);
    p.psr_amplitude_dbm = next(4).map(|v| f64::from(v as i8));
    p.range_diff_nm = next(5).map(|v| f64::from(v as i8) * RHO_LSB);
    p.azimuth_diff_deg = next(6).map(|v| f64::from(v as i8) * (360.0 / 16384.0));
    p
}

/// Whether I090's FL element is two's complement in this table (1.32 yes, 1.27 no).
fn fl_is_signed(def: &Item) -> bool {
    match &def.var {
        Variation::Group(
            [
                ..,
                Field::Named(Named {
                    var:
                        Variation::Element(Element {
                            content: Content::Quantity { signed, .. },
                            ..
                        }),
                    ..
                }),
            ],
        ) => *signed,
        _ => true,
    }
}

/// Iterator returned by [`ReportDecoder::reports`]: one report per record, or the error that
/// ended the block (records have no length of their own, so nothing after a bad record can be
/// read).
#[derive(Debug, Clone)]
pub struct Reports<'a> {
    decoder: &'a ReportDecoder,
    cat: u8,
    block: &'a [u8],
    pos: usize,
    index: usize,
    header: Option<BlockError>,
}

impl Iterator for Reports<'_> {
    type Item = Result<Report, BlockError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.header.take() {
            return Some(Err(e));
        }
        let rest = self.block.get(self.pos..).filter(|r| !r.is_empty())?;
        match self.decoder.decode(rest) {
            Ok((report, used)) => {
                self.pos += used;
                self.index += 1;
                Some(Ok(report))
            }
            Err(source) => {
                let e = BlockError::Record {
                    cat: self.cat,
                    index: self.index,
                    offset: self.pos,
                    source,
                };
                self.block = &[];
                Some(Err(e))
            }
        }
    }
}
