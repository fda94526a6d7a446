//! The console's repository pages over a real server and real git pushes: the home page
//! (tree, README, clone URL, ref switcher), `/-/tree` (directories, slashed branch names),
//! `/-/blob` (line anchors, highlighting, binary and too-large files), `/-/raw` (exact bytes,
//! content types that never run as HTML), the empty repository's push instructions, README
//! sanitizing, and the one 404 page for a private repository's non-member.

use codeport_testkit::console::ConsoleClient;
use codeport_testkit::git::Scratch;
use codeport_testkit::{Backend, CodeupClient, TestServer};
use serde_json::json;

/// The file API limit the server runs with, so one small file is "too large to show".
const MAX_FILE_BYTES: u64 = 4000;
const RAW_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const README: &str = "# Hello heading\n\nRead [the guide](docs/guide.md).\n\n![logo](img/logo.png)\n";
const DOCS_README: &str = "## Docs\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n";
const MAIN_RS: &str = "fn main() {\n    println!(\"hi\");\n}\n";
const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n";
const HTML: &str = "<html><body><script>alert(1)</script></body></html>\n";
/// A file name that is markup.
const EVIL_NAME: &str = "x<img src=x onerror=alert(1)>.txt";

fn binary() -> Vec<u8> {
    (0..300u32).map(|i| (i % 7) as u8).collect()
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend((0..64u8).collect::<Vec<_>>());
    b
}

fn big_text() -> String {
    "a line of a big text file\n".repeat(400)
}

async fn start() -> TestServer {
    TestServer::start_with(Backend::Sqlite, |c| c.max_file_bytes = MAX_FILE_BYTES).await.expect("sqlite server")
}

async fn create_repo(s: &TestServer, c: &CodeupClient, path: &str, visibility: &str) -> String {
    let body = json!({"name": path, "path": path, "visibility": visibility});
    let r = c.post(&format!("/oapi/v1/codeup/organizations/{}/repositories", s.organization_id()), &body).await;
    assert_eq!(r.status, 200, "create repository {path}: {}", r.text);
    r.json["pathWithNamespace"].as_str().expect("pathWithNamespace").to_string()
}

/// Pushes the fixture: master with README.md, src/main.rs, docs/, binaries, images, a big
/// file and a file whose name is markup; branch feature/x with one more file.
async fn push_fixture(s: &TestServer, full_path: &str) -> String {
    let token = s.bootstrap["personalAccessToken"].as_str().unwrap();
    let url = format!("http://x:{token}@{}/{full_path}.git", s.endpoint);
    let x = Scratch::new();
    let root = x.dir.path().to_path_buf();
    x.ok(&root, &["clone", &url, "w"]).await;
    let w = x.path("w");
    for dir in ["src", "docs", "img"] {
        std::fs::create_dir_all(w.join(dir)).unwrap();
    }
    x.write(&w, "README.md", README.as_bytes());
    x.write(&w, "src/main.rs", MAIN_RS.as_bytes());
    x.write(&w, "docs/guide.md", b"guide\n");
    x.write(&w, "docs/README.md", DOCS_README.as_bytes());
    x.write(&w, "img/logo.png", &png());
    x.write(&w, "data.bin", &binary());
    x.write(&w, "image.svg", SVG.as_bytes());
    x.write(&w, "page.html", HTML.as_bytes());
    x.write(&w, "big.txt", big_text().as_bytes());
    x.write(&w, EVIL_NAME, b"evil\n");
    x.ok(&w, &["add", "-A"]).await;
    x.ok(&w, &["commit", "-m", "first"]).await;
    x.ok(&w, &["push", "origin", "master"]).await;
    let master = x.ok(&w, &["rev-parse", "HEAD"]).await;
    x.ok(&w, &["checkout", "-b", "feature/x"]).await;
    x.write(&w, "feature.txt", b"only on the feature branch\n");
    x.ok(&w, &["add", "-A"]).await;
    x.ok(&w, &["commit", "-m", "feature"]).await;
    x.ok(&w, &["push", "origin", "feature/x"]).await;
    master
}

/// GET with the session, keeping the body's exact bytes.
async fn get_bytes(c: &ConsoleClient, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = client.get(format!("{}{path}", c.base_url)).header(reqwest::header::COOKIE, &c.cookie).send().await.expect("GET");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn position(body: &str, needle: &str) -> usize {
    body.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the page:\n{body}"))
}

/// No `onerror=` attribute in a tag (escaped text, or a percent-encoded link, that shows the
/// characters is fine) and no `<script` but the console's own script tag.
fn assert_inert(body: &str) {
    assert_eq!(body.matches("<script").count(), 1, "only the layout's script tag:\n{body}");
    for (at, _) in body.match_indices("onerror=") {
        let before = &body[..at];
        let attribute = before.ends_with(|c: char| c.is_whitespace() || c == '/');
        assert!(!attribute || before.rfind('>') > before.rfind('<'), "an onerror attribute at {at}:\n{body}");
    }
}

#[tokio::test]
async fn repository_pages_show_tree_readme_files_and_raw_bytes() {
    let s = start().await;
    let fp = create_repo(&s, &s.admin_token(), "demo", "private").await;
    let sha = push_fixture(&s, &fp).await;
    let c = s.console("admin").await;
    let base = format!("/{fp}");

    // Home: directories first, the README rendered, the clone URL, the switcher.
    let home = c.get(&base).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let b = &home.body;
    let docs = position(b, &format!("href=\"{base}/-/tree/master/docs\""));
    let src = position(b, &format!("href=\"{base}/-/tree/master/src\""));
    let readme_link = position(b, &format!("href=\"{base}/-/blob/master/README.md\""));
    assert!(docs < src && src < readme_link, "directories (sorted) come before files");
    assert!(b.contains(&format!("value=\"{}/{fp}.git\"", s.state.config.external_url)), "clone URL");
    assert!(b.contains("Hello heading</h1>"), "README heading rendered");
    assert!(b.contains("<div class=\"markdown\">"));
    assert!(b.contains(&format!("href=\"{base}/-/blob/master/docs/guide.md\"")), "README link onto /-/blob/");
    assert!(b.contains(&format!("src=\"{base}/-/raw/master/img/logo.png\"")), "README image onto /-/raw/");
    assert!(b.contains(&format!("href=\"{base}/-/tree/feature/x\"")), "the switcher offers the slashed branch");
    assert!(b.contains("aria-current=\"true\""), "the current ref is marked");
    assert!(b.contains(&format!("href=\"{base}/-/commits/master\"")) && b.contains(&format!("href=\"{base}/-/tags\"")));
    assert!(b.contains("x&lt;img src=x onerror=alert(1)&gt;.txt"), "a markup file name is text");
    assert!(b.contains(&format!("{base}/-/blob/master/x%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt")), "and its link is encoded");
    assert_inert(b);

    // A directory: its entries, "..", breadcrumbs, and its README sanitized.
    let tree = c.get(&format!("{base}/-/tree/master/docs")).await;
    assert_eq!(tree.status, 200, "{}", tree.body);
    assert!(tree.body.contains(&format!("href=\"{base}/-/blob/master/docs/guide.md\"")));
    assert!(tree.body.contains(&format!("href=\"{base}/-/tree/master\">..</a>")));
    assert!(tree.body.contains("Docs"), "the directory's README");
    assert!(!tree.body.contains("onerror="), "event handlers are stripped from the README");
    assert_inert(&tree.body);
    assert_eq!(c.get(&format!("{base}/-/tree/master/nope")).await.status, 404);
    assert_eq!(c.get(&format!("{base}/-/tree/no-such-ref")).await.status, 404);

    // A file: line anchors, highlighting, a Raw link.
    let blob = c.get(&format!("{base}/-/blob/master/src/main.rs")).await;
    assert_eq!(blob.status, 200, "{}", blob.body);
    assert!(blob.body.contains("id=\"L3\"") && blob.body.contains("href=\"#L3\""), "line anchors");
    assert!(!blob.body.contains("id=\"L4\""), "three lines");
    assert!(blob.body.contains("<span class=\"hl-"), "highlighted:\n{}", blob.body);
    assert!(blob.body.contains(&format!("href=\"{base}/-/raw/master/src/main.rs\"")));
    let binary_page = c.get(&format!("{base}/-/blob/master/data.bin")).await;
    assert!(binary_page.body.contains("binary file, 300 bytes"), "{}", binary_page.body);
    let big = c.get(&format!("{base}/-/blob/master/big.txt")).await;
    assert_eq!(big.status, 200);
    assert!(big.body.contains("too large to show") && big.body.contains(&format!("href=\"{base}/-/raw/master/big.txt\"")), "{}", big.body);
    let dir = c.get(&format!("{base}/-/blob/master/docs")).await;
    assert_eq!((dir.status, dir.location()), (303, format!("{base}/-/tree/master/docs").as_str()));

    // Raw: exact bytes, never HTML from this origin.
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("src/main.rs", MAIN_RS.into(), "text/plain; charset=utf-8"),
        ("page.html", HTML.into(), "text/plain; charset=utf-8"),
        ("img/logo.png", png(), "image/png"),
        ("data.bin", binary(), "application/octet-stream"),
        ("image.svg", SVG.into(), "image/svg+xml"),
        ("big.txt", big_text().into_bytes(), "text/plain; charset=utf-8"),
    ];
    for (path, bytes, content_type) in cases {
        let (status, h, body) = get_bytes(&c, &format!("{base}/-/raw/master/{path}")).await;
        assert_eq!(status, 200, "raw {path}");
        assert_eq!(body, bytes, "raw {path} bytes");
        assert_eq!(header(&h, "content-type"), content_type, "raw {path}");
        assert_eq!(header(&h, "content-security-policy"), RAW_CSP, "raw {path} keeps its sandboxing CSP");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        let name = path.rsplit('/').next().unwrap();
        assert!(header(&h, "content-disposition").starts_with(&format!("inline; filename=\"{name}\"")), "{:?}", h);
    }
    let (_, h, _) = get_bytes(&c, &format!("{base}/-/raw/master/x%3Cimg%20src=x%20onerror=alert(1)%3E.txt")).await;
    assert!(header(&h, "content-disposition").starts_with("inline; filename=\"x<img src=x onerror=alert(1)>.txt\""), "{h:?}");
    assert_eq!(c.get(&format!("{base}/-/raw/master/nope")).await.status, 404);

    // A branch whose name has a slash.
    let feature = c.get(&format!("{base}/-/tree/feature/x")).await;
    assert_eq!(feature.status, 200, "{}", feature.body);
    assert!(feature.body.contains(&format!("href=\"{base}/-/blob/feature/x/feature.txt\"")));
    let master_tree = c.get(&format!("{base}/-/tree/master")).await;
    assert!(!master_tree.body.contains("feature.txt"));
    let f = c.get(&format!("{base}/-/blob/feature/x/feature.txt")).await;
    assert!(f.body.contains("only on the feature branch"), "{}", f.body);
    let (_, _, raw) = get_bytes(&c, &format!("{base}/-/raw/feature/x/feature.txt")).await;
    assert_eq!(raw, b"only on the feature branch\n");
    let sub = c.get(&format!("{base}/-/tree/feature/x/src")).await;
    assert!(sub.body.contains(&format!("href=\"{base}/-/blob/feature/x/src/main.rs\"")), "{}", sub.body);

    // A commit id as the ref.
    let by_sha = c.get(&format!("{base}/-/blob/{sha}/src/main.rs")).await;
    assert_eq!(by_sha.status, 200, "{}", by_sha.body);
}

#[tokio::test]
async fn an_empty_repository_shows_how_to_push_to_it() {
    let s = start().await;
    let fp = create_repo(&s, &s.admin_token(), "empty", "private").await;
    let c = s.console("admin").await;
    let home = c.get(&format!("/{fp}")).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let url = format!("{}/{fp}.git", s.state.config.external_url);
    assert!(home.body.contains(&format!("git clone {url}")), "{}", home.body);
    assert!(home.body.contains(&format!("git remote add origin {url}")));
    assert!(home.body.contains("git push -u origin master"));
}

#[tokio::test]
async fn a_private_repository_is_the_same_404_for_a_non_member() {
    let s = start().await;
    let fp = create_repo(&s, &s.admin_token(), "secret", "private").await;
    push_fixture(&s, &fp).await;
    let (_, _) = s.token_user("bob", "").await;
    let bob = s.console("bob").await;
    let org = s.organization_id();
    let unknown = bob.get(&format!("/{org}/no-such-repo/-/blob/master/src/main.rs")).await;
    assert_eq!(unknown.status, 404);
    for path in ["", "/-/tree/master", "/-/tree/master/docs", "/-/blob/master/src/main.rs", "/-/raw/master/src/main.rs", "/-/raw/master/data.bin"] {
        let p = bob.get(&format!("/{fp}{path}")).await;
        assert_eq!(p.status, 404, "{path}");
        assert_eq!(p.body, unknown.body, "{path}: the same page as an unknown path");
        assert_eq!(header(&p.headers, "content-type"), "text/html; charset=utf-8");
    }
    // The owner sees it.
    let admin = s.console("admin").await;
    assert_eq!(admin.get(&format!("/{fp}/-/raw/master/src/main.rs")).await.status, 200);
}
