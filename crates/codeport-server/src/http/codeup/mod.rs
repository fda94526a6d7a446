//! The Codeup / Yunxiao OpenAPI family (`/oapi/v1/...`), in both editions: central, with
//! `organizations/{organizationId}` in the path, and region, where the organization is the
//! deployment's. Every operation needs a personal access token in `x-yunxiao-token`, and
//! the token owner's RAM policies must allow the operation's `codeup:` action (codeport's
//! extension) besides the resource rules: platform reads on `acs:codeup:…:organization`
//! (GetCurrentUser on `…:user/{userId}`), groups and repositories in their services.

mod dto;
pub(crate) mod repositories;
pub mod wire;

use crate::http::params::{int_param, JsonBody};
use crate::services::namespaces::{parse_access_level, CreateGroup, ListNamespaces, UpdateGroup};
use crate::services::platform::{Edition, MemberKey};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use codeport_core::entities::{NamespaceSort, OrgRole};
use codeport_core::values::{CodeVisibility, GroupPath, SortOrder};
use codeport_core::{AccessLevel, Error};
use serde::Deserialize;
use std::collections::HashMap;
use wire::{json, page_of, paged, query_page, BodyBytes, Caller, CodeupError, CodeupQuery, PathParams};

type Reply = Result<Response, CodeupError>;

pub(super) fn edition(params: &HashMap<String, String>) -> Edition {
    match params.get("organization_id") {
        Some(org) => Edition::Central(org.clone()),
        None => Edition::Region,
    }
}

// --- platform ------------------------------------------------------------------------

pub(crate) async fn current_user(State(s): State<AppState>, caller: Caller) -> Reply {
    Ok(json(&dto::user(&s.platform().current_user(&caller.0).await?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageQuery {
    page: Option<String>,
    per_page: Option<String>,
}

pub(crate) async fn user_organizations(State(s): State<AppState>, caller: Caller, CodeupQuery(q): CodeupQuery<PageQuery>) -> Reply {
    let page = query_page(q.page.as_deref(), q.per_page.as_deref(), 100)?;
    let all = s.platform().user_organizations(&caller.0).await?;
    let total = all.len() as u64;
    let items: Vec<_> = all.iter().skip(page.offset() as usize).take(page.size as usize).map(|(o, r)| dto::organization(o, *r)).collect();
    Ok(paged(&items, total, page))
}

pub(crate) async fn list_members(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<PageQuery>,
) -> Reply {
    let page = query_page(q.page.as_deref(), q.per_page.as_deref(), 100)?;
    let (items, total) = s.platform().organization_members(&caller.0, &edition(&params), None, Vec::new(), page).await?;
    let out: Vec<_> = items.iter().map(dto::member).collect();
    Ok(paged(&out, total, page))
}

pub(crate) async fn get_member(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let member_id = params.get("member_id").cloned().unwrap_or_default();
    let m = s.platform().organization_member(&caller.0, &edition(&params), MemberKey::MemberId(&member_id)).await?;
    Ok(json(&dto::member(&m)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ByUser {
    user_id: Option<String>,
}

pub(crate) async fn read_member_by_user(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<ByUser>,
) -> Reply {
    let user = q.user_id.filter(|u| !u.is_empty()).ok_or_else(|| Error::missing("userId"))?;
    let m = s.platform().organization_member(&caller.0, &edition(&params), MemberKey::UserId(&user)).await?;
    Ok(json(&dto::member(&m)))
}

pub(crate) async fn search_members(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams, BodyBytes(body): BodyBytes) -> Reply {
    let b = JsonBody::parse(&body)?;
    let page = page_of(b.int("page")?, b.int("perPage")?, 100)?;
    let query = b.str("query")?.filter(|q| !q.trim().is_empty());
    let roles: Vec<OrgRole> = b
        .str_list("roleIds")?
        .unwrap_or_default()
        .iter()
        .map(|r| OrgRole::from_stored(r).ok_or_else(|| Error::invalid("roleIds", format!("unknown role {r:?}; roles are owner, admin, member"))))
        .collect::<Result<_, _>>()?;
    // Everyone is an enabled member without a department: a status filter without an
    // enabled state, or any department filter, matches nobody.
    let statuses = b.str_list("statuses")?.unwrap_or_default();
    let enabled_wanted = statuses.is_empty() || statuses.iter().any(|s| matches!(s.as_str(), "ENABLED" | "NORMAL_USING" | "UNDELETED"));
    let no_departments = b.str_list("deptIds")?.unwrap_or_default().is_empty();
    if !(enabled_wanted && no_departments) {
        return Ok(paged::<serde_json::Value>(&[], 0, page));
    }
    let (items, total) = s.platform().organization_members(&caller.0, &edition(&params), query, roles, page).await?;
    let out: Vec<_> = items.iter().map(dto::member).collect();
    Ok(paged(&out, total, page))
}

// --- code groups ---------------------------------------------------------------------

pub(crate) async fn create_group(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams, BodyBytes(body): BodyBytes) -> Reply {
    let b = JsonBody::parse(&body)?;
    let path = b.str("path")?.ok_or_else(|| Error::missing("path"))?;
    let cmd = CreateGroup {
        name: b.text("name", 255, true)?.ok_or_else(|| Error::missing("name"))?,
        path: GroupPath::parse("path", &path)?,
        parent_id: b.int("parentId")?,
        visibility: b.str("visibility")?.filter(|v| !v.is_empty()).map(|v| CodeVisibility::parse("visibility", &v)).transpose()?,
        description: b.text("description", 65_535, false)?,
        avatar: b.text("avatar", 2048, false)?,
    };
    let ns = s.code_groups().create_group(&caller.0, &edition(&params), cmd).await?;
    Ok(json(&dto::created_group(&ns, &s.config.external_url)))
}

pub(crate) async fn get_namespace(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let key = params.get("namespace_id").cloned().unwrap_or_default();
    let ns = s.code_groups().get_namespace(&caller.0, &edition(&params), &key).await?;
    Ok(json(&dto::namespace(&ns, &s.config.external_url)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NamespaceListQuery {
    parent_id: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    search: Option<String>,
    order_by: Option<String>,
    sort: Option<String>,
}

pub(crate) async fn list_namespaces(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<NamespaceListQuery>,
) -> Reply {
    let page = query_page(q.page.as_deref(), q.per_page.as_deref(), 20)?;
    let sort = match q.order_by.as_deref().filter(|v| !v.is_empty()) {
        None | Some("updated_at") => NamespaceSort::Updated,
        Some("created_at") => NamespaceSort::Created,
        Some(other) => return Err(Error::invalid("orderBy", format!("{other:?} is not created_at or updated_at")).into()),
    };
    let order = match q.sort.as_deref().filter(|v| !v.is_empty()) {
        None => SortOrder::Desc,
        Some(v) => SortOrder::parse(v).map_err(|_| Error::invalid("sort", format!("{v:?} is not asc or desc")))?,
    };
    let cmd = ListNamespaces {
        parent_id: int_param("parentId", q.parent_id.as_deref())?,
        search: q.search.filter(|v| !v.trim().is_empty()),
        sort,
        order,
        page,
    };
    let (items, total) = s.code_groups().list_namespaces(&caller.0, &edition(&params), cmd).await?;
    let out: Vec<_> = items.iter().map(|n| dto::namespace(n, &s.config.external_url)).collect();
    Ok(paged(&out, total, page))
}

pub(crate) async fn update_group(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams, BodyBytes(body): BodyBytes) -> Reply {
    let b = JsonBody::parse(&body)?;
    let cmd = UpdateGroup {
        name: b.text("name", 255, true)?,
        path: b.str("path")?.map(|p| GroupPath::parse("path", &p)).transpose()?,
        description: b.text("description", 65_535, false)?,
        visibility: b.str("visibility")?.map(|v| CodeVisibility::parse("visibility", &v)).transpose()?,
        avatar: b.text("avatar", 2048, false)?,
        parent_id: b.int("parentId")?,
    };
    let key = params.get("group_id").cloned().unwrap_or_default();
    let ns = s.code_groups().update_group(&caller.0, &edition(&params), &key, cmd).await?;
    Ok(json(&dto::namespace(&ns, &s.config.external_url)))
}

#[derive(Deserialize)]
pub(crate) struct DeleteQuery {
    cascade: Option<String>,
}

pub(crate) async fn delete_group(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<DeleteQuery>,
) -> Reply {
    let cascade = match q.cascade.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(Error::invalid("cascade", format!("{other:?} is not true or false")).into()),
    };
    let key = params.get("group_id").cloned().unwrap_or_default();
    s.code_groups().delete_group(&caller.0, &edition(&params), &key, cascade).await?;
    Ok(json(&serde_json::json!({"result": true})))
}

// --- group members -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberQuery {
    access_level: Option<String>,
    user_id: Option<String>,
    expires_at: Option<String>,
}

fn expiry(q: &MemberQuery) -> Result<Option<i64>, Error> {
    match q.expires_at.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => codeport_core::timefmt::parse_end_of_date(v)
            .map(Some)
            .ok_or_else(|| Error::invalid("expiresAt", format!("{v:?} is not a date such as 2026-12-31"))),
    }
}

fn level(q: &MemberQuery, required: bool) -> Result<AccessLevel, Error> {
    match int_param("accessLevel", q.access_level.as_deref())? {
        Some(v) => parse_access_level(v),
        None if required => Err(Error::missing("accessLevel")),
        None => Ok(AccessLevel::None),
    }
}

pub(crate) async fn list_group_members(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<MemberQuery>,
) -> Reply {
    let min = match int_param("accessLevel", q.access_level.as_deref())? {
        None | Some(0) => AccessLevel::None,
        Some(v) => parse_access_level(v)?,
    };
    let key = params.get("group_id").cloned().unwrap_or_default();
    let (ns, members) = s.code_groups().group_members(&caller.0, &edition(&params), &key, min).await?;
    let out: Vec<_> = members.iter().map(|(m, from)| dto::group_member(m, &ns, from.as_ref(), &s.config.external_url)).collect();
    Ok(json(&out))
}

pub(crate) async fn add_group_members(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<MemberQuery>,
) -> Reply {
    let level = level(&q, true)?;
    // Official examples send userId=[a,b]: brackets are tolerated.
    let raw = q.user_id.clone().unwrap_or_default();
    let users: Vec<String> =
        raw.trim().trim_start_matches('[').trim_end_matches(']').split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_string).collect();
    let key = params.get("group_id").cloned().unwrap_or_default();
    let (ns, added) = s.code_groups().add_group_members(&caller.0, &edition(&params), &key, users, level, expiry(&q)?).await?;
    let out: Vec<_> = added.iter().map(|m| dto::group_member(m, &ns, None, &s.config.external_url)).collect();
    // One user: the member object, as the official pages show; several: an array of them.
    match out.as_slice() {
        [one] => Ok(json(one)),
        _ => Ok(json(&out)),
    }
}

pub(crate) async fn update_group_member(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<MemberQuery>,
) -> Reply {
    let level = level(&q, true)?;
    let key = params.get("group_id").cloned().unwrap_or_default();
    let user = params.get("user_id").cloned().unwrap_or_default();
    let (ns, m) = s.code_groups().update_group_member(&caller.0, &edition(&params), &key, &user, level, expiry(&q)?).await?;
    Ok(json(&dto::group_member(&m, &ns, None, &s.config.external_url)))
}

pub(crate) async fn remove_group_member(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let key = params.get("group_id").cloned().unwrap_or_default();
    let user = params.get("user_id").cloned().unwrap_or_default();
    s.code_groups().remove_group_member(&caller.0, &edition(&params), &key, &user).await?;
    Ok(json(&serde_json::json!({"result": true})))
}
