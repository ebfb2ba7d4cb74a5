//! Category tables generated from the `asterix-specs` definitions, and the default editions.

#[rustfmt::skip]
pub mod generated;

use crate::spec::Category;

pub use generated::{
    cat021_0_26, cat021_2_6, cat034_1_29, cat048_1_27, cat048_1_32, cat062_1_18, cat062_1_21,
    cat065_1_6,
};

/// CAT048 Monoradar Target Reports, edition 1.32.
pub static CAT048: &Category = &cat048_1_32::CATEGORY;
/// CAT034 Monoradar Service Messages, edition 1.29.
pub static CAT034: &Category = &cat034_1_29::CATEGORY;
/// CAT062 SDPS Track Messages, edition 1.21.
pub static CAT062: &Category = &cat062_1_21::CATEGORY;
/// CAT021 ADS-B Target Reports, edition 2.6.
pub static CAT021: &Category = &cat021_2_6::CATEGORY;
/// CAT065 SDPS Service Status Messages, edition 1.6.
pub static CAT065: &Category = &cat065_1_6::CATEGORY;

/// Every edition this crate carries, newest first within a category.
pub static ALL: &[&Category] = &[
    &cat048_1_32::CATEGORY,
    &cat048_1_27::CATEGORY,
    &cat034_1_29::CATEGORY,
    &cat062_1_21::CATEGORY,
    &cat062_1_18::CATEGORY,
    &cat021_2_6::CATEGORY,
    &cat021_0_26::CATEGORY,
    &cat065_1_6::CATEGORY,
];

/// The default edition for category `cat`, if this crate knows the category.
pub fn default_for(cat: u8) -> Option<&'static Category> {
    match cat {
        48 => Some(CAT048),
        34 => Some(CAT034),
        62 => Some(CAT062),
        21 => Some(CAT021),
        65 => Some(CAT065),
        _ => None,
    }
}

/// The edition `edition` of category `cat`, if carried.
pub fn edition(cat: u8, edition: &str) -> Option<&'static Category> {
    ALL.iter()
        .copied()
        .find(|c| c.cat == cat && c.edition == edition)
}
