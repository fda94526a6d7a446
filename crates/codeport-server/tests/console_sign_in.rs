//! The console's sign-in, sessions and the headers every page carries, over real HTTP.

use codeport_testkit::console::{cookie_pair, csrf_in, submit_sign_in, submit_sign_in_to, TEST_PASSWORD};
use codeport_testkit::{Backend, TestServer};

async fn server() -> TestServer {
    TestServer::start(Backend::Sqlite).await.expect("server")
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_a_session_redirects_to_sign_in_and_back_after_it() {
    let s = server().await;
    let org = s.bootstrap["organizationId"].as_str().unwrap().to_string();
    let resp = plain_client().get(format!("{}/{org}?x=1", s.base_url)).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("/login?next=%2F{org}%3Fx%3D1"));

    // The form carries `next` through the POST and the redirect returns there.
    let form = plain_client().get(format!("{}{location}", s.base_url)).send().await.unwrap();
    assert!(cookie_pair(form.headers(), "codeport_sign_in").is_some(), "the form's double-submit cookie");
    let body = form.text().await.unwrap();
    assert!(body.contains(r#"<label for="user_name">User name</label>"#), "{body}");
    assert!(body.contains(r#"<label for="password">Password</label>"#));
    assert!(body.contains("Sign in</button>"));
    assert!(body.contains(&format!(r#"name="next" value="/{org}?x=1""#)));
    s.state.console_auth().set_password("admin", &codeport_core::secret::Secret::new(TEST_PASSWORD)).await.unwrap();
    let done = submit_sign_in_to(&s.base_url, "admin", TEST_PASSWORD, &format!("/{org}?x=1")).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), format!("/{org}?x=1"));
    let cookie =
        done.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.starts_with("codeport_session=")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http external URL: no Secure attribute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_parameter_only_returns_to_a_path_on_this_server() {
    let s = server().await;
    s.state.console_auth().set_password("admin", &codeport_core::secret::Secret::new(TEST_PASSWORD)).await.unwrap();
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"] {
        let done = submit_sign_in_to(&s.base_url, "admin", TEST_PASSWORD, evil).await;
        assert_eq!(done.status, 303);
        assert_eq!(done.location(), "/", "next={evil}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sign_in_says_the_same_whatever_was_wrong() {
    let s = server().await;
    s.state.console_auth().set_password("admin", &codeport_core::secret::Secret::new(TEST_PASSWORD)).await.unwrap();
    let wrong_password = submit_sign_in(&s.base_url, "admin", "not-the-password-1").await;
    let unknown_user = submit_sign_in(&s.base_url, "nobody-here", TEST_PASSWORD).await;
    for page in [&wrong_password, &unknown_user] {
        assert_eq!(page.status, 401);
        assert!(page.body.contains("Invalid user name or password"), "{}", page.body);
        assert!(cookie_pair(&page.headers, "codeport_session").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_post_without_the_form_token_is_refused() {
    let s = server().await;
    s.state.console_auth().set_password("admin", &codeport_core::secret::Secret::new(TEST_PASSWORD)).await.unwrap();
    let body = codeport_testkit::form_encode(&[("user_name", "admin"), ("password", TEST_PASSWORD), ("csrf", "guess")]);
    let resp = plain_client()
        .post(format!("{}/login", s.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(cookie_pair(resp.headers(), "codeport_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_needs_the_session_token_and_ends_the_session() {
    let s = server().await;
    let c = s.console("admin").await;
    let org = s.bootstrap["organizationId"].as_str().unwrap();
    assert!(!c.csrf.is_empty());
    // Without the token (or with another one) nothing happens.
    assert_eq!(c.post_raw("/logout", "").await.status, 403);
    assert_eq!(c.post_raw("/logout", "csrf=forged").await.status, 403);
    let still = c.get(&format!("/{org}")).await;
    assert_ne!(still.status, 303, "the session survived the forged posts");
    assert!(csrf_in(&still.body).is_some());
    let out = c.post_form("/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/login");
    let after = c.get(&format!("/{org}")).await;
    assert_eq!(after.status, 303, "the old cookie no longer opens pages");
    assert!(after.location().starts_with("/login?next="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers_and_unknown_paths_the_not_found_page() {
    let s = server().await;
    let c = s.console("admin").await;
    for path in ["/login", "/no-such-org/x", "/pai/workspaces"] {
        let page = c.get(path).await;
        let csp = page.headers.get("content-security-policy").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(page.headers["x-content-type-options"], "nosniff", "{path}");
    }
    let unknown = c.get("/no-such-org/x").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("Page not found"));
    assert!(!unknown.body.contains("<script>"), "no inline script");
    // The API keeps its own error format.
    let api = plain_client().get(format!("{}/oapi/v1/nothing", s.base_url)).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert!(api.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_served_by_content_hash_with_a_long_cache() {
    let s = server().await;
    let c = s.console("admin").await;
    let page = c.get("/no-such-page").await;
    let href = page.body.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(href.starts_with("/-/assets/console.") && href.ends_with(".css"), "{href}");
    let css = plain_client().get(format!("{}{href}", s.base_url)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let stale = plain_client().get(format!("{}/-/assets/console.000000000000.css", s.base_url)).send().await.unwrap();
    assert_eq!(stale.status(), 404, "a name of another build is not this build's file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_pause_sign_in_and_the_page_says_so() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.sign_in_throttle = codeport_server::config::SignInThrottle { slow_after: 100, lock_after: 3, ..Default::default() };
    })
    .await
    .unwrap();
    s.state.console_auth().set_password("admin", &codeport_core::secret::Secret::new(TEST_PASSWORD)).await.unwrap();
    for _ in 0..2 {
        assert_eq!(submit_sign_in(&s.base_url, "admin", "wrong-password-123").await.status, 401);
    }
    let locked = submit_sign_in(&s.base_url, "admin", "wrong-password-123").await;
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("Too many failed sign-ins"), "{}", locked.body);
    assert!(locked.headers.contains_key("retry-after"));
    let right = submit_sign_in(&s.base_url, "admin", TEST_PASSWORD).await;
    assert_eq!(right.status, 429, "while paused, even the right password is refused");
    assert!(cookie_pair(&right.headers, "codeport_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_secure_when_the_external_url_is_https() {
    let s = TestServer::start_with(Backend::Sqlite, |c| c.external_url = "https://code.example.com".into()).await.unwrap();
    s.state.console_auth().set_password("admin", &codeport_core::secret::Secret::new(TEST_PASSWORD)).await.unwrap();
    let done = submit_sign_in(&s.base_url, "admin", TEST_PASSWORD).await;
    assert_eq!(done.status, 303);
    let cookie = done.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).find(|c| c.starts_with("codeport_session=")).unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_forms_are_refused_with_413_and_change_nothing() {
    let s = server().await;
    let c = s.console("admin").await;
    let org = s.organization_id();
    let huge = "x".repeat(80 * 1024);
    let post = c.post_form(&format!("/{org}/-/new-group"), &[("name", "Big"), ("path", "big"), ("description", &huge)]).await;
    assert_eq!(post.status, 413, "{}", post.body);
    assert!(post.body.contains("exceeds the limit"));
    let group = c.get(&format!("/{org}/big")).await;
    assert_eq!(group.status, 404, "nothing was created");
    let login = plain_client()
        .post(format!("{}/login", s.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("user_name=admin&password={huge}"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 413);
}
