//! UDP payloads out of packet captures (classic pcap and pcapng), from bytes in memory.
//!
//! Surveillance feeds are recorded as captures of their multicast UDP streams; this module
//! only frames them (Ethernet, 802.1Q, Linux cooked, raw IP; IPv4 and IPv6; UDP), it reads
//! no files. IPv4 fragments are not reassembled: they are counted as other packets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use vigil_core::UnixTime;

/// Why a capture could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcapError {
    /// Neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng capture (magic {0:08x})")]
    BadMagic(u32),
    /// Shorter than a file header.
    #[error("capture shorter than its file header")]
    TooShort,
}

/// One UDP datagram of a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct UdpDatagram<'a> {
    /// Capture time.
    pub timestamp: UnixTime,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// The UDP payload.
    pub payload: &'a [u8],
}

/// The UDP datagrams of a capture.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capture<'a> {
    /// The datagrams, in capture order.
    pub datagrams: Vec<UdpDatagram<'a>>,
    /// Packets that were not (unfragmented) UDP, or of an unsupported link type.
    pub other_packets: usize,
    /// The capture ended inside a packet record (the rest was ignored).
    pub truncated: bool,
}

/// Reads a classic pcap (micro- or nanosecond, either byte order) or a pcapng capture.
pub fn read_capture(bytes: &[u8]) -> Result<Capture<'_>, PcapError> {
    let magic = u32_at(bytes, 0, false).ok_or(PcapError::TooShort)?;
    match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => classic(bytes, false, magic == 0xa1b2_3c4d),
        0xd4c3_b2a1 | 0x4d3c_b2a1 => classic(bytes, true, magic == 0x4d3c_b2a1),
        0x0a0d_0d0a => Ok(pcapng(bytes)),
        m => Err(PcapError::BadMagic(m)),
    }
}

fn u16_at(b: &[u8], off: usize, le: bool) -> Option<u16> {
    let a: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    })
}

fn u32_at(b: &[u8], off: usize, le: bool) -> Option<u32> {
    let a: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    })
}

fn classic(bytes: &[u8], le: bool, nanos: bool) -> Result<Capture<'_>, PcapError> {
    let link = u32_at(bytes, 20, le).ok_or(PcapError::TooShort)?;
    let mut cap = Capture::default();
    let mut pos = 24;
    while pos < bytes.len() {
        let (Some(sec), Some(frac), Some(incl)) = (
            u32_at(bytes, pos, le),
            u32_at(bytes, pos + 4, le),
            u32_at(bytes, pos + 8, le),
        ) else {
            cap.truncated = true;
            break;
        };
        let start = pos + 16;
        let Some(data) = bytes.get(start..start.saturating_add(incl as usize)) else {
            cap.truncated = true;
            break;
        };
        let ts = f64::from(sec) + f64::from(frac) * if nanos { 1e-9 } else { 1e-6 };
        cap.push(link, UnixTime(ts), data);
        pos = start + data.len();
    }
    Ok(cap)
}

fn pcapng(bytes: &[u8]) -> Capture<'_> {
    let mut cap = Capture::default();
    // Per section: byte order, and per interface: (link type, seconds per timestamp unit).
    let mut le = true;
    let mut ifaces: Vec<(u32, f64)> = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(btype) = u32_at(bytes, pos, le) else {
            cap.truncated = true;
            break;
        };
        if btype == 0x0a0d_0d0a {
            // The byte-order magic decides how to read everything in this section.
            le = match u32_at(bytes, pos + 8, true) {
                Some(0x1a2b_3c4d) => true,
                Some(0x4d3c_2b1a) => false,
                _ => {
                    cap.truncated = true;
                    break;
                }
            };
            ifaces.clear();
        }
        let Some(len) = u32_at(bytes, pos + 4, le).map(|l| l as usize) else {
            cap.truncated = true;
            break;
        };
        let Some(block) = bytes
            .get(pos..pos.saturating_add(len))
            .filter(|_| len >= 12 && len % 4 == 0)
        else {
            cap.truncated = true;
            break;
        };
        let body = &block[8..len - 4];
        match btype {
            1 => {
                let link = u32::from(u16_at(body, 0, le).unwrap_or(0));
                ifaces.push((link, if_tsresol(body.get(8..).unwrap_or(&[]), le)));
            }
            6 => {
                let iface = u32_at(body, 0, le)
                    .and_then(|i| ifaces.get(i as usize))
                    .copied();
                let ts = u32_at(body, 4, le).zip(u32_at(body, 8, le));
                let data = u32_at(body, 12, le).and_then(|n| body.get(20..20 + n as usize));
                match (iface, ts, data) {
                    (Some((link, unit)), Some((hi, lo)), Some(data)) => {
                        let t = ((u64::from(hi) << 32) | u64::from(lo)) as f64 * unit;
                        cap.push(link, UnixTime(t), data);
                    }
                    _ => cap.other_packets += 1,
                }
            }
            3 => {
                // Simple packet block: no timestamp, interface 0, data up to the snap length.
                match (ifaces.first(), u32_at(body, 0, le)) {
                    (Some(&(link, _)), Some(n)) => {
                        let data = &body[4..body.len().min(4 + n as usize)];
                        cap.push(link, UnixTime(0.0), data);
                    }
                    _ => cap.other_packets += 1,
                }
            }
            _ => {}
        }
        pos += len;
    }
    cap
}

/// The `if_tsresol` option of an interface description block (default microseconds).
fn if_tsresol(mut opts: &[u8], le: bool) -> f64 {
    while let (Some(code), Some(len)) = (u16_at(opts, 0, le), u16_at(opts, 2, le)) {
        let len = usize::from(len);
        if code == 0 {
            break;
        }
        if let Some(&v) = opts.get(4).filter(|_| code == 9 && len == 1) {
            // High bit clear: a power of ten; set: a power of two.
            let exp = i32::from(v & 0x7f);
            return if v & 0x80 == 0 {
                10f64.powi(-exp)
            } else {
                2f64.powi(-exp)
            };
        }
        let padded = 4 + len.div_ceil(4) * 4;
        let Some(rest) = opts.get(padded..) else {
            break;
        };
        opts = rest;
    }
    1e-6
}

impl<'a> Capture<'a> {
    fn push(&mut self, link: u32, timestamp: UnixTime, frame: &'a [u8]) {
        match link_payload(link, frame).and_then(|(ethertype, ip)| udp(ethertype, ip)) {
            Some((src, dst, payload)) => self.datagrams.push(UdpDatagram {
                timestamp,
                src,
                dst,
                payload,
            }),
            None => self.other_packets += 1,
        }
    }
}

/// The network-layer packet of a link-layer frame, with its EtherType.
fn link_payload(link: u32, frame: &[u8]) -> Option<(u16, &[u8])> {
    match link {
        // Ethernet, with any number of 802.1Q / 802.1ad tags.
        1 => {
            let mut off = 12;
            let mut ethertype = u16_at(frame, off, false)?;
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                off += 4;
                ethertype = u16_at(frame, off, false)?;
            }
            Some((ethertype, frame.get(off + 2..)?))
        }
        // Linux cooked capture v1 and v2.
        113 => Some((u16_at(frame, 14, false)?, frame.get(16..)?)),
        276 => Some((u16_at(frame, 0, false)?, frame.get(20..)?)),
        // Raw IP: the version nibble tells which.
        12 | 14 | 101 | 228 | 229 => {
            let v = frame.first()? >> 4;
            Some((if v == 6 { 0x86dd } else { 0x0800 }, frame))
        }
        // BSD loopback: 4-byte address family in host order; the version nibble is enough.
        0 | 108 => {
            let ip = frame.get(4..)?;
            Some((
                if ip.first()? >> 4 == 6 {
                    0x86dd
                } else {
                    0x0800
                },
                ip,
            ))
        }
        _ => None,
    }
}

type Udp<'a> = (SocketAddr, SocketAddr, &'a [u8]);

fn udp(ethertype: u16, ip: &[u8]) -> Option<Udp<'_>> {
    let (src, dst, seg) = match ethertype {
        0x0800 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            let total = usize::from(u16_at(ip, 2, false)?);
            let frag = u16_at(ip, 6, false)?;
            // More-fragments set or a non-zero offset: not a whole datagram.
            if ip[0] >> 4 != 4 || ihl < 20 || *ip.get(9)? != 17 || frag & 0x3fff != 0 {
                return None;
            }
            let a: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let b: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            // Ethernet pads short frames: the IP total length bounds the packet.
            let seg = ip.get(ihl..total.min(ip.len()))?;
            (
                IpAddr::V4(Ipv4Addr::from(a)),
                IpAddr::V4(Ipv4Addr::from(b)),
                seg,
            )
        }
        0x86dd => {
            if *ip.get(6)? != 17 {
                return None;
            }
            let a: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let b: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            let plen = usize::from(u16_at(ip, 4, false)?);
            (
                IpAddr::V6(Ipv6Addr::from(a)),
                IpAddr::V6(Ipv6Addr::from(b)),
                ip.get(40..(40 + plen).min(ip.len()))?,
            )
        }
        _ => return None,
    };
    let sport = u16_at(seg, 0, false)?;
    let dport = u16_at(seg, 2, false)?;
    let ulen = usize::from(u16_at(seg, 4, false)?);
    if ulen < 8 {
        return None;
    }
    let payload = seg.get(8..ulen.min(seg.len()))?;
    Some((
        SocketAddr::new(src, sport),
        SocketAddr::new(dst, dport),
        payload,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.
mod tests {
    use super::*;

    /// An Ethernet/IPv4/UDP frame carrying `payload`.
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
        ]);
        f.extend_from_slice(&[10, 0, 0, 1, 239, 1, 2, 3]);
        let ulen = (8 + payload.len()) as u16;
        f.extend_from_slice(&[0x1f, 0x40, 0x1f, 0x41, (ulen >> 8) as u8, ulen as u8, 0, 0]);
        f.extend_from_slice(payload);
        f
    }

    fn classic_file(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for (i, f) in frames.iter().enumerate() {
            b.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
            b.extend_from_slice(&500_000u32.to_le_bytes());
            b.extend_from_slice(&(f.len() as u32).to_le_bytes());
            b.extend_from_slice(&(f.len() as u32).to_le_bytes());
            b.extend_from_slice(f);
        }
        b
    }

    fn pcapng_file(frames: &[Vec<u8>]) -> Vec<u8> {
        fn block(t: u32, body: &[u8]) -> Vec<u8> {
            let mut body = body.to_vec();
            while !body.len().is_multiple_of(4) {
                body.push(0);
            }
            let len = (12 + body.len()) as u32;
            let mut b = t.to_le_bytes().to_vec();
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&body);
            b.extend_from_slice(&len.to_le_bytes());
            b
        }
        let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        shb.extend_from_slice(&[1, 0, 0, 0]);
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        let mut out = block(0x0a0d_0d0a, &shb);
        // Interface with if_tsresol = 9 (nanoseconds).
        let idb = [
            1, 0, 0, 0, 0xff, 0xff, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0,
        ];
        out.extend(block(1, &idb));
        for f in frames {
            let ts: u64 = 1_700_000_000_250_000_000;
            let mut epb = 0u32.to_le_bytes().to_vec();
            epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            epb.extend_from_slice(&(ts as u32).to_le_bytes());
            epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
            epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
            epb.extend_from_slice(f);
            out.extend(block(6, &epb));
        }
        out
    }

    #[test]
    fn classic_and_pcapng_give_the_same_payloads() {
        let frames = [frame(&[0x30, 0, 3]), frame(b"hello asterix")];
        for bytes in [classic_file(&frames), pcapng_file(&frames)] {
            let cap = read_capture(&bytes).unwrap();
            assert_eq!(cap.other_packets, 0);
            assert!(!cap.truncated);
            let payloads: Vec<&[u8]> = cap.datagrams.iter().map(|d| d.payload).collect();
            assert_eq!(payloads, vec![&[0x30, 0, 3][..], b"hello asterix"]);
            assert_eq!(cap.datagrams[0].dst.to_string(), "239.1.2.3:8001");
            assert!((cap.datagrams[0].timestamp.secs() - 1_700_000_000.25).abs() < 0.3);
        }
    }

    #[test]
    fn truncation_and_garbage_are_reported_not_panicked() {
        let bytes = classic_file(&[frame(b"abc")]);
        let cap = read_capture(&bytes[..bytes.len() - 1]).unwrap();
        assert!(cap.truncated && cap.datagrams.is_empty());
        assert_eq!(read_capture(b"xyz"), Err(PcapError::TooShort));
        assert!(matches!(
            read_capture(b"not a capture at all"),
            Err(PcapError::BadMagic(_))
        ));
    }
}
