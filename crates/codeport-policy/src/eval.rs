//! Evaluation of a request against all policies attached to a principal.

use crate::catalog::codeport_actions;
use crate::context::Context;
use crate::glob::LowerBuf;
use crate::policy::{ActionClause, Effect, Policy, Statement, StatementOutcome};
use std::fmt;

/// What is being asked: the action (e.g. `paicodesource:GetCodeSource`), the resource ARN (or `*`) and the
/// condition-key context. Borrowed so that evaluation never copies.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The RAM action, `service:Operation`; compared case-insensitively.
    pub action: &'a str,
    /// The resource ARN; compared case-insensitively.
    pub resource: &'a str,
    /// Condition keys and values.
    pub context: &'a Context,
}

impl<'a> Request<'a> {
    /// Convenience constructor.
    pub fn new(action: &'a str, resource: &'a str, context: &'a Context) -> Self {
        Request { action, resource, context }
    }
}

/// The result of evaluation, named like RAM's `NoPermissionType` for denials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionEffect {
    /// Some `Allow` statement applies and no `Deny` does.
    Allow,
    /// A `Deny` statement applies (it wins over every `Allow`).
    ExplicitDeny,
    /// No statement applies: denied by default.
    ImplicitDeny,
}

impl DecisionEffect {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny` (the latter two are RAM's `NoPermissionType` values).
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionEffect::Allow => "Allow",
            DecisionEffect::ExplicitDeny => "ExplicitDeny",
            DecisionEffect::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// Names a statement: the policy it belongs to, its index in the policy's `Statement` array and its Sid.
///
/// Borrowed from the [`PolicySet`] so that a decision costs no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef<'p> {
    /// The policy name given to [`PolicySet::new`].
    pub policy: &'p str,
    /// 0-based index in that policy's `Statement` array.
    pub statement: usize,
    /// The statement's Sid, if any.
    pub sid: Option<&'p str>,
}

impl fmt::Display for StatementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy {:?} Statement[{}]", self.policy, self.statement)?;
        if let Some(sid) = self.sid {
            write!(f, " (Sid {sid:?})")?;
        }
        Ok(())
    }
}

/// The decision and the statement that made it (`None` for an implicit deny).
///
/// Why it carries the statement: `codeport admin policy simulate` prints it, and audit logs can record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'p> {
    /// Allow, ExplicitDeny or ImplicitDeny.
    pub effect: DecisionEffect,
    /// The first applicable Deny for ExplicitDeny, the first applicable Allow for Allow, in attachment order.
    pub deciding: Option<StatementRef<'p>>,
}

impl Decision<'_> {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.effect == DecisionEffect::Allow
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.effect.as_str())?;
        match &self.deciding {
            Some(s) => write!(f, " by {s}"),
            None => f.write_str(" (no statement applies)"),
        }
    }
}

/// One statement's result in a [`Trace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTrace<'p> {
    /// Which statement.
    pub statement: StatementRef<'p>,
    /// Its effect.
    pub effect: Effect,
    /// Whether it applied, or which part did not match (conditions named by operator and key).
    pub outcome: StatementOutcome,
    /// For [`StatementOutcome::ConditionNotMet`]: `Operator key`, e.g. `IpAddress acs:SourceIp`.
    pub failed_condition: Option<String>,
}

/// A full simulation: the decision plus every statement's result, for `codeport admin policy simulate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace<'p> {
    /// The same decision [`PolicySet::evaluate`] returns.
    pub decision: Decision<'p>,
    /// Every statement, in attachment order.
    pub statements: Vec<StatementTrace<'p>>,
}

/// Statement ordinals to try, split by effect.
#[derive(Debug, Clone, Default)]
struct Bucket {
    deny: Vec<u32>,
    allow: Vec<u32>,
}

#[derive(Debug, Clone)]
struct Entry {
    policy: u32,
    index: u32,
    statement: Statement,
}

/// All policies attached to one principal, compiled for evaluation.
///
/// Why a set rather than a loop over policies: statements are indexed ahead of time.
/// - For every action codeport implements ([`crate::codeport_actions`]) the set keeps the exact list of
///   statements whose `Action`/`NotAction` covers it, so a request for a known action only checks resources
///   and conditions of statements that can apply.
/// - Other actions go through an index by service: a `ecs:` request never looks at `codeup:` statements;
///   only statements with a wildcard service, `*` or `NotAction` are tried for every request.
///
/// Evaluation order is always the attachment order, so the deciding statement is deterministic.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// Sorted by ASCII-lowercased action name: candidates for each known action.
    by_action: Vec<(Box<str>, Bucket)>,
    names: Vec<String>,
    entries: Vec<Entry>,
    /// ASCII-lowercased service name → statements whose patterns all name it (or other literal services).
    services: Vec<(Box<str>, Bucket)>,
    /// Statements that may match any service.
    global: Bucket,
    /// Whether any statement has a condition (kept up to date by `add`).
    conditional: bool,
}

impl PolicySet {
    /// Compiles the named policies, in attachment order.
    pub fn new<I, S>(policies: I) -> Self
    where
        I: IntoIterator<Item = (S, Policy)>,
        S: Into<String>,
    {
        let mut set = PolicySet::default();
        for (name, policy) in policies {
            set.add(name, policy);
        }
        set
    }

    /// Appends one policy after those already present.
    ///
    /// Cost: proportional to statements × known actions (indexing happens here, not per request).
    pub fn add(&mut self, name: impl Into<String>, policy: Policy) -> &mut Self {
        let p = self.names.len() as u32;
        self.names.push(name.into());
        for (i, st) in policy.statements().iter().enumerate() {
            let ord = self.entries.len() as u32;
            let push = |b: &mut Bucket| match st.effect() {
                Effect::Deny => b.deny.push(ord),
                Effect::Allow => b.allow.push(ord),
            };
            for (action, bucket) in &mut self.by_action {
                if st.actions().matches_prepared(action) {
                    push(bucket);
                }
            }
            match literal_services(st.actions()) {
                None => push(&mut self.global),
                Some(services) => {
                    for s in services {
                        let bucket = match self.services.iter().position(|(k, _)| **k == *s) {
                            Some(j) => &mut self.services[j].1,
                            None => {
                                self.services.push((s.into(), Bucket::default()));
                                &mut self.services.last_mut().expect("just pushed").1
                            }
                        };
                        // A statement listing two actions of one service goes into its bucket once.
                        let list = if st.effect() == Effect::Deny { &bucket.deny } else { &bucket.allow };
                        if list.last() != Some(&ord) {
                            push(bucket);
                        }
                    }
                }
            }
            self.conditional |= !st.conditions().is_empty();
            self.entries.push(Entry { policy: p, index: i as u32, statement: st.clone() });
        }
        self
    }

    /// The number of statements across all policies.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether any statement has a condition. Without one the request context is never read,
    /// so a caller may skip building it (the common case: AdministratorAccess and friends).
    pub fn uses_conditions(&self) -> bool {
        self.conditional
    }

    /// Whether no statement is attached (every request is then implicitly denied).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Decides a request: default deny; any applicable `Deny` wins; otherwise any applicable `Allow`.
    /// Never allocates.
    pub fn evaluate(&self, req: &Request<'_>) -> Decision<'_> {
        // Lowercase action and resource once, on the stack; patterns are lowercased at parse time, so every
        // comparison below is a plain byte comparison. Oversized inputs fall back to folding comparisons.
        match (LowerBuf::new(req.action), LowerBuf::new(req.resource)) {
            (Some(a), Some(r)) => self.decide(a.as_str(), r.as_str(), req.context, true),
            _ => self.decide(req.action, req.resource, req.context, false),
        }
    }

    #[inline]
    fn decide(&self, action: &str, resource: &str, ctx: &Context, prepared: bool) -> Decision<'_> {
        if prepared {
            if let Ok(i) = self.by_action.binary_search_by(|(k, _)| (**k).cmp(action)) {
                let b = &self.by_action[i].1;
                let applies = |e: &Entry| e.statement.applies_except_action(resource, ctx);
                if let Some(e) = self.first_applicable(&b.deny, &[], &applies) {
                    return Decision { effect: DecisionEffect::ExplicitDeny, deciding: Some(self.reference(e)) };
                }
                if let Some(e) = self.first_applicable(&b.allow, &[], &applies) {
                    return Decision { effect: DecisionEffect::Allow, deciding: Some(self.reference(e)) };
                }
                return Decision { effect: DecisionEffect::ImplicitDeny, deciding: None };
            }
        }
        let service = action.split_once(':').map_or(action, |(s, _)| s);
        let bucket = self.services.iter().find(|(k, _)| k.eq_ignore_ascii_case(service)).map(|(_, b)| b);
        let (bd, ba): (&[u32], &[u32]) = match bucket {
            Some(b) => (&b.deny, &b.allow),
            None => (&[], &[]),
        };
        let applies = |e: &Entry| {
            if prepared {
                e.statement.applies_prepared(action, resource, ctx)
            } else {
                e.statement.applies(action, resource, ctx)
            }
        };
        if let Some(e) = self.first_applicable(bd, &self.global.deny, &applies) {
            return Decision { effect: DecisionEffect::ExplicitDeny, deciding: Some(self.reference(e)) };
        }
        if let Some(e) = self.first_applicable(ba, &self.global.allow, &applies) {
            return Decision { effect: DecisionEffect::Allow, deciding: Some(self.reference(e)) };
        }
        Decision { effect: DecisionEffect::ImplicitDeny, deciding: None }
    }

    /// Evaluates every statement and reports each one's outcome along with the decision (allocates; for tools).
    pub fn simulate(&self, req: &Request<'_>) -> Trace<'_> {
        let statements = self
            .entries
            .iter()
            .map(|e| {
                let outcome = e.statement.outcome(req.action, req.resource, req.context);
                let failed_condition = match outcome {
                    StatementOutcome::ConditionNotMet(i) => {
                        let c = &e.statement.conditions()[i];
                        Some(format!("{} {}", c.operator(), c.key()))
                    }
                    _ => None,
                };
                StatementTrace { statement: self.reference(e), effect: e.statement.effect(), outcome, failed_condition }
            })
            .collect();
        Trace { decision: self.evaluate(req), statements }
    }

    /// Merge-walks two ordinal lists (both ascending) and returns the first entry that applies.
    #[inline]
    fn first_applicable(&self, a: &[u32], b: &[u32], applies: &impl Fn(&Entry) -> bool) -> Option<&Entry> {
        let (mut i, mut j) = (0, 0);
        loop {
            let ord = match (a.get(i), b.get(j)) {
                (None, None) => return None,
                (Some(&x), Some(&y)) if x == y => {
                    i += 1;
                    j += 1;
                    x
                }
                (Some(&x), Some(&y)) if x < y => {
                    i += 1;
                    x
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
            };
            let e = &self.entries[ord as usize];
            if applies(e) {
                return Some(e);
            }
        }
    }

    fn reference<'p>(&'p self, e: &'p Entry) -> StatementRef<'p> {
        StatementRef { policy: &self.names[e.policy as usize], statement: e.index as usize, sid: e.statement.sid() }
    }
}

impl Default for PolicySet {
    /// An empty set (every request is implicitly denied), with the known-action index prepared.
    fn default() -> Self {
        let mut by_action: Vec<(Box<str>, Bucket)> =
            codeport_actions().map(|a| (a.to_ascii_lowercase().into_boxed_str(), Bucket::default())).collect();
        by_action.sort_by(|a, b| a.0.cmp(&b.0));
        by_action.dedup_by(|a, b| a.0 == b.0);
        PolicySet { by_action, names: Vec::new(), entries: Vec::new(), services: Vec::new(), global: Bucket::default(), conditional: false }
    }
}

/// The lowercased literal services an `Action` clause can match, or `None` if it may match any service
/// (`*`, a wildcard in the service part, or `NotAction`).
fn literal_services(clause: &ActionClause) -> Option<Vec<String>> {
    let ActionClause::Action(patterns) = clause else {
        return None;
    };
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        let (service, _) = p.as_str().split_once(':')?;
        if service.contains(['*', '?']) {
            return None;
        }
        let s = service.to_ascii_lowercase();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}
