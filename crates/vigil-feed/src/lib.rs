//! Feed sources (being written).
