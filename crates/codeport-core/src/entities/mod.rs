//! The records codeport keeps, typed: what the store reads and writes, what the services
//! reason about and what the wire edges render. They live in the domain so the edges need
//! not know the store exists, and so a stored string is parsed into its type once, where it
//! is read, instead of being compared as text wherever it is used.

pub mod codeup;
pub mod identity;
pub mod policies;
pub mod workspaces;

pub use codeup::*;
pub use identity::*;
pub use policies::*;
pub use workspaces::*;
