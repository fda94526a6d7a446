//! The SQL codeport runs, written once for both dialects. Placeholders are `$1, $2, ...`:
//! PostgreSQL binds them by number, and the SQLite backend rewrites them to `?1, ?2, ...`,
//! which SQLite also binds by number, so one text serves both. Rows are read
//! through [`RowLike`], which each backend implements, so row mapping is written once too.
//!
//! This module holds what every statement shares (parameters, the builder, row access and
//! the path predicates); each child holds one family's statements and row mappers.

mod console;
mod identity;
mod namespaces;
mod policies;
mod repositories;
mod workspaces;

pub use console::*;
pub use identity::*;
pub use namespaces::*;
pub use policies::*;
pub use repositories::*;
pub use workspaces::*;

use crate::{StoreError, StoreResult, UniqueViolation};
use codeport_core::entities::*;
use codeport_core::timefmt::Millis;
use codeport_core::values::{Accessibility, CloneType, CodeVisibility, EnvTypes, Page, RoleSet, SortOrder};
use codeport_core::AccessLevel;

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum P {
    /// Text.
    T(String),
    /// Nullable text.
    OT(Option<String>),
    /// Integer.
    I(i64),
    /// Nullable integer.
    OI(Option<i64>),
    /// Boolean.
    B(bool),
    /// Nullable bytes.
    Bytes(Option<Vec<u8>>),
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// SQL text with `$n` placeholders.
    pub sql: String,
    /// Parameters, `$1` first.
    pub params: Vec<P>,
    /// What a unique violation by this statement means (None: the backend's constraint name is all there is).
    pub unique: Option<UniqueViolation>,
}

/// A failure of a statement that declared `unique`: a unique violation is reported as that.
pub fn declared(e: StoreError, unique: Option<UniqueViolation>) -> StoreError {
    match (e, unique) {
        (StoreError::Unique(_), Some(v)) => StoreError::Unique(v),
        (e, _) => e,
    }
}

impl Stmt {
    /// Declares what a unique violation by this statement means.
    fn on_unique(mut self, v: UniqueViolation) -> Stmt {
        self.unique = Some(v);
        self
    }
}

fn t(s: &str) -> P {
    P::T(s.to_string())
}

/// Builds a statement with placeholders numbered as parameters are pushed.
#[derive(Default)]
struct Builder {
    sql: String,
    params: Vec<P>,
}

impl Builder {
    fn new(sql: &str) -> Self {
        Builder { sql: sql.to_string(), params: Vec::new() }
    }
    /// Appends SQL text.
    fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }
    /// Appends a placeholder bound to `p`.
    fn bind(&mut self, p: P) -> &mut Self {
        let placeholder = self.param(p);
        self.push(&placeholder)
    }
    /// Binds `p` and returns its placeholder, for SQL that names it more than once.
    fn param(&mut self, p: P) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }
    /// Appends `(v1, v2, ...)`, each bound; `(NULL)` when there are none, which matches nothing.
    fn list(&mut self, values: impl IntoIterator<Item = P>) -> &mut Self {
        let placeholders: Vec<String> = values.into_iter().map(|v| self.param(v)).collect();
        let inner = if placeholders.is_empty() { "NULL".to_string() } else { placeholders.join(", ") };
        self.push(&format!("({inner})"))
    }
    /// Appends ` AND (...)`: `text` is a substring of one of `columns`, ignoring case (see
    /// [`contains_pattern`]).
    fn contains(&mut self, columns: &[&str], text: &str) -> &mut Self {
        let p = self.param(P::T(contains_pattern(text)));
        let any: Vec<String> = columns.iter().map(|c| format!("lower({c}) LIKE lower({p}) ESCAPE '\\'")).collect();
        self.push(&format!(" AND ({})", any.join(" OR ")))
    }
    /// Appends `ORDER BY key dir, tiebreak dir LIMIT size OFFSET offset`.
    fn order_and_page(&mut self, key: &str, tiebreak: &str, order: SortOrder, page: Page) -> &mut Self {
        let dir = order.sql();
        self.push(&format!(" ORDER BY {key} {dir}, {tiebreak} {dir} LIMIT ")).bind(P::I(page.size as i64)).push(" OFFSET ").bind(P::I(page.offset()))
    }
    fn build(self) -> Stmt {
        Stmt { sql: self.sql, params: self.params, unique: None }
    }
}

/// A listing's count and page statements from one filter: `from_where` appends the FROM and
/// WHERE clauses to both, `order` the ORDER BY / LIMIT / OFFSET of the page.
fn count_and_page(columns: &str, from_where: impl Fn(&mut Builder), order: impl Fn(&mut Builder)) -> (Stmt, Stmt) {
    let mut count = Builder::new("SELECT COUNT(*)");
    from_where(&mut count);
    let mut page = Builder::new(columns);
    from_where(&mut page);
    order(&mut page);
    (count.build(), page.build())
}

fn stmt(sql: &str, params: Vec<P>) -> Stmt {
    Stmt { sql: sql.to_string(), params, unique: None }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern and wraps it for a substring match. The
/// pattern keeps its case: the SQL compares `lower(column) LIKE lower(pattern)`, so both sides
/// are folded by the same function. (Folding here with Rust's Unicode `to_lowercase` broke
/// SQLite, whose `lower()` folds ASCII only: "Ärger" became "ärger" and never matched.)
fn contains_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// SQL that is true when the path `path` lies strictly below the path `ancestor` (each a
/// column or a placeholder). The one rule for ancestry on `full_path`: case-insensitive, as
/// paths are looked up, and a prefix test with substr, never LIKE, because `_` (a LIKE
/// wildcard) is valid in a path.
fn below(path: &str, ancestor: &str) -> String {
    format!("substr(lower({path}), 1, length({ancestor}) + 1) = lower({ancestor}) || '/'")
}

/// SQL that is true when `path` is `ancestor` itself (ignoring case) or lies below it.
fn at_or_below(path: &str, ancestor: &str) -> String {
    format!("(lower({path}) = lower({ancestor}) OR {})", below(path, ancestor))
}

/// SQL that is true when the membership row `alias` has not expired at `now` (a placeholder).
fn unexpired(alias: &str, now: &str) -> String {
    format!("({alias}.expires_at IS NULL OR {alias}.expires_at > {now})")
}

/// `{head} WHERE organization_id = $1 AND full_path below $2{tail}`: the rows of one table
/// below the group at `full_path`.
fn rows_below(head: &str, org: &str, full_path: &str, tail: &str) -> Stmt {
    stmt(&format!("{head} WHERE organization_id = $1 AND {}{tail}", below("full_path", "$2")), vec![t(org), t(full_path)])
}

/// Moves the rows of `table` below group `old` under `new`'s full path and name prefixes;
/// `extra` adds SET clauses (their parameters numbered from $6).
fn rebase_below(table: &str, old: &Namespace, new: &Namespace, extra: &str) -> Stmt {
    stmt(
        &format!(
            "UPDATE {table} SET full_path = $1 || substr(full_path, length($2) + 1), full_name = $3 || substr(full_name, length($4) + 1){extra} \
             WHERE organization_id = $5 AND {}",
            below("full_path", "$2")
        ),
        vec![t(&new.full_path), t(&old.full_path), t(&new.full_name), t(&old.full_name), t(&old.organization_id)],
    )
}

/// SQL that is true when `user` holds an unexpired membership of a group `a` in organization
/// `org` (an SQL expression) for which `covers("a.full_path")` holds.
fn group_membership(b: &mut Builder, user: &str, now: Millis, org: &str, covers: impl FnOnce(&str) -> String) -> String {
    let (user, now) = (b.param(t(user)), b.param(P::I(now)));
    format!(
        "EXISTS (SELECT 1 FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id WHERE nm.user_id = {user} AND {} \
         AND a.organization_id = {org} AND {})",
        unexpired("nm", &now),
        covers("a.full_path")
    )
}

/// Read access to a result row, by column index.
pub trait RowLike {
    /// A TEXT column.
    fn text(&self, i: usize) -> String;
    /// An integer column.
    fn int(&self, i: usize) -> i64;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Option<i64>;
    /// A boolean column (INTEGER in SQLite).
    fn boolean(&self, i: usize) -> bool;
    /// A nullable bytes column.
    fn opt_bytes(&self, i: usize) -> Option<Vec<u8>>;
    /// A nullable TEXT column.
    fn opt_text(&self, i: usize) -> Option<String>;
}

/// A stored value parsed into its domain type: a value the type refuses is a corrupt row,
/// reported as a backend failure rather than read as some default.
fn parsed<T, V: std::fmt::Debug>(column: &str, stored: V, parse: impl FnOnce(&V) -> Option<T>) -> StoreResult<T> {
    parse(&stored).ok_or_else(|| StoreError::Backend(format!("corrupt row: {column} holds {stored:?}")))
}
fn org_role(r: &dyn RowLike, i: usize) -> StoreResult<OrgRole> {
    parsed("role", r.text(i), |s| OrgRole::from_stored(s))
}
fn visibility(r: &dyn RowLike, i: usize) -> StoreResult<CodeVisibility> {
    parsed("visibility", r.text(i), |s| CodeVisibility::parse("visibility", s).ok())
}
fn access_level(r: &dyn RowLike, i: usize) -> StoreResult<AccessLevel> {
    parsed("access_level", r.int(i), |n| AccessLevel::from_codeup(*n))
}

fn prefixed(cols: &str, alias: &str) -> String {
    cols.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of text cells, for the row mappers.
    struct Cells(Vec<&'static str>);

    impl RowLike for Cells {
        fn text(&self, i: usize) -> String {
            self.0[i].to_string()
        }
        fn int(&self, i: usize) -> i64 {
            self.0[i].parse().unwrap_or_default()
        }
        fn opt_int(&self, i: usize) -> Option<i64> {
            self.0[i].parse().ok()
        }
        fn boolean(&self, i: usize) -> bool {
            self.0[i] == "1"
        }
        fn opt_bytes(&self, _: usize) -> Option<Vec<u8>> {
            None
        }
        fn opt_text(&self, i: usize) -> Option<String> {
            Some(self.0[i].to_string())
        }
    }

    #[test]
    fn a_corrupt_stored_value_is_a_backend_error_not_a_default() {
        let mut ns = vec!["7", "org", "1", "group", "N", "n", "org/n", "org / N", "", "private", "", "u", "1", "0", "0"];
        assert_eq!(ns_row(&Cells(ns.clone())).unwrap().visibility, CodeVisibility::Private);
        ns[9] = "secret";
        assert!(matches!(ns_row(&Cells(ns.clone())), Err(StoreError::Backend(m)) if m.contains("visibility")));
        ns[9] = "public";
        ns[3] = "folder";
        assert!(matches!(ns_row(&Cells(ns)), Err(StoreError::Backend(m)) if m.contains("kind")));
        assert!(matches!(org_role_row(&Cells(vec!["superuser"])), Err(StoreError::Backend(_))));
        assert_eq!(level_row(&Cells(vec!["NULL"])).unwrap(), AccessLevel::None);
        assert!(matches!(level_row(&Cells(vec!["25"])), Err(StoreError::Backend(_))));
        assert_eq!(level_row(&Cells(vec!["30"])).unwrap(), AccessLevel::Write);
    }

    #[test]
    fn every_placeholder_names_a_parameter_and_every_parameter_is_named() {
        let q = MemberQuery {
            workspace_id: "1".into(),
            name_contains: Some("a_b".into()),
            any_role: vec![codeport_core::values::WorkspaceRole::AlgoDeveloper],
            user_id: Some("7".into()),
            page: codeport_core::values::Page::parse(None, None).unwrap(),
        };
        let (_, page) = list_members(&q);
        let named: std::collections::BTreeSet<usize> =
            page.sql.split('$').skip(1).map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()).collect();
        assert_eq!(named, (1..=page.params.len()).collect(), "{}", page.sql);
        assert!(matches!(&page.params[1], P::T(p) if p == "%a\\_b%"));
        // The pattern is bound once and named for both columns.
        assert_eq!(page.sql.matches("lower($2)").count(), 2, "{}", page.sql);
    }
}
