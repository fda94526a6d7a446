//! Policy documents: parsing with precise errors into compiled statements.

use crate::catalog::ActionCatalog;
use crate::condition::{Condition, Operator, Scalar};
use crate::context::Context;
use crate::error::PolicyError;
use crate::glob::{Case, Glob};
use crate::json::J;

/// A statement's effect. Written exactly `Allow` or `Deny` (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants the matched actions, unless some matching `Deny` applies.
    Allow,
    /// Refuses the matched actions, overriding every `Allow`.
    Deny,
}

impl Effect {
    /// `Allow` or `Deny`, as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// Which actions a statement covers.
///
/// Why an enum: `Action` and `NotAction` are mutually exclusive and `NotAction` inverts the match.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionClause {
    /// The statement applies to actions matching any of the patterns.
    Action(Vec<Glob>),
    /// The statement applies to every action matching **none** of the patterns (including other services').
    NotAction(Vec<Glob>),
}

impl ActionClause {
    /// Whether `action` is covered. Case-insensitive; never allocates.
    #[inline]
    pub fn matches(&self, action: &str) -> bool {
        match self {
            ActionClause::Action(ps) => ps.iter().any(|p| p.matches(action)),
            ActionClause::NotAction(ps) => !ps.iter().any(|p| p.matches(action)),
        }
    }

    /// [`ActionClause::matches`] for an action already ASCII-lowercased.
    #[inline]
    pub(crate) fn matches_prepared(&self, action: &str) -> bool {
        match self {
            ActionClause::Action(ps) => ps.iter().any(|p| p.matches_prepared(action)),
            ActionClause::NotAction(ps) => !ps.iter().any(|p| p.matches_prepared(action)),
        }
    }
}

/// Why a statement did or did not apply to a request (for simulation traces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementOutcome {
    /// Action, resource and every condition matched: the statement's effect applies.
    Applies,
    /// The action is not covered by `Action` (or is excluded by `NotAction`).
    ActionNotMatched,
    /// No `Resource` pattern matches the resource.
    ResourceNotMatched,
    /// The condition at this index (in document order, see [`Statement::conditions`]) is not met.
    ConditionNotMet(usize),
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    actions: ActionClause,
    resources: Vec<Glob>,
    conditions: Vec<Condition>,
}

impl Statement {
    /// The optional `Sid`.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    /// `Allow` or `Deny`.
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// The `Action` / `NotAction` clause.
    pub fn actions(&self) -> &ActionClause {
        &self.actions
    }
    /// The `Resource` patterns (ARNs, case-insensitive).
    pub fn resources(&self) -> &[Glob] {
        &self.resources
    }
    /// The conditions, flattened in document order (operator by operator, key by key).
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the statement applies to the request. Never allocates.
    #[inline]
    pub fn applies(&self, action: &str, resource: &str, context: &Context) -> bool {
        self.actions.matches(action)
            && self.resources.iter().any(|r| r.matches(resource))
            && self.conditions.iter().all(|c| c.evaluate(context.get_lower(c.key_lower())))
    }

    /// [`Statement::applies`] for an action and resource already ASCII-lowercased (the evaluator lowers them
    /// once per request instead of once per pattern).
    #[inline]
    pub(crate) fn applies_prepared(&self, action: &str, resource: &str, context: &Context) -> bool {
        self.actions.matches_prepared(action)
            && self.resources.iter().any(|r| r.matches_prepared(resource))
            && self.conditions.iter().all(|c| c.evaluate(context.get_lower(c.key_lower())))
    }

    /// Resource and conditions only, for candidates whose action is already known to match; `resource` is
    /// ASCII-lowercased.
    #[inline]
    pub(crate) fn applies_except_action(&self, resource: &str, context: &Context) -> bool {
        self.resources.iter().any(|r| r.matches_prepared(resource)) && self.conditions.iter().all(|c| c.evaluate(context.get_lower(c.key_lower())))
    }

    /// Like [`Statement::applies`], saying which part failed.
    pub fn outcome(&self, action: &str, resource: &str, context: &Context) -> StatementOutcome {
        if !self.actions.matches(action) {
            return StatementOutcome::ActionNotMatched;
        }
        if !self.resources.iter().any(|r| r.matches(resource)) {
            return StatementOutcome::ResourceNotMatched;
        }
        match self.conditions.iter().position(|c| !c.evaluate(context.get_lower(c.key_lower()))) {
            Some(i) => StatementOutcome::ConditionNotMet(i),
            None => StatementOutcome::Applies,
        }
    }
}

/// A parsed, validated and compiled RAM policy document.
///
/// Why compiled at parse time: documents change rarely and are evaluated on every request, so patterns are
/// classified, values converted and names lowercased once here.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

const TOP_ELEMENTS: &[&str] = &["Version", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &["Sid", "Effect", "Action", "NotAction", "Resource", "Condition"];

impl Policy {
    /// Parses a policy document.
    ///
    /// Grammar (RAM): `{"Version": "1", "Statement": [...]}`; each statement has an optional `Sid`, `Effect`
    /// (`Allow`/`Deny`), exactly one of `Action`/`NotAction`, a required `Resource` (string or array of
    /// strings each) and an optional `Condition`. Element names, operator names and effects are
    /// case-sensitive; unknown elements (including `NotResource`, which RAM does not have) are errors;
    /// duplicate keys are errors. `Statement` may also be a single object, read as a one-element array
    /// (AWS accepts this form and documents pasted from it should not fail for a formality).
    /// Action patterns of services the `catalog` implements must match at least one known action.
    pub fn parse(json: &str, catalog: &dyn ActionCatalog) -> Result<Policy, PolicyError> {
        let doc: J = serde_json::from_str(json).map_err(|e| PolicyError::doc("(document)", format!("invalid JSON: {e}")))?;
        let J::Obj(top) = doc else {
            return Err(PolicyError::doc("(document)", format!("must be a JSON object, got {}", doc.kind())));
        };
        let mut version = None;
        let mut statement = None;
        for (k, v) in &top {
            match k.as_str() {
                "Version" => version = Some(v),
                "Statement" => statement = Some(v),
                other => return Err(PolicyError::doc(other, unknown_element(other, TOP_ELEMENTS, ""))),
            }
        }
        match version {
            None => return Err(PolicyError::doc("Version", "is required and must be \"1\"")),
            Some(J::Str(s)) if s == "1" => {}
            Some(J::Str(s)) => return Err(PolicyError::doc("Version", format!("{s:?} is not supported; must be \"1\""))),
            Some(v) => return Err(PolicyError::doc("Version", format!("must be the string \"1\", got {}", v.kind()))),
        }
        let raw: Vec<&J> = match statement {
            None => return Err(PolicyError::doc("Statement", "is required")),
            Some(J::Arr(a)) if a.is_empty() => return Err(PolicyError::doc("Statement", "must contain at least one statement")),
            Some(J::Arr(a)) => a.iter().collect(),
            Some(o @ J::Obj(_)) => vec![o],
            Some(v) => return Err(PolicyError::doc("Statement", format!("must be an array of statements, got {}", v.kind()))),
        };
        let statements = raw.into_iter().enumerate().map(|(i, s)| parse_statement(i, s, catalog)).collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }

    /// The statements in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

fn unknown_element(name: &str, known: &[&str], extra: &str) -> String {
    match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => {
            format!("unknown element; element names are case-sensitive (did you mean {k:?}?)")
        }
        None => format!("unknown element{extra}; expected one of {}", known.join(", ")),
    }
}

/// Builds statement-level errors carrying the index and Sid.
struct Ctx {
    index: usize,
    sid: Option<String>,
}

impl Ctx {
    fn err(&self, field: impl Into<String>, reason: impl Into<String>) -> PolicyError {
        PolicyError { statement: Some(self.index), sid: self.sid.clone(), field: field.into(), reason: reason.into() }
    }
}

fn parse_statement(index: usize, raw: &J, catalog: &dyn ActionCatalog) -> Result<Statement, PolicyError> {
    let mut cx = Ctx { index, sid: None };
    let J::Obj(fields) = raw else {
        return Err(cx.err("(statement)", format!("must be an object, got {}", raw.kind())));
    };
    // The Sid first, whatever its position, so every later error can name it.
    if let Some((_, v)) = fields.iter().find(|(k, _)| k == "Sid") {
        match v {
            J::Str(s) => cx.sid = Some(s.clone()),
            other => return Err(cx.err("Sid", format!("must be a string, got {}", other.kind()))),
        }
    }
    let mut effect = None;
    let mut actions: Option<ActionClause> = None;
    let mut resources = None;
    let mut conditions = Vec::new();
    for (k, v) in fields {
        match k.as_str() {
            "Sid" => {}
            "Effect" => {
                effect = Some(match v {
                    J::Str(s) if s == "Allow" => Effect::Allow,
                    J::Str(s) if s == "Deny" => Effect::Deny,
                    J::Str(s) => return Err(cx.err("Effect", format!("{s:?} is not Allow or Deny (case-sensitive)"))),
                    other => return Err(cx.err("Effect", format!("must be \"Allow\" or \"Deny\", got {}", other.kind()))),
                })
            }
            "Action" | "NotAction" => {
                if actions.is_some() {
                    return Err(cx.err(k.as_str(), "a statement has either Action or NotAction, not both"));
                }
                let pats =
                    string_list(&cx, k, v)?.into_iter().map(|(field, s)| parse_action(&cx, &field, s, catalog)).collect::<Result<Vec<_>, _>>()?;
                actions = Some(if k == "Action" { ActionClause::Action(pats) } else { ActionClause::NotAction(pats) });
            }
            "Resource" => {
                let pats = string_list(&cx, k, v)?.into_iter().map(|(field, s)| parse_resource(&cx, &field, s)).collect::<Result<Vec<_>, _>>()?;
                resources = Some(pats);
            }
            "Condition" => conditions = parse_conditions(&cx, v)?,
            "NotResource" => return Err(cx.err("NotResource", "unknown element: RAM has no NotResource; list the resources in Resource")),
            other => return Err(cx.err(other, unknown_element(other, STATEMENT_ELEMENTS, ""))),
        }
    }
    let effect = effect.ok_or_else(|| cx.err("Effect", "is required (Allow or Deny)"))?;
    let actions = actions.ok_or_else(|| cx.err("Action", "is required (or NotAction)"))?;
    let resources = resources.ok_or_else(|| cx.err("Resource", "is required (use \"*\" for every resource)"))?;
    Ok(Statement { sid: cx.sid, effect, actions, resources, conditions })
}

/// A string or a non-empty array of strings; yields each with its field path.
fn string_list<'a>(cx: &Ctx, name: &str, v: &'a J) -> Result<Vec<(String, &'a str)>, PolicyError> {
    match v {
        J::Str(s) => Ok(vec![(name.to_owned(), s.as_str())]),
        J::Arr(a) if a.is_empty() => Err(cx.err(name, "must not be an empty array")),
        J::Arr(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                J::Str(s) => Ok((format!("{name}[{i}]"), s.as_str())),
                other => Err(cx.err(format!("{name}[{i}]"), format!("must be a string, got {}", other.kind()))),
            })
            .collect(),
        other => Err(cx.err(name, format!("must be a string or an array of strings, got {}", other.kind()))),
    }
}

fn valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*' | '?')
}

fn parse_action(cx: &Ctx, field: &str, s: &str, catalog: &dyn ActionCatalog) -> Result<Glob, PolicyError> {
    if s == "*" {
        return Ok(Glob::new(s, Case::Insensitive));
    }
    let Some((service, op)) = s.split_once(':') else {
        return Err(cx.err(field, format!("{s:?} must be \"*\" or \"<service>:<Operation>\"")));
    };
    if service.is_empty() || op.is_empty() {
        return Err(cx.err(field, format!("{s:?} must be \"*\" or \"<service>:<Operation>\"")));
    }
    if let Some(c) = service.chars().chain(op.chars()).find(|&c| !valid_name_char(c)) {
        return Err(cx.err(field, format!("{s:?} contains the invalid character {c:?}")));
    }
    let lower = s.to_ascii_lowercase();
    let service_lower = &lower[..service.len()];
    let wild_service = service.contains(['*', '?']);
    if !wild_service && catalog.implements_service(service_lower) && !catalog.matches_any(&lower) {
        return Err(cx.err(field, format!("{s:?} matches no {service_lower} action codeport implements")));
    }
    Ok(Glob::new(s, Case::Insensitive))
}

fn parse_resource(cx: &Ctx, field: &str, s: &str) -> Result<Glob, PolicyError> {
    if s.is_empty() {
        return Err(cx.err(field, "must not be empty"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(cx.err(field, format!("{s:?} contains whitespace")));
    }
    let acs = s.len() >= 4 && s[..4].eq_ignore_ascii_case("acs:");
    if !(acs || s.starts_with('*')) {
        return Err(cx.err(field, format!("{s:?} must be \"*\" or an ARN \"acs:<service>:<region>:<account>:<resource>\"")));
    }
    Ok(Glob::new(s, Case::Insensitive))
}

fn parse_conditions(cx: &Ctx, v: &J) -> Result<Vec<Condition>, PolicyError> {
    let J::Obj(ops) = v else {
        return Err(cx.err("Condition", format!("must be an object of operators, got {}", v.kind())));
    };
    let mut out = Vec::new();
    for (op_name, body) in ops {
        let field = format!("Condition.{op_name}");
        let Some(op) = Operator::from_name(op_name) else {
            let hint = Operator::ALL
                .iter()
                .find(|o| o.name().eq_ignore_ascii_case(op_name))
                .map(|o| format!(" (operator names are case-sensitive; did you mean {:?}?)", o.name()))
                .unwrap_or_default();
            return Err(cx.err(field, format!("unknown condition operator{hint}")));
        };
        let J::Obj(keys) = body else {
            return Err(cx.err(field, format!("must be an object of condition keys, got {}", body.kind())));
        };
        if keys.is_empty() {
            return Err(cx.err(field, "has no condition keys"));
        }
        for (key, vals) in keys {
            let kfield = format!("{field}.{key}");
            match key.split_once(':') {
                Some((p, n)) if !p.is_empty() && !n.is_empty() && !key.contains(char::is_whitespace) => {}
                _ => return Err(cx.err(kfield, "is not a condition key of the form \"<prefix>:<Name>\", e.g. \"acs:SourceIp\"")),
            }
            let scalar = |j: &'_ J| -> Option<()> { matches!(j, J::Str(_) | J::Num(_) | J::Bool(_)).then_some(()) };
            let (items, indexed): (Vec<&J>, bool) = match vals {
                J::Arr(a) => (a.iter().collect(), true),
                other => (vec![other], false),
            };
            let mut scalars = Vec::with_capacity(items.len());
            for (i, j) in items.iter().enumerate() {
                let f = if indexed { format!("{kfield}[{i}]") } else { kfield.clone() };
                if scalar(j).is_none() {
                    return Err(cx.err(f, format!("must be a string, number or boolean, got {}", j.kind())));
                }
                scalars.push(match j {
                    J::Str(s) => Scalar::Str(s),
                    J::Num(n) => Scalar::Num(n),
                    J::Bool(b) => Scalar::Bool(*b),
                    _ => unreachable!(),
                });
            }
            let cond = Condition::compile(op, key, &scalars).map_err(|(i, reason)| {
                let f = match i {
                    Some(i) if indexed => format!("{kfield}[{i}]"),
                    _ => kfield.clone(),
                };
                cx.err(f, reason)
            })?;
            out.push(cond);
        }
    }
    Ok(out)
}
