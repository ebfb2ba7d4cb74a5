//! The centre's library: configuration, the pipeline from feeds to picture, the tracker glue,
//! the renegade desk, the HTTP API and the operator UI (logins, live feed, files). The `vigil` binary is the CLI around it; the scenario
//! tests drive the same code synchronously.

pub mod access;
pub mod config;
pub mod decode;
pub mod demo;
pub mod exercise;
pub mod http;
pub mod layout;
pub mod links;
pub mod live;
pub mod missile;
pub mod pipeline;
pub mod radar;
pub mod renegade;
pub mod station;
pub mod store;
pub mod tracking;
pub mod ui;
