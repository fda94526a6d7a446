//! What a caller may do on one resource, as one ordered level both wire families share.
//!
//! Codeup grants numeric membership levels on groups and repositories; PAI grants role sets
//! in workspaces; organization owners and admins hold everything in their organization.
//! Each of those is turned into an [`AccessLevel`] once, so every rule reads the same way:
//! "level >= Write". (Like Gitea's AccessMode.) Not to be confused with
//! [`ActionLevel`](crate::actions::ActionLevel), the RAM catalog's classification of actions.

use crate::error::{Error, Result};

/// A caller's access to one resource, ordered: each level includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AccessLevel {
    /// Nothing: the resource is not even visible unless it is visible to everyone.
    #[default]
    None,
    /// Sees and reads it (Codeup viewer, PAI guest).
    Read,
    /// Changes its content (Codeup developer; PAI developer roles create code sources).
    Write,
    /// Manages it, its members and settings (Codeup admin, PAI workspace admin).
    Admin,
    /// Everything, including what only an owner may do (PAI workspace owner, organization
    /// owners and admins).
    Owner,
}

impl AccessLevel {
    /// The level a Codeup number names: 20 viewer, 30 developer, 40 admin (the numbers the
    /// API takes and returns, and the member tables store); None for any other number.
    pub fn from_codeup(n: i64) -> Option<AccessLevel> {
        match n {
            20 => Some(AccessLevel::Read),
            30 => Some(AccessLevel::Write),
            40 => Some(AccessLevel::Admin),
            _ => None,
        }
    }

    /// Parses a Codeup `accessLevel` parameter (20, 30 or 40).
    pub fn parse_codeup(field: &str, n: i64) -> Result<AccessLevel> {
        AccessLevel::from_codeup(n).ok_or_else(|| Error::invalid(field, format!("{n} is not 20 (viewer), 30 (developer) or 40 (admin)")))
    }

    /// Codeup's number for this level. Codeup has no number above admin: an owner (an
    /// organization owner or admin) shows as 40, as Codeup shows organization admins; None
    /// shows as 0 (never sent for a visible resource).
    pub fn codeup(self) -> i64 {
        match self {
            AccessLevel::None => 0,
            AccessLevel::Read => 20,
            AccessLevel::Write => 30,
            AccessLevel::Admin | AccessLevel::Owner => 40,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_codeup_numbers_round_trip() {
        assert!(AccessLevel::None < AccessLevel::Read && AccessLevel::Read < AccessLevel::Write);
        assert!(AccessLevel::Write < AccessLevel::Admin && AccessLevel::Admin < AccessLevel::Owner);
        for n in [20, 30, 40] {
            assert_eq!(AccessLevel::from_codeup(n).map(AccessLevel::codeup), Some(n));
        }
        assert_eq!(AccessLevel::from_codeup(50), None);
        assert!(AccessLevel::parse_codeup("accessLevel", 10).is_err());
        assert_eq!(AccessLevel::Owner.codeup(), 40);
    }
}
