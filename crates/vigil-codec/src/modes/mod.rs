//! Mode S fast path. (being written)
