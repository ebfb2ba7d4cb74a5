//! The shape of ASTERIX item definitions, as static tables.
//!
//! The tables themselves (in [`crate::tables`]) are generated from the structured
//! `asterix-specs` text definitions; this module only says what a definition can be.

/// One category edition: its number, edition and User Application Profile.
#[derive(Debug)]
pub struct Category {
    /// Category number (`48` for CAT048).
    pub cat: u8,
    /// Edition of the specification the table was generated from, e.g. `"1.32"`.
    pub edition: &'static str,
    /// Title of the specification.
    pub title: &'static str,
    /// UAP: slot `i` holds the item for field reference number `i + 1`; `None` is a spare slot.
    pub uap: &'static [Option<&'static Item>],
    /// Layout of the Reserved Expansion Field contents (after its length byte), when known.
    pub re_expansion: Option<&'static Variation>,
}

impl Category {
    /// The item at field reference number `frn` (1-based).
    pub fn item_at(&self, frn: usize) -> Option<&'static Item> {
        frn.checked_sub(1)
            .and_then(|i| self.uap.get(i).copied().flatten())
    }

    /// The item called `name` (`"010"`, `"RE"`, ...) and its FRN.
    pub fn item(&self, name: &str) -> Option<(usize, &'static Item)> {
        self.uap
            .iter()
            .enumerate()
            .find_map(|(i, it)| it.filter(|it| it.name == name).map(|it| (i + 1, it)))
    }
}

/// A data item of a category.
#[derive(Debug)]
pub struct Item {
    /// Item number as text (`"010"`), or `"RE"` / `"SP"`.
    pub name: &'static str,
    /// Title from the specification.
    pub title: &'static str,
    /// Layout.
    pub var: Variation,
}

/// The layout of an item, a subitem or a group field.
#[derive(Debug)]
pub enum Variation {
    /// A single fixed-size bit field.
    Element(Element),
    /// Fixed-size fields one after another.
    Group(&'static [Field]),
    /// Octet-extensible: each part is followed by an FX bit; a part with FX = 0 is the last.
    Extended(&'static [&'static [Field]]),
    /// A repeated fixed-size variation.
    Repetitive {
        /// How the repetitions are counted.
        rep: Rep,
        /// What repeats (always of fixed size).
        var: &'static Variation,
    },
    /// Length-prefixed opaque data (SP, RE).
    Explicit(ExplicitKind),
    /// Primary subfield (an FSPEC) then the present subitems; `None` marks an unused slot.
    Compound(&'static [Option<Named>]),
}

/// How a repetitive item counts its repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rep {
    /// A leading one-octet count.
    Byte,
    /// Each repetition ends with an FX bit (1 = another follows).
    Fx,
}

/// What an explicit (length-prefixed) item carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplicitKind {
    /// Anything.
    Plain,
    /// Special Purpose field.
    Sp,
    /// Reserved Expansion field.
    Re,
}

/// A field of a group or of an extended item.
#[derive(Debug)]
pub enum Field {
    /// Unused bits.
    Spare(u8),
    /// A named field.
    Named(Named),
}

/// A named subitem or field.
#[derive(Debug)]
pub struct Named {
    /// Short name from the specification (`"SAC"`).
    pub name: &'static str,
    /// Title from the specification.
    pub title: &'static str,
    /// Layout.
    pub var: Variation,
}

/// A bit field of at most 64 bits.
#[derive(Debug)]
pub struct Element {
    /// Width in bits (1..=64).
    pub bits: u8,
    /// Meaning of the bits.
    pub content: Content,
}

/// The meaning of an element's bits.
#[derive(Debug)]
pub enum Content {
    /// Opaque bits (also used for content that depends on another field).
    Raw,
    /// Enumerated values with their descriptions.
    Table(&'static [(u32, &'static str)]),
    /// A physical quantity: raw value (two's complement when signed) times `lsb`, in `unit`.
    Quantity {
        /// Two's complement.
        signed: bool,
        /// Value of the least significant bit.
        lsb: f64,
        /// Unit text as in the specification.
        unit: &'static str,
    },
    /// A plain integer.
    Integer {
        /// Two's complement.
        signed: bool,
    },
    /// 8-bit ASCII characters.
    Ascii,
    /// 6-bit ICAO characters (Annex 10 Vol IV).
    Icao,
    /// Octal digits, 3 bits each (Mode 3/A codes).
    Octal,
    /// A Mode S Comm-B register; the number when the specification fixes it.
    Bds(Option<u8>),
}

impl Variation {
    /// Size in bits when fixed (elements and groups), `None` otherwise.
    #[inline]
    pub fn fixed_bits(&self) -> Option<u32> {
        match self {
            Variation::Element(e) => Some(u32::from(e.bits)),
            Variation::Group(fields) => fields_bits(fields),
            _ => None,
        }
    }
}

impl Field {
    /// Size in bits when fixed.
    #[inline]
    pub fn fixed_bits(&self) -> Option<u32> {
        match self {
            Field::Spare(n) => Some(u32::from(*n)),
            Field::Named(n) => n.var.fixed_bits(),
        }
    }
}

/// Total size of fixed fields. Item boundaries are found by summing field widths for every
/// item of every record, so the usual fields (spares and elements) are added in a flat loop;
/// only nested groups recurse.
#[inline]
pub(crate) fn fields_bits(fields: &[Field]) -> Option<u32> {
    let mut sum = 0u32;
    for f in fields {
        sum += match f {
            Field::Spare(n) => u32::from(*n),
            Field::Named(Named {
                var: Variation::Element(e),
                ..
            }) => u32::from(e.bits),
            Field::Named(n) => n.var.fixed_bits()?,
        };
    }
    Some(sum)
}

// Definitions are statics: two references are the same definition exactly when they point
// to the same static, which also keeps comparisons of decoded records cheap.
macro_rules! identity_eq {
    ($($t:ty),*) => {$(
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                std::ptr::eq(self, other)
            }
        }
    )*};
}
identity_eq!(Category, Item, Element);
