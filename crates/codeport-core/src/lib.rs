//! codeport's domain: the values, entities and access levels every wire family and the store
//! agree on.
//!
//! This crate does no IO and knows nothing of HTTP, SQL or async runtimes, so every rule
//! here (what a valid mount path is, how an ACS3 or legacy ROA signature is computed, how a secret is
//! sealed) is testable in isolation and shared by the server, the admin CLI and the tests.

pub mod access;
pub mod acs3;
pub mod actions;
pub mod entities;
pub mod error;
pub mod ids;
pub mod password;
pub mod roa_legacy;
pub mod secret;
pub mod timefmt;
pub mod values;

pub use access::AccessLevel;
pub use error::{Error, NotFoundKind, Result};
