//! The centre's library: configuration, the pipeline from feeds to picture, the tracker glue,
//! the renegade desk and the HTTP API. The `vigil` binary is the CLI around it; the scenario
//! tests drive the same code synchronously.

pub mod config;
pub mod decode;
pub mod exercise;
pub mod http;
pub mod links;
pub mod pipeline;
pub mod radar;
pub mod renegade;
pub mod tracking;
