//! What RAM authorization costs a GetCodeSource, measured in one run on a real store
//! (SQLite in a temporary directory):
//! - `authorize/admin-access`: the decision alone for a user whose only policy is
//!   AdministratorAccess (one statement);
//! - `authorize/10x10`: the decision alone for a user with 10 custom policies of 10
//!   statements each (wildcards, a Deny with an IP condition, NotAction), the issue's case;
//! - `get_code_source/admin-access` and `get_code_source/10x10`: the whole service call
//!   (one store read, the resource rules, the decision, the token opened for its creator).
//!
//! The per-request overhead of policy evaluation is `authorize/X` over `get_code_source/X`,
//! both from this run; the HTTP request around it (signature check, JSON) only makes the
//! share smaller. Run: `cargo bench -p codeport-server --bench authorization`.

use codeport_core::actions::Operation;
use codeport_core::values::{EnvTypes, Text, WorkspaceName};
use codeport_server::services::code_sources::CreateCodeSource;
use codeport_server::services::workspaces::CreateWorkspace;
use codeport_server::services::Call;
use codeport_server::{AppState, Config};
use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;

fn policy_document(i: usize) -> String {
    let statements: Vec<String> = (0..10)
        .map(|j| match (i + j) % 5 {
            0 => format!(r#"{{"Sid":"S{i}x{j}","Effect":"Allow","Action":["paicodesource:Get*","paicodesource:List*"],"Resource":"acs:paicodesource:*:*:workspace/*/codesource/*"}}"#),
            1 => format!(r#"{{"Effect":"Deny","Action":"paicodesource:Delete*","Resource":"acs:paicodesource:*:*:workspace/9{i}{j}/*"}}"#),
            2 => r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["10.0.0.0/8","127.0.0.0/8","192.168.0.0/16"]}}}"#.to_string(),
            3 => r#"{"Effect":"Allow","NotAction":["codeup:Delete*","paiworkspace:Delete*"],"Resource":"acs:paiworkspace:*:*:workspace/*"}"#.to_string(),
            _ => format!(r#"{{"Effect":"Allow","Action":"codeup:Get*","Resource":"acs:codeup:*:*:repository/team-{i}/*"}}"#),
        })
        .collect();
    format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(","))
}

struct Setup {
    state: AppState,
    admin: Call,
    heavy: Call,
    code_source: String,
    arn: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = codeport_server::open_state(Config::for_data_dir(dir.path()), true).await.expect("state");
    let boot = state.identities().bootstrap_if_empty().await.expect("bootstrap").expect("fresh");
    let admin = Arc::new(state.identities().principal(&boot.user_id, None).await.expect("admin"));
    // The heavy user is an organization admin too, so the resource rules let it read.
    let heavy_user = state.identities().create_user("heavy", None).await.expect("user");
    for i in 0..10 {
        state.policies().create_policy(&format!("P{i}"), "", &policy_document(i)).await.expect("policy");
        state.policies().attach_policy("heavy", &format!("P{i}")).await.expect("attach");
    }
    state.policies().detach_policy("heavy", "AdministratorAccess").await.expect("detach");
    let ws = state
        .workspaces()
        .create_workspace(
            &Call::new(admin.clone(), Operation::CreateWorkspace),
            CreateWorkspace {
                name: WorkspaceName::parse("bench").unwrap(),
                display_name: None,
                description: Text::parse("d", "", 80, false).unwrap(),
                env_types: EnvTypes::parse(&["prod".into()]).unwrap(),
                resource_group_id: None,
            },
        )
        .await
        .expect("workspace");
    let cmd = CreateCodeSource {
        workspace_id: ws.id.clone(),
        display_name: Text::parse("n", "bench", 100, true).unwrap(),
        description: None,
        code_repo: None,
        code_branch: None,
        code_commit: None,
        code_repo_user_name: None,
        code_repo_access_token: None,
        mount_path: None,
        accessibility: Some(codeport_core::values::Accessibility::Public),
        clone_type: None,
    };
    let code_source =
        state.code_sources().create_code_source(&Call::new(admin.clone(), Operation::CreateCodeSource), cmd).await.expect("code source");
    state
        .workspaces()
        .create_members(
            &Call::new(admin.clone(), Operation::CreateMember),
            &ws.id,
            vec![(heavy_user.id.clone(), codeport_core::values::RoleSet::new(vec![codeport_core::values::WorkspaceRole::AlgoDeveloper]))],
        )
        .await
        .expect("member");
    let heavy = Call::new(Arc::new(state.identities().principal(&heavy_user.id, None).await.expect("heavy")), Operation::GetCodeSource);
    let admin = Call::new(admin, Operation::GetCodeSource);
    let arn = codeport_server::authz::code_source_arn(&boot.organization_id, &ws.id, &code_source);
    Setup { state, admin, heavy, code_source, arn, _dir: dir }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let s = rt.block_on(setup());
    // Warm the caches and check both users are allowed, so the benches measure allows.
    for p in [&s.admin, &s.heavy] {
        rt.block_on(s.state.code_sources().get_code_source(p, &s.code_source)).expect("allowed");
        rt.block_on(s.state.authorize(p, &s.arn, &[])).expect("allowed");
    }
    let mut g = c.benchmark_group("authorize");
    g.bench_function("admin-access", |b| b.iter(|| rt.block_on(s.state.authorize(&s.admin, &s.arn, &[])).unwrap()));
    g.bench_function("10x10", |b| b.iter(|| rt.block_on(s.state.authorize(&s.heavy, &s.arn, &[])).unwrap()));
    g.finish();
    let mut g = c.benchmark_group("get_code_source");
    g.bench_function("admin-access", |b| b.iter(|| rt.block_on(s.state.code_sources().get_code_source(&s.admin, &s.code_source)).unwrap()));
    g.bench_function("10x10", |b| b.iter(|| rt.block_on(s.state.code_sources().get_code_source(&s.heavy, &s.code_source)).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
