//! Links between centres: what crosses from one centre to a partner centre, and how.
//!
//! - [`certs`]: party CAs and centre certificates (Ed25519; `vigil certs`).
//! - [`tls`]: mutual TLS per link: the partner's CA, identity, validity and revocation
//!   list are checked before any gRPC byte is read.
//! - [`wire`]: the versioned protobuf schema (`proto/vigil/link/v1/link.proto`, compiled
//!   by protox: no system `protoc`) and the checked decoding of everything inbound.
//! - [`store`]: the centre's SQLite store of link ledgers, outbound buffers and inboxes.
//! - [`link`]: one link's engine: release policy in front, sequencing, at-least-once
//!   delivery with resume and duplicate suppression, heartbeats, signed checkpoints.
//! - [`net`]: the gRPC (tonic) server and dialers.
//! - [`drill`]: synthetic numbered traffic to commission a link (and for tests).
//!
//! **Invariants.** Nothing reaches a connection except through the link's
//! [`vigil_release::Releaser`]. A message is ledgered as sent in the same transaction that
//! keeps it for resending, and ledgered as received in the same transaction that keeps
//! it in the inbox, before it is acknowledged: an acknowledged message survives any crash
//! of either side, and a message is never delivered twice.

#![deny(missing_docs)]

pub mod certs;
pub mod drill;
pub mod link;
pub mod net;
pub mod store;
pub mod tls;
pub mod wire;
