//! The RAM policy language for codeport: parsing, validation and evaluation. Pure Rust, no IO, no async.
//!
//! Why a crate of its own: policies are parsed by the admin API and CLI and evaluated on every request by the
//! server; keeping the language here makes it testable in isolation and keeps the hot path free of IO.
//!
//! ```
//! use codeport_policy::{Context, Policy, PolicySet, Request, StaticCatalog, DecisionEffect};
//! let catalog = StaticCatalog::codeport();
//! let p = Policy::parse(r#"{"Version":"1","Statement":[
//!     {"Effect":"Allow","Action":"paicodesource:Get*","Resource":"*"}]}"#, &catalog).unwrap();
//! let set = PolicySet::new([("ReadCode", p)]);
//! let ctx = Context::new();
//! let d = set.evaluate(&Request::new("PaiCodeSource:GetCodeSource", "acs:paicodesource:cn-hangzhou:1:workspace/1/codesource/2", &ctx));
//! assert_eq!(d.effect, DecisionEffect::Allow);
//! assert_eq!(d.to_string(), "Allow by policy \"ReadCode\" Statement[0]");
//! ```
//!
//! Matching rules: actions compare case-insensitively as a whole; resource ARNs compare case-insensitively
//! (ASCII); `*` matches any run of characters including none, `?` exactly one character. Codeup has no RAM
//! actions of its own: `codeup:<Operation>` actions and `acs:codeup:…` ARNs are codeport's extension.

#![warn(missing_docs)]

mod catalog;
mod condition;
mod context;
mod error;
mod eval;
mod glob;
mod json;
mod policy;
pub mod system;

pub use catalog::{codeport_actions, ActionCatalog, PermissiveCatalog, StaticCatalog};
pub use condition::{Cidr, Condition, Operator};
pub use context::{keys, Context, ContextValue};
pub use error::PolicyError;
pub use eval::{Decision, DecisionEffect, PolicySet, Request, StatementRef, StatementTrace, Trace};
pub use glob::{glob_match, Case, Glob};
pub use policy::{ActionClause, Effect, Policy, Statement, StatementOutcome};
