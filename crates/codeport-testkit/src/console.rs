//! A browser-less console client for integration tests: signs in through the real sign-in
//! form (its CSRF cookie and token included), keeps the session cookie, and posts forms with
//! the session's CSRF token, as a browser would. The browser tests drive real Chromium.

use crate::TestServer;
use codeport_core::secret::Secret;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};

/// The password tests give the users they sign in as (long enough for the policy).
pub const TEST_PASSWORD: &str = "dev-password-12";

/// One page as received (redirects are not followed).
#[derive(Debug)]
pub struct Page {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// The Location header of a redirect.
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// A signed-in console user.
pub struct ConsoleClient {
    /// The server's base URL.
    pub base_url: String,
    client: reqwest::Client,
    /// `codeport_session=…`.
    pub cookie: String,
    /// The session's CSRF token (read from a page's form).
    pub csrf: String,
}

/// The value of `name="csrf" value="…"` in a page.
pub fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_string())
}

/// `name=value` of a Set-Cookie header named `name`.
pub fn cookie_pair(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn page_of(resp: reqwest::Response) -> Page {
    Page { status: resp.status().as_u16(), headers: resp.headers().clone(), body: resp.text().await.unwrap_or_default() }
}

/// Signs in through the form; the page the POST answered (a 303 on success).
pub async fn submit_sign_in(base_url: &str, user_name: &str, password: &str) -> Page {
    submit_sign_in_to(base_url, user_name, password, "/").await
}

/// Signs in through the form with its hidden `next` field set to `next`.
pub async fn submit_sign_in_to(base_url: &str, user_name: &str, password: &str, next: &str) -> Page {
    let client = no_redirects();
    let form = page_of(client.get(format!("{base_url}/login")).send().await.expect("GET /login")).await;
    let sign_in_cookie = cookie_pair(&form.headers, "codeport_sign_in").expect("sign-in cookie");
    let csrf = csrf_in(&form.body).expect("csrf field");
    let body = crate::form_encode(&[("csrf", &csrf), ("next", next), ("user_name", user_name), ("password", password)]);
    let resp = client
        .post(format!("{base_url}/login"))
        .header(COOKIE, sign_in_cookie)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST /login");
    page_of(resp).await
}

impl TestServer {
    /// Gives `user_name` the test password and signs in as them through the form.
    pub async fn console(&self, user_name: &str) -> ConsoleClient {
        self.state.console_auth().set_password(user_name, &Secret::new(TEST_PASSWORD)).await.expect("set password");
        let done = submit_sign_in(&self.base_url, user_name, TEST_PASSWORD).await;
        assert_eq!(done.status, 303, "sign-in as {user_name} failed: {}", done.body);
        let cookie = cookie_pair(&done.headers, "codeport_session").expect("session cookie");
        let mut c = ConsoleClient { base_url: self.base_url.clone(), client: no_redirects(), cookie, csrf: String::new() };
        // A signed-in user's GET /login goes on to the start page; its sign-out form has the token.
        let mut page = c.get("/login").await;
        for _ in 0..3 {
            if page.status != 303 {
                break;
            }
            page = c.get(page.location()).await;
        }
        c.csrf = csrf_in(&page.body).expect("a page with the session's csrf token");
        c
    }
}

impl ConsoleClient {
    /// GET a path.
    pub async fn get(&self, path: &str) -> Page {
        page_of(self.client.get(format!("{}{path}", self.base_url)).header(COOKIE, &self.cookie).send().await.expect("GET")).await
    }

    /// POST a form with the session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &crate::form_encode(&all)).await
    }

    /// POST a url-encoded body as is (no token added).
    pub async fn post_raw(&self, path: &str, body: &str) -> Page {
        let resp = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header(COOKIE, &self.cookie)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        page_of(resp).await
    }
}
