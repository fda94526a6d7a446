//! Validated values ("parse, don't validate"): each type's `parse` returns a field-named
//! error, and once a value of the type exists it is known to be valid. Grouped by who uses
//! them; every value is re-exported here, so `codeport_core::values::X` names any of them.

pub mod codeup;
pub mod pai;
pub mod shared;

pub use codeup::*;
pub use pai::*;
pub use shared::*;
