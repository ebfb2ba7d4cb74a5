//! Writing CAT048 monoradar target reports from plain values.
//!
//! Exercises and the two-party demo feed simulated radar plots to centres over the real wire
//! format, so the scenario generator needs the radar's side of CAT048. [`PlotOut`] takes a
//! plot in the units the decoder's [`Report`](super::Report) gives back (NM, degrees, flight
//! levels, knots, seconds since midnight) and writes the record straight into a byte buffer:
//! every value is scaled to its field's LSB (rounded to the nearest) and range checked
//! first, then the octets are laid out by hand, so writing allocates nothing beyond the
//! output buffer. [`PlotOut::items`] gives the same record as values for the generic encoder
//! ([`crate::encode_record`] with [`crate::tables::CAT048`]); the tests hold the two
//! byte-identical and decode the output with both the engine and [`super::ReportDecoder`]
//! (`tests/cat048_out.rs`).
//!
//! Edition: 1.32, the crate's default. Every item written has the same layout in 1.27 except
//! I090, whose flight level 1.27 reads as unsigned: negative flight levels need 1.32.
//! Pack records into datagram-sized blocks with [`crate::BlockWriter`] (category 48), one
//! datagram per antenna sector or per scan.

use vigil_core::IcaoAddress;

use super::{CommsCapability, FlightLevel, ModeCode, PlotCharacteristics};
use crate::encode_fields::{callsign_bits, quantize, signed};
use crate::error::EncodeError;
use crate::value::Value;

/// I048/020 TYP: what the radar detected. It decides the items a plot carries: a primary
/// radar sees an echo and nothing else, so a [`PlotKind::Psr`] plot carries no Mode 3/A
/// code, flight level, address, identification or capability (those fields of [`PlotOut`]
/// are checked, then left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlotKind {
    /// 1: single PSR detection.
    Psr,
    /// 2: single SSR (Mode A/C) detection.
    Ssr,
    /// 3: SSR + PSR detection.
    SsrPsr,
    /// 4: single Mode S all-call.
    ModeSAllCall,
    /// 5: single Mode S roll-call.
    ModeSRollCall,
    /// 6: Mode S all-call + PSR.
    ModeSAllCallPsr,
    /// 7: Mode S roll-call + PSR.
    ModeSRollCallPsr,
}

impl PlotKind {
    /// Every kind, in TYP order.
    pub const ALL: [PlotKind; 7] = [
        PlotKind::Psr,
        PlotKind::Ssr,
        PlotKind::SsrPsr,
        PlotKind::ModeSAllCall,
        PlotKind::ModeSRollCall,
        PlotKind::ModeSAllCallPsr,
        PlotKind::ModeSRollCallPsr,
    ];

    /// The I048/020 TYP value (1..=7).
    pub fn typ(self) -> u8 {
        match self {
            PlotKind::Psr => 1,
            PlotKind::Ssr => 2,
            PlotKind::SsrPsr => 3,
            PlotKind::ModeSAllCall => 4,
            PlotKind::ModeSRollCall => 5,
            PlotKind::ModeSAllCallPsr => 6,
            PlotKind::ModeSRollCallPsr => 7,
        }
    }

    /// The kind of a TYP value; `None` for 0 (no detection) and values above 7.
    pub fn from_typ(typ: u8) -> Option<Self> {
        Self::ALL.get(usize::from(typ).checked_sub(1)?).copied()
    }

    /// Whether a transponder replied (SSR or Mode S): only then does the plot carry
    /// identity (Mode 3/A, flight level, address, identification, capability).
    pub fn has_transponder(self) -> bool {
        self != PlotKind::Psr
    }
}

/// I048/020 flags besides TYP and SIM. The default (all clear) is a real aircraft's
/// transponder seen on RDP chain 1; the first extension octet is sent only when one of its
/// flags is set (receivers read an absent extension as all zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DescriptorOut {
    /// RDP: report from RDP chain 2.
    pub rdp_chain_2: bool,
    /// SPI: special position identification (the pilot pressed IDENT).
    pub spi: bool,
    /// RAB: report from a field monitor (fixed transponder).
    pub field_monitor: bool,
    /// TST (first extension): test target report.
    pub test: bool,
    /// ME (first extension): military emergency.
    pub military_emergency: bool,
    /// MI (first extension): military identification.
    pub military_identification: bool,
}

/// One monoradar plot to write as a CAT048 record. Start from [`PlotOut::new`] (the items
/// every plot carries: I010, I140, I020, I040) and set the optional fields.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOut<'a> {
    /// I010 system area code of the radar.
    pub sac: u8,
    /// I010 system identification code of the radar.
    pub sic: u8,
    /// I140 time of day, seconds since UTC midnight (0 ≤ t ≤ 86,400; LSB 1/128 s; a time
    /// that rounds to 86,400 is sent as 0).
    pub time_of_day_s: f64,
    /// I020 TYP.
    pub kind: PlotKind,
    /// I020 SIM: simulated target report. Set it for exercise data, so that a receiver
    /// can always tell a scenario's plots from real ones.
    pub simulated: bool,
    /// I020 other flags.
    pub descriptor: DescriptorOut,
    /// I040 RHO, slant range from the antenna, NM (0 ≤ ρ < 256, LSB 1/256 NM).
    pub rho_nm: f64,
    /// I040 THETA, azimuth clockwise from north, degrees (0 ≤ θ ≤ 360, LSB 360/2^16; 360
    /// is sent as 0).
    pub theta_deg: f64,
    /// I070 Mode 3/A code: the 12 code bits (`0o7500` for 7500, as [`ModeCode::code`]
    /// decodes it; vigil-radar's `from_octal_nibbles` converts from the one-digit-per-nibble
    /// form) with V, G, L. Not sent for [`PlotKind::Psr`].
    pub mode3a: Option<ModeCode>,
    /// I090 flight level (−2,048 ≤ FL < 2,048, LSB 1/4 FL) with V, G. Not sent for
    /// [`PlotKind::Psr`].
    pub flight_level: Option<FlightLevel>,
    /// I130 radar plot characteristics: the subfields that are `Some` (the item is left
    /// out when none is). Runlengths 0..=11.2°, amplitudes −128..=127 dBm, range difference
    /// ±0.5 NM, azimuth difference ±2.8°.
    pub plot: Option<PlotCharacteristics>,
    /// I220 Mode S address. Not sent for [`PlotKind::Psr`].
    pub address: Option<IcaoAddress>,
    /// I240 aircraft identification: up to 8 of A-Z, 0-9 and space (padded with spaces).
    /// Not sent for [`PlotKind::Psr`].
    pub callsign: Option<&'a str>,
    /// I161 track number of the radar's local tracker (0..=4095).
    pub track_number: Option<u16>,
    /// I200 calculated track velocity: (ground speed kt, heading degrees). Ground speed
    /// 0 ≤ v < 14,400 kt (LSB 2^-14 NM/s), heading as THETA.
    pub velocity: Option<(f64, f64)>,
    /// I230 communications/ACAS capability and flight status (COM and STAT 0..=7, B1A
    /// 0..=1, B1B 0..=15). Not sent for [`PlotKind::Psr`].
    pub comms: Option<CommsCapability>,
}

impl ModeCode {
    /// A validated, not garbled code, extracted this scan: what a healthy transponder gives.
    /// `code` is the 12 code bits (`0o7500`).
    pub fn new(code: u16) -> Self {
        Self {
            code,
            validated: true,
            garbled: false,
            not_extracted: false,
        }
    }
}

impl FlightLevel {
    /// A validated, not garbled flight level (hundreds of feet).
    pub fn new(fl: f64) -> Self {
        Self {
            fl,
            validated: true,
            garbled: false,
        }
    }
}

impl<'a> PlotOut<'a> {
    /// A real (not simulated) plot with the items every record carries (I010, I140, I020,
    /// I040) and no optional item.
    pub fn new(
        sac: u8,
        sic: u8,
        time_of_day_s: f64,
        kind: PlotKind,
        rho_nm: f64,
        theta_deg: f64,
    ) -> Self {
        Self {
            sac,
            sic,
            time_of_day_s,
            kind,
            simulated: false,
            descriptor: DescriptorOut::default(),
            rho_nm,
            theta_deg,
            mode3a: None,
            flight_level: None,
            plot: None,
            address: None,
            callsign: None,
            track_number: None,
            velocity: None,
            comms: None,
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
        let mut out = Vec::with_capacity(48);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// The record as `(FRN, value)` pairs for the generic encoder with the CAT048 1.32
    /// table ([`crate::tables::CAT048`]): `encode_record(tables::CAT048, ...)` gives the
    /// same octets as [`PlotOut::encode`]. For callers that add items this writer does not
    /// know (I250 Comm-B, I170 track status...).
    pub fn items(&self) -> Result<Vec<(usize, Value)>, EncodeError> {
        Raw::new(self).map(|r| r.items())
    }
}

/// FRNs of the CAT048 UAP (identical in 1.27 and 1.32).
mod frn {
    pub const I010: usize = 1;
    pub const I140: usize = 2;
    pub const I020: usize = 3;
    pub const I040: usize = 4;
    pub const I070: usize = 5;
    pub const I090: usize = 6;
    pub const I130: usize = 7;
    pub const I220: usize = 8;
    pub const I240: usize = 9;
    pub const I161: usize = 11;
    pub const I200: usize = 13;
    pub const I230: usize = 21;
}

/// I140 LSB, s.
const TIME_LSB: f64 = 1.0 / 128.0;
/// I040 RHO and I130 RPD LSB, NM.
const RHO_LSB: f64 = 1.0 / 256.0;
/// I040 THETA and I200 HDG LSB, degrees.
const ANGLE_LSB: f64 = 360.0 / 65_536.0;
/// I200 GSP LSB in knots (2^-14 NM/s).
const GSP_LSB_KT: f64 = 3600.0 / 16_384.0;
/// I130 SRL / PRL LSB, degrees.
const RUNLENGTH_LSB: f64 = 360.0 / 8192.0;
/// I130 APD LSB, degrees.
const APD_LSB: f64 = 360.0 / 16_384.0;

/// The plot scaled to raw field values, every range checked.
struct Raw {
    sac: u8,
    sic: u8,
    time: u32,
    /// I020 octets without FX, and how many are sent.
    descriptor: [u8; 2],
    descriptor_parts: usize,
    rho: u16,
    theta: u16,
    /// I070 as sent: V G L spare code.
    mode3a: Option<u16>,
    /// I090 as sent: V G FL (14-bit two's complement).
    flight_level: Option<u16>,
    /// I130: (present bits, one per subfield in slot order, subfield octets in slot order).
    plot: Option<(u8, [u8; 7])>,
    address: Option<u32>,
    callsign: Option<u64>,
    track_number: Option<u16>,
    velocity: Option<(u16, u16)>,
    comms: Option<[u8; 2]>,
}

/// The low 16 bits, after [`quantize`] checked the range.
fn low16(v: i64) -> u16 {
    (v & 0xffff) as u16
}

/// The low 8 bits (two's complement for negative values), after [`quantize`] checked the
/// range.
fn low8(v: i64) -> u8 {
    (v & 0xff) as u8
}

/// An angle 0..=360° in 1/2^16 turns; 360° (or what rounds to it) is north again, 0.
fn angle(deg: f64, item: &'static str, field: &'static str) -> Result<u16, EncodeError> {
    quantize(deg, ANGLE_LSB, (0, 65_536), item, field).map(low16)
}

/// A raw field value checked against its width.
fn bits(value: u8, max: u8, item: &'static str, field: &'static str) -> Result<u8, EncodeError> {
    if value <= max {
        Ok(value)
    } else {
        Err(EncodeError::OutOfRange {
            item,
            field,
            value: f64::from(value),
            min: 0.0,
            max: f64::from(max),
        })
    }
}

/// I130 subfields, present mask (slot 0 in the top bit) and values in slot order.
fn plot_octets(p: &PlotCharacteristics) -> Result<Option<(u8, [u8; 7])>, EncodeError> {
    let unsigned8 = (0, 255);
    let q = |v: Option<f64>, lsb: f64, range, field| {
        v.map(|v| quantize(v, lsb, range, "130", field).map(low8))
            .transpose()
    };
    let subfields = [
        q(p.ssr_runlength_deg, RUNLENGTH_LSB, unsigned8, "SRL")?,
        p.ssr_replies,
        q(p.ssr_amplitude_dbm, 1.0, signed(8), "SAM")?,
        q(p.psr_runlength_deg, RUNLENGTH_LSB, unsigned8, "PRL")?,
        q(p.psr_amplitude_dbm, 1.0, signed(8), "PAM")?,
        q(p.range_diff_nm, RHO_LSB, signed(8), "RPD")?,
        q(p.azimuth_diff_deg, APD_LSB, signed(8), "APD")?,
    ];
    let mut present = 0u8;
    let mut values = [0u8; 7];
    for (slot, (v, out)) in subfields.iter().zip(values.iter_mut()).enumerate() {
        if let Some(v) = v {
            present |= 0x80 >> slot;
            *out = *v;
        }
    }
    // An I130 with no subfield would be an empty compound item: leave it out.
    Ok((present != 0).then_some((present, values)))
}

impl Raw {
    fn new(p: &PlotOut<'_>) -> Result<Self, EncodeError> {
        // A time that rounds up to 86,400 s is midnight, sent as 0: receivers place a time
        // of day in the day nearest their own clock.
        const DAY: i64 = 86_400 * 128;
        let time = quantize(p.time_of_day_s, TIME_LSB, (0, DAY), "140", "")? % DAY;
        let rho = low16(quantize(p.rho_nm, RHO_LSB, (0, 65_535), "040", "RHO")?);
        let theta = angle(p.theta_deg, "040", "THETA")?;
        let mode3a = p
            .mode3a
            .map(|m| {
                if m.code > 0o7777 {
                    return Err(EncodeError::OutOfRange {
                        item: "070",
                        field: "MODE3A",
                        value: f64::from(m.code),
                        min: 0.0,
                        max: f64::from(0o7777),
                    });
                }
                let flag = |b: bool, n: u32| u16::from(b) << n;
                Ok(flag(!m.validated, 15)
                    | flag(m.garbled, 14)
                    | flag(m.not_extracted, 13)
                    | m.code)
            })
            .transpose()?;
        let flight_level = p
            .flight_level
            .map(|f| {
                let fl = quantize(f.fl, 0.25, signed(14), "090", "FL")?;
                let flag = |b: bool, n: u32| u16::from(b) << n;
                Ok::<_, EncodeError>(
                    flag(!f.validated, 15) | flag(f.garbled, 14) | (low16(fl) & 0x3fff),
                )
            })
            .transpose()?;
        let plot = p.plot.as_ref().map(plot_octets).transpose()?.flatten();
        let callsign = p
            .callsign
            .map(|c| callsign_bits(c, "240", ""))
            .transpose()?;
        let track_number = p
            .track_number
            .map(|n| {
                if n <= 0x0fff {
                    Ok(n)
                } else {
                    Err(EncodeError::OutOfRange {
                        item: "161",
                        field: "TRN",
                        value: f64::from(n),
                        min: 0.0,
                        max: f64::from(0x0fff),
                    })
                }
            })
            .transpose()?;
        let velocity = p
            .velocity
            .map(|(gs, hdg)| {
                Ok::<_, EncodeError>((
                    low16(quantize(gs, GSP_LSB_KT, (0, 65_535), "200", "GSP")?),
                    angle(hdg, "200", "HDG")?,
                ))
            })
            .transpose()?;
        let comms = p
            .comms
            .map(|c| {
                let com = bits(c.com, 7, "230", "COM")?;
                let stat = bits(c.stat, 7, "230", "STAT")?;
                let b1a = bits(c.b1a, 1, "230", "B1A")?;
                let b1b = bits(c.b1b, 15, "230", "B1B")?;
                let flag = |b: bool, n: u32| u8::from(b) << n;
                Ok::<_, EncodeError>([
                    (com << 5) | (stat << 2) | flag(c.ii_capable, 1),
                    flag(c.mssc, 7) | flag(c.alt_25ft, 6) | flag(c.aic, 5) | (b1a << 4) | b1b,
                ])
            })
            .transpose()?;

        let flag = |b: bool, n: u32| u8::from(b) << n;
        let d = &p.descriptor;
        let descriptor = [
            (p.kind.typ() << 5)
                | flag(p.simulated, 4)
                | flag(d.rdp_chain_2, 3)
                | flag(d.spi, 2)
                | flag(d.field_monitor, 1),
            flag(d.test, 7) | flag(d.military_emergency, 4) | flag(d.military_identification, 3),
        ];
        let descriptor_parts = if descriptor[1] != 0 { 2 } else { 1 };

        // Everything was checked above, so a primary plot's identity fields are dropped
        // only after they were found valid: the same input fails the same way whatever
        // the kind.
        let ssr = p.kind.has_transponder();
        Ok(Self {
            sac: p.sac,
            sic: p.sic,
            time: time as u32,
            descriptor,
            descriptor_parts,
            rho,
            theta,
            mode3a: mode3a.filter(|_| ssr),
            flight_level: flight_level.filter(|_| ssr),
            plot,
            address: p.address.map(IcaoAddress::value).filter(|_| ssr),
            callsign: callsign.filter(|_| ssr),
            track_number,
            velocity,
            comms: comms.filter(|_| ssr),
        })
    }

    /// FRNs present, as a bit mask (bit `frn`).
    fn present(&self) -> u32 {
        let mut m = (1 << frn::I010) | (1 << frn::I140) | (1 << frn::I020) | (1 << frn::I040);
        let mut set = |on: bool, f: usize| {
            if on {
                m |= 1 << f;
            }
        };
        set(self.mode3a.is_some(), frn::I070);
        set(self.flight_level.is_some(), frn::I090);
        set(self.plot.is_some(), frn::I130);
        set(self.address.is_some(), frn::I220);
        set(self.callsign.is_some(), frn::I240);
        set(self.track_number.is_some(), frn::I161);
        set(self.velocity.is_some(), frn::I200);
        set(self.comms.is_some(), frn::I230);
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
        out.extend_from_slice(&self.time.to_be_bytes()[1..]);
        for (i, &b) in self.descriptor[..self.descriptor_parts].iter().enumerate() {
            out.push(b | u8::from(i + 1 < self.descriptor_parts));
        }
        out.extend_from_slice(&self.rho.to_be_bytes());
        out.extend_from_slice(&self.theta.to_be_bytes());
        for w in [self.mode3a, self.flight_level].into_iter().flatten() {
            out.extend_from_slice(&w.to_be_bytes());
        }
        if let Some((spec, values)) = self.plot {
            // Seven subfields fit one primary octet: FX stays clear.
            out.push(spec);
            for (slot, v) in values.iter().enumerate() {
                if spec & (0x80 >> slot) != 0 {
                    out.push(*v);
                }
            }
        }
        if let Some(a) = self.address {
            out.extend_from_slice(&a.to_be_bytes()[1..]);
        }
        if let Some(id) = self.callsign {
            out.extend_from_slice(&id.to_be_bytes()[2..]);
        }
        if let Some(n) = self.track_number {
            out.extend_from_slice(&n.to_be_bytes());
        }
        if let Some((gs, hdg)) = self.velocity {
            out.extend_from_slice(&gs.to_be_bytes());
            out.extend_from_slice(&hdg.to_be_bytes());
        }
        if let Some(c) = self.comms {
            out.extend_from_slice(&c);
        }
    }

    /// The same record as generic values (shaped like the CAT048 1.32 items).
    fn items(&self) -> Vec<(usize, Value)> {
        let e = Value::Element;
        // Bit fields of an octet, high first, as elements of the given widths.
        let split = |octet: u8, widths: &[u32]| -> Vec<Value> {
            let mut shift = 8;
            widths
                .iter()
                .map(|&w| {
                    shift -= w;
                    e(u64::from(octet >> shift) & ((1 << w) - 1))
                })
                .collect()
        };
        let mut items = vec![
            (
                frn::I010,
                Value::Group(vec![e(self.sac.into()), e(self.sic.into())]),
            ),
            (frn::I140, e(self.time.into())),
        ];
        // I020 fields per octet, FX excluded: TYP SIM RDP SPI RAB | TST ERR XPP ME MI FOEFRI.
        let widths: [&[u32]; 2] = [&[3, 1, 1, 1, 1], &[1, 1, 1, 1, 1, 2]];
        let parts = self.descriptor[..self.descriptor_parts]
            .iter()
            .zip(widths)
            .map(|(&octet, widths)| split(octet, widths))
            .collect();
        items.push((frn::I020, Value::Extended(parts)));
        items.push((
            frn::I040,
            Value::Group(vec![e(self.rho.into()), e(self.theta.into())]),
        ));
        if let Some(w) = self.mode3a {
            // V, G, L, spare, MODE3A.
            let top = split((w >> 8) as u8, &[1, 1, 1, 1]);
            let mut fields = top;
            fields.push(e(u64::from(w & 0x0fff)));
            items.push((frn::I070, Value::Group(fields)));
        }
        if let Some(w) = self.flight_level {
            let mut fields = split((w >> 8) as u8, &[1, 1]);
            fields.push(e(u64::from(w & 0x3fff)));
            items.push((frn::I090, Value::Group(fields)));
        }
        if let Some((spec, values)) = self.plot {
            let present = values
                .iter()
                .enumerate()
                .filter(|(slot, _)| spec & (0x80 >> slot) != 0)
                .map(|(slot, &v)| (slot, e(v.into())))
                .collect();
            items.push((
                frn::I130,
                Value::Compound {
                    present,
                    fspec_octets: 0,
                },
            ));
        }
        if let Some(a) = self.address {
            items.push((frn::I220, e(a.into())));
        }
        if let Some(id) = self.callsign {
            items.push((frn::I240, e(id)));
        }
        if let Some(n) = self.track_number {
            items.push((frn::I161, Value::Group(vec![e(0), e(n.into())])));
        }
        if let Some((gs, hdg)) = self.velocity {
            items.push((frn::I200, Value::Group(vec![e(gs.into()), e(hdg.into())])));
        }
        if let Some([a, b]) = self.comms {
            // COM STAT SI spare | MSSC ARC AIC B1A B1B.
            let mut fields = split(a, &[3, 3, 1, 1]);
            fields.extend(split(b, &[1, 1, 1, 1, 4]));
            items.push((frn::I230, Value::Group(fields)));
        }
        items
    }
}
