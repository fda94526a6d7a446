//! Which actions exist: lets the parser reject typos in actions of services codeport implements.

use crate::glob::{Case, Glob};

/// Knowledge of the actions codeport implements.
///
/// Why a trait: the authoritative list of operations lives with the HTTP layer (which maps each route to an
/// action), while this crate must stay free of it. The parser asks two questions about every `Action` /
/// `NotAction` pattern whose service part has no wildcard:
/// is the service one of ours, and if so, does the pattern match at least one real action?
/// `paicodesource:GetCodeSorce` is rejected; `ecs:*` (another cloud service) is accepted and never matches.
pub trait ActionCatalog {
    /// Whether codeport implements `service` (given ASCII-lowercased, e.g. `paicodesource`).
    fn implements_service(&self, service: &str) -> bool;
    /// Whether the wildcard `pattern` (ASCII-lowercased, full `service:Operation` form, e.g.
    /// `paicodesource:get*`) matches at least one known action. Matching is case-insensitive.
    fn matches_any(&self, pattern: &str) -> bool;
}

/// A catalog that knows no service: every syntactically valid action is accepted.
///
/// Why: for tools that only evaluate documents already validated elsewhere, and for tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct PermissiveCatalog;

impl ActionCatalog for PermissiveCatalog {
    fn implements_service(&self, _service: &str) -> bool {
        false
    }
    fn matches_any(&self, _pattern: &str) -> bool {
        true
    }
}

/// A catalog built from a list of full action names (`service:Operation`).
///
/// Why: the server can hand over the exact list its router knows; [`StaticCatalog::codeport`] is the
/// built-in list for today's routes.
#[derive(Debug, Clone, Default)]
pub struct StaticCatalog {
    services: Vec<String>,
    actions: Vec<String>,
}

impl StaticCatalog {
    /// Builds a catalog; the services implemented are those appearing in `actions`.
    pub fn new<I, S>(actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut c = StaticCatalog::default();
        for a in actions {
            c.add(a.as_ref());
        }
        c
    }

    /// Adds one action (`service:Operation`); its service becomes implemented.
    pub fn add(&mut self, action: &str) -> &mut Self {
        let lower = action.to_ascii_lowercase();
        if let Some((service, _)) = lower.split_once(':') {
            if !self.services.iter().any(|s| s == service) {
                self.services.push(service.to_owned());
            }
        }
        if !self.actions.contains(&lower) {
            self.actions.push(lower);
        }
        self
    }

    /// The known actions, lowercased.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(String::as_str)
    }

    /// The actions codeport implements today: PAI workspaces and members (`paiworkspace:`), PAI code sources
    /// (`paicodesource:`) and codeport's own Codeup extension (`codeup:`; Codeup has no RAM actions of its own).
    /// Reads are named `Get*`/`List*`, so the read-only system policies cover exactly them.
    pub fn codeport() -> Self {
        StaticCatalog::new(codeport_actions())
    }
}

impl ActionCatalog for StaticCatalog {
    fn implements_service(&self, service: &str) -> bool {
        self.services.iter().any(|s| s.eq_ignore_ascii_case(service))
    }
    fn matches_any(&self, pattern: &str) -> bool {
        let g = Glob::new(pattern, Case::Insensitive);
        self.actions.iter().any(|a| g.matches(a))
    }
}

/// The actions behind [`StaticCatalog::codeport`]: the action catalog of `codeport-core`, the
/// single list of every operation codeport serves.
pub fn codeport_actions() -> impl Iterator<Item = &'static str> {
    codeport_core::actions::CATALOG.iter().map(|a| a.action)
}
