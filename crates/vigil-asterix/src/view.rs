//! Helpers for the typed views: the leaves of one item, looked up by path.

use crate::record::Record;
use crate::value::Leaf;

/// The leaves of one item of a record.
pub(crate) struct Fields(Vec<Leaf>);

impl Fields {
    /// The item's leaves, or `None` when the item is absent.
    pub(crate) fn of(rec: &Record<'_>, item: &str) -> Option<Self> {
        rec.item(item).map(|i| Self(i.leaves()))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Leaf> {
        self.0.iter()
    }

    pub(crate) fn leaf(&self, path: &str) -> Option<&Leaf> {
        self.0.iter().find(|l| l.path == path)
    }

    /// Raw bits.
    pub(crate) fn u(&self, path: &str) -> Option<u64> {
        self.leaf(path).map(|l| l.raw)
    }

    /// Raw bits of a field known to be at most 8 bits wide.
    pub(crate) fn u8(&self, path: &str) -> Option<u8> {
        self.u(path).map(|v| (v & 0xff) as u8)
    }

    /// Raw bits of a field known to be at most 16 bits wide.
    pub(crate) fn u16(&self, path: &str) -> Option<u16> {
        self.u(path).map(|v| (v & 0xffff) as u16)
    }

    /// A one-bit flag.
    pub(crate) fn flag(&self, path: &str) -> Option<bool> {
        self.u(path).map(|v| v != 0)
    }

    /// Physical value (quantity × LSB).
    pub(crate) fn f(&self, path: &str) -> Option<f64> {
        self.leaf(path).and_then(Leaf::value)
    }

    /// String content.
    pub(crate) fn text(&self, path: &str) -> Option<String> {
        self.leaf(path).and_then(Leaf::text)
    }
}

/// SAC/SIC from an I010 item.
pub(crate) fn sac_sic(rec: &Record<'_>) -> Option<(u8, u8)> {
    let f = Fields::of(rec, "010")?;
    Some((f.u8("SAC")?, f.u8("SIC")?))
}

/// A single-element item's physical value.
pub(crate) fn scalar(rec: &Record<'_>, item: &str) -> Option<f64> {
    Fields::of(rec, item)?.f("")
}

/// Knots per NM/s.
pub(crate) const KT_PER_NM_S: f64 = 3600.0;
