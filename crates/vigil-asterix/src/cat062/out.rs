//! Writing CAT062 track records from plain values.
//!
//! A centre sends its system tracks to displays and partners as CAT062. [`TrackOut`] takes
//! the values in the units a tracker holds (degrees, metres, feet, seconds) and writes the
//! record straight into a byte buffer: scaling to each field's LSB (rounded to the nearest)
//! and range checks are shared, then the octets are laid out by hand, because building the
//! generic engine's value tree costs an allocation per item and the writer runs once per
//! track per update cycle. [`TrackOut::items`] gives the same record as values for the
//! generic encoder ([`crate::encode_record`]); the tests hold the two byte-identical
//! (`tests/cat062_writer.rs`).
//!
//! Every item written has the same layout in editions 1.18 and 1.21 (I080 up to its fourth
//! octet, I380 subfields ADR and ID), so either edition decodes the output. Pack records
//! into datagram-sized blocks with [`crate::BlockWriter`].

use vigil_core::{IcaoAddress, LatLon};

use crate::encode_fields::{callsign_bits, quantize, signed};
use crate::error::EncodeError;
use crate::value::Value;

/// I062/080 flags a writer sets. The default is a confirmed multisensor track with nothing
/// else to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusOut {
    /// MON: the track is updated by one sensor only.
    pub monosensor: bool,
    /// SPI present in the last report.
    pub spi: bool,
    /// SRC (0..=7): source of the geometric altitude in I062/130 (0 none, 1 GNSS, 2 3D
    /// radar, 3 triangulation, 4 height from coverage, 5 speed look-up table, 6 default
    /// height, 7 multilateration).
    pub altitude_source: u8,
    /// CNF: tentative (not yet confirmed) track.
    pub tentative: bool,
    /// SIM: simulated track.
    pub simulated: bool,
    /// TSE: last message for this track.
    pub end_of_track: bool,
    /// TSB: first message for this track.
    pub start_of_track: bool,
    /// FPC: correlated with a flight plan.
    pub flight_plan_correlated: bool,
    /// CST: coasting, no sensor updated the track at the last update.
    pub coasting: bool,
}

/// I062/290 system track update ages, seconds since the last update of each kind. Ages
/// above a subfield's maximum (63.75 s) are sent as the maximum: the standard's way of
/// saying "at least that old".
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AgesOut {
    /// TRK: since the track's last update by any sensor.
    pub track: Option<f64>,
    /// PSR: since the last primary radar update.
    pub psr: Option<f64>,
    /// SSR: since the last secondary radar update.
    pub ssr: Option<f64>,
    /// MDS: since the last Mode S update.
    pub mode_s: Option<f64>,
    /// ES: since the last ADS-B 1090 extended squitter update.
    pub es: Option<f64>,
    /// MLT: since the last multilateration update.
    pub mlat: Option<f64>,
}

/// One system track to write as a CAT062 record. Start from [`TrackOut::new`] (the items
/// every track carries) and set the optional fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackOut<'a> {
    /// I010 system area code of the sender.
    pub sac: u8,
    /// I010 system identification code of the sender.
    pub sic: u8,
    /// I015 service identification.
    pub service_id: Option<u8>,
    /// I040 track number.
    pub track_number: u16,
    /// I070 time of track information, seconds since UTC midnight (0 ≤ t ≤ 86,400; LSB
    /// 1/128 s).
    pub time_of_track_s: f64,
    /// I105 WGS-84 position, degrees.
    pub position: LatLon,
    /// I100 cartesian position in the system's plane (x east, y north), metres.
    pub cartesian_m: Option<(f64, f64)>,
    /// I185 velocity (vx east, vy north), m/s.
    pub velocity_m_s: Option<(f64, f64)>,
    /// I060 Mode 3/A code: the 12 code bits, so `0o7700` for 7700. Sent validated, not
    /// garbled, unchanged.
    pub mode3a: Option<u16>,
    /// I380/ADR target address.
    pub address: Option<IcaoAddress>,
    /// I380/ID target identification: up to 8 of A-Z, 0-9 and space (padded with spaces).
    pub callsign: Option<&'a str>,
    /// I136 measured flight level, given as pressure altitude in feet (sent in 1/4 FL).
    pub measured_altitude_ft: Option<f64>,
    /// I130 calculated geometric altitude, feet (LSB 6.25 ft).
    pub geometric_altitude_ft: Option<f64>,
    /// I135 calculated barometric altitude, feet (sent in 1/4 FL, QNH correction not
    /// applied).
    pub barometric_altitude_ft: Option<f64>,
    /// I220 rate of climb (negative: descent), ft/min (LSB 6.25 ft/min).
    pub rate_of_climb_ft_min: Option<f64>,
    /// I080 track status.
    pub status: StatusOut,
    /// I290 update ages.
    pub ages: Option<AgesOut>,
}

impl<'a> TrackOut<'a> {
    /// A track with the items every record carries (I010, I040, I070, I080, I105) and no
    /// optional item.
    pub fn new(
        sac: u8,
        sic: u8,
        track_number: u16,
        time_of_track_s: f64,
        position: LatLon,
    ) -> Self {
        Self {
            sac,
            sic,
            service_id: None,
            track_number,
            time_of_track_s,
            position,
            cartesian_m: None,
            velocity_m_s: None,
            mode3a: None,
            address: None,
            callsign: None,
            measured_altitude_ft: None,
            geometric_altitude_ft: None,
            barometric_altitude_ft: None,
            rate_of_climb_ft_min: None,
            status: StatusOut::default(),
            ages: None,
        }
    }

    /// Appends the encoded record to `out`. On error `out` is left as it was.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let raw = Raw::new(self)?;
        raw.write(out);
        Ok(())
    }

    /// The encoded record.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// The record as `(FRN, value)` pairs for the generic encoder with the CAT062 1.21
    /// table ([`crate::tables::CAT062`]): `encode_record(tables::CAT062, ...)` gives the
    /// same octets as [`TrackOut::encode`]. For callers that add items this writer does not
    /// know.
    pub fn items(&self) -> Result<Vec<(usize, Value)>, EncodeError> {
        Raw::new(self).map(|r| r.items())
    }
}

/// The track scaled to raw field values, every range checked.
struct Raw {
    sac: u8,
    sic: u8,
    service_id: Option<u8>,
    time: u32,
    lat: i32,
    lon: i32,
    cartesian: Option<(i32, i32)>,
    velocity: Option<(i16, i16)>,
    mode3a: Option<u16>,
    address: Option<u32>,
    callsign: Option<u64>,
    track_number: u16,
    status: [u8; 4],
    status_parts: usize,
    /// (slot in I290's primary subfield, age in 1/4 s).
    ages: Option<[Option<u8>; 6]>,
    measured_fl: Option<i16>,
    geometric_alt: Option<i16>,
    barometric_fl: Option<i16>,
    rate_of_climb: Option<i16>,
}

/// I290 slots of [`AgesOut`]'s fields, in order: TRK, PSR, SSR, MDS, ES, MLT.
const AGE_SLOTS: [usize; 6] = [0, 1, 2, 3, 5, 9];

/// FRNs of the CAT062 UAP (identical in 1.18 and 1.21).
mod frn {
    pub const I010: usize = 1;
    pub const I015: usize = 3;
    pub const I070: usize = 4;
    pub const I105: usize = 5;
    pub const I100: usize = 6;
    pub const I185: usize = 7;
    pub const I060: usize = 9;
    pub const I380: usize = 11;
    pub const I040: usize = 12;
    pub const I080: usize = 13;
    pub const I290: usize = 14;
    pub const I136: usize = 17;
    pub const I130: usize = 18;
    pub const I135: usize = 19;
    pub const I220: usize = 20;
}

/// Narrowing after [`quantize`] checked the range, so the fallback is never taken.
fn i16_of(v: i64) -> i16 {
    i16::try_from(v).unwrap_or_default()
}

/// Age in 1/4 s, saturated at the 8-bit maximum (63.75 s).
fn age_quarters(age: f64, field: &'static str) -> Result<u8, EncodeError> {
    if age.is_nan() || age < 0.0 {
        return Err(EncodeError::OutOfRange {
            item: "290",
            field,
            value: age,
            min: 0.0,
            max: f64::INFINITY,
        });
    }
    Ok((age * 4.0).round().min(255.0) as u8)
}

impl Raw {
    fn new(t: &TrackOut<'_>) -> Result<Self, EncodeError> {
        // A time that rounds up to 86,400 s is midnight, sent as 0: receivers place a time
        // of day in the day nearest their own clock.
        const DAY: i64 = 86_400 * 128;
        let time = quantize(t.time_of_track_s, 1.0 / 128.0, (0, DAY), "070", "ToT")? % DAY;
        const LATLON_LSB: f64 = 180.0 / 33_554_432.0; // 2^25
        let lat = quantize(
            t.position.lat,
            LATLON_LSB,
            (-(1 << 24), 1 << 24),
            "105",
            "LAT",
        )?;
        let lon = quantize(
            t.position.lon,
            LATLON_LSB,
            (-(1 << 25), 1 << 25),
            "105",
            "LON",
        )?;
        let cartesian = t
            .cartesian_m
            .map(|(x, y)| {
                Ok::<_, EncodeError>((
                    quantize(x, 0.5, signed(24), "100", "X")? as i32,
                    quantize(y, 0.5, signed(24), "100", "Y")? as i32,
                ))
            })
            .transpose()?;
        let velocity = t
            .velocity_m_s
            .map(|(vx, vy)| {
                Ok::<_, EncodeError>((
                    i16_of(quantize(vx, 0.25, signed(16), "185", "VX")?),
                    i16_of(quantize(vy, 0.25, signed(16), "185", "VY")?),
                ))
            })
            .transpose()?;
        let mode3a = t
            .mode3a
            .map(|c| {
                if c <= 0o7777 {
                    Ok(c)
                } else {
                    Err(EncodeError::OutOfRange {
                        item: "060",
                        field: "MODE3A",
                        value: f64::from(c),
                        min: 0.0,
                        max: f64::from(0o7777),
                    })
                }
            })
            .transpose()?;
        let callsign = t
            .callsign
            .map(|c| callsign_bits(c, "380", "ID"))
            .transpose()?;
        let fl = |ft: f64, bits: u32, item: &'static str, field: &'static str| {
            quantize(ft / 100.0, 0.25, signed(bits), item, field)
        };
        let measured_fl = t
            .measured_altitude_ft
            .map(|ft| fl(ft, 16, "136", "MFL").map(i16_of))
            .transpose()?;
        let barometric_fl = t
            .barometric_altitude_ft
            .map(|ft| fl(ft, 15, "135", "CTB").map(i16_of))
            .transpose()?;
        let geometric_alt = t
            .geometric_altitude_ft
            .map(|ft| quantize(ft, 6.25, signed(16), "130", "ALT").map(i16_of))
            .transpose()?;
        let rate_of_climb = t
            .rate_of_climb_ft_min
            .map(|r| quantize(r, 6.25, signed(16), "220", "ROC").map(i16_of))
            .transpose()?;
        let ages = t
            .ages
            .map(|a| {
                let fields = [
                    (a.track, "TRK"),
                    (a.psr, "PSR"),
                    (a.ssr, "SSR"),
                    (a.mode_s, "MDS"),
                    (a.es, "ES"),
                    (a.mlat, "MLT"),
                ];
                let mut out = [None; 6];
                for (o, (age, name)) in out.iter_mut().zip(fields) {
                    *o = age.map(|v| age_quarters(v, name)).transpose()?;
                }
                Ok::<_, EncodeError>(out)
            })
            .transpose()?
            // An I290 with no subfield would be an empty compound item: leave it out.
            .filter(|a| a.iter().any(Option::is_some));
        let s = &t.status;
        if s.altitude_source > 7 {
            return Err(EncodeError::OutOfRange {
                item: "080",
                field: "SRC",
                value: f64::from(s.altitude_source),
                min: 0.0,
                max: 7.0,
            });
        }
        let bit = |b: bool, n: u32| u8::from(b) << n;
        let status = [
            bit(s.monosensor, 7) | bit(s.spi, 6) | (s.altitude_source << 2) | bit(s.tentative, 1),
            bit(s.simulated, 7)
                | bit(s.end_of_track, 6)
                | bit(s.start_of_track, 5)
                | bit(s.flight_plan_correlated, 4),
            0,
            bit(s.coasting, 7),
        ];
        // The shortest FX chain that carries every set flag: receivers read an absent
        // extension as all zeros.
        let status_parts = status.iter().rposition(|&b| b != 0).map_or(1, |i| i + 1);
        Ok(Self {
            sac: t.sac,
            sic: t.sic,
            service_id: t.service_id,
            time: time as u32,
            lat: lat as i32,
            lon: lon as i32,
            cartesian,
            velocity,
            mode3a,
            address: t.address.map(IcaoAddress::value),
            callsign,
            track_number: t.track_number,
            status,
            status_parts,
            ages,
            measured_fl,
            geometric_alt,
            barometric_fl,
            rate_of_climb,
        })
    }

    /// FRNs present, as a bit mask (bit `frn`).
    fn present(&self) -> u32 {
        let mut m = (1 << frn::I010)
            | (1 << frn::I070)
            | (1 << frn::I105)
            | (1 << frn::I040)
            | (1 << frn::I080);
        let mut set = |on: bool, f: usize| {
            if on {
                m |= 1 << f;
            }
        };
        set(self.service_id.is_some(), frn::I015);
        set(self.cartesian.is_some(), frn::I100);
        set(self.velocity.is_some(), frn::I185);
        set(self.mode3a.is_some(), frn::I060);
        set(self.address.is_some() || self.callsign.is_some(), frn::I380);
        set(self.ages.is_some(), frn::I290);
        set(self.measured_fl.is_some(), frn::I136);
        set(self.geometric_alt.is_some(), frn::I130);
        set(self.barometric_fl.is_some(), frn::I135);
        set(self.rate_of_climb.is_some(), frn::I220);
        m
    }

    /// The fast writer: octets in UAP order, each item laid out as the table describes it.
    fn write(&self, out: &mut Vec<u8>) {
        let present = self.present();
        // FSPEC: the minimal number of octets, FX set on all but the last.
        let last = 31 - present.leading_zeros() as usize;
        let octets = (last - 1) / 7 + 1;
        for o in 0..octets {
            let mut b = u8::from(o + 1 < octets);
            for i in 0..7 {
                if present & (1 << (o * 7 + i + 1)) != 0 {
                    b |= 0x80 >> i;
                }
            }
            out.push(b);
        }
        out.extend_from_slice(&[self.sac, self.sic]);
        if let Some(sid) = self.service_id {
            out.push(sid);
        }
        out.extend_from_slice(&self.time.to_be_bytes()[1..]);
        out.extend_from_slice(&self.lat.to_be_bytes());
        out.extend_from_slice(&self.lon.to_be_bytes());
        if let Some((x, y)) = self.cartesian {
            out.extend_from_slice(&x.to_be_bytes()[1..]);
            out.extend_from_slice(&y.to_be_bytes()[1..]);
        }
        if let Some((vx, vy)) = self.velocity {
            out.extend_from_slice(&vx.to_be_bytes());
            out.extend_from_slice(&vy.to_be_bytes());
        }
        if let Some(code) = self.mode3a {
            out.extend_from_slice(&code.to_be_bytes());
        }
        if self.address.is_some() || self.callsign.is_some() {
            out.push(
                if self.address.is_some() { 0x80 } else { 0 }
                    | if self.callsign.is_some() { 0x40 } else { 0 },
            );
            if let Some(a) = self.address {
                out.extend_from_slice(&a.to_be_bytes()[1..]);
            }
            if let Some(id) = self.callsign {
                out.extend_from_slice(&id.to_be_bytes()[2..]);
            }
        }
        out.extend_from_slice(&self.track_number.to_be_bytes());
        for (i, &b) in self.status[..self.status_parts].iter().enumerate() {
            out.push(b | u8::from(i + 1 < self.status_parts));
        }
        if let Some(ages) = &self.ages {
            let mut spec = [0u8; 2];
            for (&slot, age) in AGE_SLOTS.iter().zip(ages) {
                if age.is_some() {
                    spec[slot / 7] |= 0x80 >> (slot % 7);
                }
            }
            if spec[1] != 0 {
                out.extend_from_slice(&[spec[0] | 1, spec[1]]);
            } else {
                out.push(spec[0]);
            }
            out.extend(ages.iter().flatten());
        }
        for v in [self.measured_fl, self.geometric_alt].into_iter().flatten() {
            out.extend_from_slice(&v.to_be_bytes());
        }
        if let Some(ctb) = self.barometric_fl {
            // QNH = 0, then CTB in 15 bits.
            out.extend_from_slice(&((ctb as u16) & 0x7fff).to_be_bytes());
        }
        if let Some(v) = self.rate_of_climb {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }

    /// The same record as generic values (shaped like the CAT062 1.21 items).
    fn items(&self) -> Vec<(usize, Value)> {
        let e = Value::Element;
        // Two's complement of `v` in `bits` bits, as the engine stores raw bits.
        let tc = |v: i64, bits: u32| Value::Element((v as u64) & ((1u64 << bits) - 1));
        let mut items = vec![(
            frn::I010,
            Value::Group(vec![e(self.sac.into()), e(self.sic.into())]),
        )];
        if let Some(sid) = self.service_id {
            items.push((frn::I015, e(sid.into())));
        }
        items.push((frn::I070, e(self.time.into())));
        items.push((
            frn::I105,
            Value::Group(vec![tc(self.lat.into(), 32), tc(self.lon.into(), 32)]),
        ));
        if let Some((x, y)) = self.cartesian {
            items.push((
                frn::I100,
                Value::Group(vec![tc(x.into(), 24), tc(y.into(), 24)]),
            ));
        }
        if let Some((vx, vy)) = self.velocity {
            items.push((
                frn::I185,
                Value::Group(vec![tc(vx.into(), 16), tc(vy.into(), 16)]),
            ));
        }
        if let Some(code) = self.mode3a {
            // V, G, CH, spare, MODE3A.
            let fields = vec![e(0), e(0), e(0), e(0), e(code.into())];
            items.push((frn::I060, Value::Group(fields)));
        }
        let mut adr_id = Vec::new();
        if let Some(a) = self.address {
            adr_id.push((0, e(a.into())));
        }
        if let Some(id) = self.callsign {
            adr_id.push((1, e(id)));
        }
        if !adr_id.is_empty() {
            items.push((
                frn::I380,
                Value::Compound {
                    present: adr_id,
                    fspec_octets: 0,
                },
            ));
        }
        items.push((frn::I040, e(self.track_number.into())));
        // I080 fields per octet, FX excluded: MON SPI MRH SRC CNF | SIM TSE TSB FPC AFF STP
        // KOS | AMA MD4 ME MI MD5 | CST PSR SSR MDS ADS SUC AAC.
        let widths: [&[u32]; 4] = [&[1, 1, 1, 3, 1], &[1; 7], &[1, 2, 1, 1, 2], &[1; 7]];
        let parts = self.status[..self.status_parts]
            .iter()
            .zip(widths)
            .map(|(&octet, widths)| {
                let mut shift = 8;
                widths
                    .iter()
                    .map(|&w| {
                        shift -= w;
                        e(u64::from(octet >> shift) & ((1 << w) - 1))
                    })
                    .collect()
            })
            .collect();
        items.push((frn::I080, Value::Extended(parts)));
        if let Some(ages) = &self.ages {
            let present = AGE_SLOTS
                .iter()
                .zip(ages)
                .filter_map(|(&slot, age)| age.map(|a| (slot, e(a.into()))))
                .collect();
            items.push((
                frn::I290,
                Value::Compound {
                    present,
                    fspec_octets: 0,
                },
            ));
        }
        if let Some(v) = self.measured_fl {
            items.push((frn::I136, tc(v.into(), 16)));
        }
        if let Some(v) = self.geometric_alt {
            items.push((frn::I130, tc(v.into(), 16)));
        }
        if let Some(v) = self.barometric_fl {
            items.push((frn::I135, Value::Group(vec![e(0), tc(v.into(), 15)])));
        }
        if let Some(v) = self.rate_of_climb {
            items.push((frn::I220, tc(v.into(), 16)));
        }
        items
    }
}
