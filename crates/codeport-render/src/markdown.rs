//! README markdown to sanitized HTML.
//!
//! pulldown-cmark renders, then ammonia decides what survives: the markdown may carry raw
//! HTML, and whatever the parser passes through is untrusted. Three things are adjusted on the
//! event stream before rendering, because the sanitizer would otherwise throw them away or
//! cannot do them: heading ids (for `#anchor` links), table column alignment (pulldown-cmark
//! writes it as a `style` attribute, which the sanitizer drops and the console's CSP forbids;
//! it is emitted as the `align` attribute instead) and GFM's bare-URL autolinks.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Alignment, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

/// Where relative links and images in a README point: `blob_base` + path for links (e.g. "/ORG/grp/repo/-/blob/main/docs"), `raw_base` + path for images.
///
/// Both are the URL of the directory holding the README, so `./a.md`, `a.md` and `../b.md`
/// resolve the way they do when browsing the repository. A trailing `/` is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkBase<'a> {
    pub blob_base: &'a str,
    pub raw_base: &'a str,
}

/// Markdown (CommonMark + GFM tables, strikethrough, task lists, autolinks) to sanitized HTML.
///
/// Sanitized with ammonia's safe set: no script, no event handlers, no `style` attributes, no
/// iframes or forms; link and image URLs only `http:`, `https:`, `mailto:` or relative (so no
/// `javascript:` and no `data:` images); every link gets
/// `rel="noopener noreferrer nofollow"`. Relative link targets are rewritten onto
/// `links.blob_base` and relative image sources onto `links.raw_base` (raw HTML `<a>`/`<img>`
/// in the README too); `#fragment`, `/root-absolute` and absolute URLs are left alone.
/// Headings get GitHub-style ids (`## Getting started` → `id="getting-started"`), so a README's
/// own `[see](#getting-started)` links work without script.
pub fn markdown_html(markdown: &str, links: &LinkBase<'_>) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events: Vec<Event<'_>> = TextMergeStream::new(Parser::new_ext(markdown, options)).collect();
    let events = heading_ids(events);
    let events = table_alignment(events);
    let events = autolink(events);
    let mut html = String::with_capacity(markdown.len() + markdown.len() / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitizer(links).clean(&html).to_string()
}

/// The ammonia policy: its default safe set, narrowed to three URL schemes, plus the few
/// attributes markdown itself produces (heading ids, cell alignment, task-list checkboxes).
fn sanitizer(links: &LinkBase<'_>) -> ammonia::Builder<'static> {
    let blob_base = links.blob_base.to_owned();
    let raw_base = links.raw_base.to_owned();
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        // Task-list markers. Any <input> that survives is forced to a disabled checkbox, so
        // raw HTML cannot smuggle in a text or password field.
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "");
    for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        builder.add_tag_attributes(heading, ["id"]);
    }
    // Runs after ammonia's own URL check, so values seen here are already relative or one of
    // the allowed schemes; a rewrite only ever prefixes a base the caller chose.
    builder.attribute_filter(move |element, attribute, value| match (element, attribute) {
        ("a", "href") => Some(rewrite_relative(value, &blob_base)),
        ("img", "src") => Some(rewrite_relative(value, &raw_base)),
        (_, "id") => safe_id(value).then_some(Cow::Borrowed(value)),
        _ => Some(Cow::Borrowed(value)),
    });
    builder
}

/// Ids are kept only when they are slugs (letters, digits, `-`, `_`), the only kind this
/// renderer makes; that keeps raw HTML from planting ids that look like anything else.
fn safe_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Rewrites a relative URL onto `base` (the README's directory), resolving `.` and `..`.
/// Fragment-only (`#x`), root-absolute (`/x`, `//host/x`) and scheme URLs come back unchanged.
fn rewrite_relative<'v>(value: &'v str, base: &str) -> Cow<'v, str> {
    let trimmed = value.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('/') || trimmed.starts_with('\\') || has_scheme(trimmed) {
        return Cow::Borrowed(value);
    }
    let split = trimmed.find(['?', '#']).unwrap_or(trimmed.len());
    let (path, suffix) = trimmed.split_at(split);
    Cow::Owned(join_normalized(base, path) + suffix)
}

/// `scheme:` as the URL standard defines it: a letter, then letters, digits, `+`, `-`, `.`.
fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `base` + `/` + `path` with `.` and `..` segments resolved. A `..` never climbs above the
/// start of the base's path (the origin, if the base has one, is kept).
fn join_normalized(base: &str, path: &str) -> String {
    let (origin, base_path) = match base.find("://") {
        Some(i) => {
            let path_start = base[i + 3..].find('/').map_or(base.len(), |p| i + 3 + p);
            base.split_at(path_start)
        }
        None => ("", base),
    };
    let mut segments: Vec<&str> = base_path.split('/').filter(|s| !s.is_empty()).collect();
    let rel: Vec<&str> = path.split('/').collect();
    let last = rel.len() - 1;
    let mut trailing_slash = false;
    for (i, segment) in rel.iter().enumerate() {
        match *segment {
            "" | "." => trailing_slash = i == last,
            ".." => {
                segments.pop();
                trailing_slash = i == last;
            }
            s => {
                segments.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(base.len() + path.len() + 1);
    out.push_str(origin);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || segments.is_empty() {
        out.push('/');
    }
    out
}

/// Gives each heading a GitHub-style id from its text: lower case, punctuation dropped,
/// spaces to `-`, repeats numbered `-1`, `-2`.
fn heading_ids(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    let mut pending: Option<usize> = None; // index in `out` of the open heading's Start
    let mut text = String::new();
    for event in events {
        match &event {
            Event::Start(Tag::Heading { id: None, .. }) => {
                pending = Some(out.len());
                text.clear();
            }
            Event::Text(t) | Event::Code(t) if pending.is_some() => text.push_str(t),
            Event::End(TagEnd::Heading(_)) => {
                if let Some(at) = pending.take() {
                    let slug = unique_slug(&text, &mut seen);
                    if let Event::Start(Tag::Heading { id, .. }) = &mut out[at] {
                        if !slug.is_empty() {
                            *id = Some(CowStr::from(slug));
                        }
                    }
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

fn unique_slug(text: &str, seen: &mut HashMap<String, usize>) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            slug.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            slug.push('-');
        }
    }
    if slug.is_empty() {
        return slug;
    }
    let count = seen.entry(slug.clone()).or_insert(0);
    let unique = if *count == 0 { slug } else { format!("{slug}-{count}") };
    *count += 1;
    unique
}

/// Writes table cells with the `align` attribute instead of pulldown-cmark's inline `style`.
fn table_alignment(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut alignments: Vec<Alignment> = Vec::new();
    let mut in_head = false;
    let mut cell = 0usize;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        match &event {
            Event::Start(Tag::Table(a)) => alignments = a.clone(),
            Event::Start(Tag::TableHead) => {
                in_head = true;
                cell = 0;
            }
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => cell = 0,
            Event::Start(Tag::TableCell) => {
                let tag = if in_head { "th" } else { "td" };
                let align = match alignments.get(cell) {
                    Some(Alignment::Left) => " align=\"left\"",
                    Some(Alignment::Center) => " align=\"center\"",
                    Some(Alignment::Right) => " align=\"right\"",
                    _ => "",
                };
                out.push(Event::InlineHtml(format!("<{tag}{align}>").into()));
                continue;
            }
            Event::End(TagEnd::TableCell) => {
                let tag = if in_head { "th" } else { "td" };
                out.push(Event::InlineHtml(format!("</{tag}>").into()));
                cell += 1;
                continue;
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

/// GFM's extended autolinks: bare `https://…`, `http://…` and `www.…` in text become links.
/// Not inside links (markdown or raw `<a>`), images or code.
fn autolink(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut no_links = 0usize; // depth of links, images and code blocks around the text
    for event in events {
        match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => no_links += 1,
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => no_links = no_links.saturating_sub(1),
            Event::Html(html) | Event::InlineHtml(html) => {
                let tag = html.trim_start().to_ascii_lowercase();
                if tag.starts_with("</a") {
                    no_links = no_links.saturating_sub(1);
                } else if tag.starts_with("<a") && tag[2..].starts_with([' ', '>', '\t', '\n']) {
                    no_links += 1;
                }
            }
            Event::Text(text) if no_links == 0 => {
                if let Some(linked) = link_text(text) {
                    out.extend(linked);
                    continue;
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

/// Splits text around bare URLs; `None` when it holds none.
fn link_text(text: &str) -> Option<Vec<Event<'static>>> {
    let mut events = Vec::new();
    let mut rest = text;
    let mut plain_start = 0usize; // in `rest`
    let mut search_from = 0usize;
    while let Some((start, end)) = next_url(rest, search_from) {
        let url = &rest[start..end];
        if start > plain_start {
            events.push(Event::Text(rest[plain_start..start].to_owned().into()));
        }
        let dest = if url.starts_with("www.") { format!("http://{url}") } else { url.to_owned() };
        events.push(Event::Start(Tag::Link { link_type: LinkType::Autolink, dest_url: dest.into(), title: "".into(), id: "".into() }));
        events.push(Event::Text(url.to_owned().into()));
        events.push(Event::End(TagEnd::Link));
        rest = &rest[end..];
        plain_start = 0;
        search_from = 0;
    }
    if events.is_empty() {
        return None;
    }
    if !rest.is_empty() {
        events.push(Event::Text(rest.to_owned().into()));
    }
    Some(events)
}

/// The byte range of the next bare URL in `text` at or after `from`.
fn next_url(text: &str, mut from: usize) -> Option<(usize, usize)> {
    const PREFIXES: [&str; 3] = ["https://", "http://", "www."];
    loop {
        let (start, prefix) = PREFIXES.iter().filter_map(|p| find_ascii_ci(&text[from..], p).map(|i| (from + i, *p))).min_by_key(|(i, _)| *i)?;
        let boundary_ok = text[..start].chars().next_back().is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '*' | '_' | '~' | '"' | '\''));
        let mut end = text[start..].find(|c: char| c.is_whitespace() || c == '<').map_or(text.len(), |i| start + i);
        // Trailing punctuation is the sentence's, not the URL's; a closing parenthesis is
        // the URL's only when it balances one inside it.
        loop {
            let candidate = &text[start..end];
            let Some(last) = candidate.chars().next_back() else {
                break;
            };
            if matches!(last, '?' | '!' | '.' | ',' | ':' | '*' | '_' | '~' | '\'' | '"' | ';')
                || (last == ')' && candidate.matches(')').count() > candidate.matches('(').count())
            {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let host = &text[start + prefix.len()..end];
        let host_ok = !host.is_empty() && host.chars().next().is_some_and(|c| c.is_alphanumeric()) && (prefix != "www." || host.contains('.'));
        if boundary_ok && host_ok {
            return Some((start, end));
        }
        from = start + prefix.len();
    }
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: LinkBase<'static> = LinkBase { blob_base: "/ORG/grp/repo/-/blob/main/docs", raw_base: "/ORG/grp/repo/-/raw/main/docs" };

    fn render(md: &str) -> String {
        markdown_html(md, &BASE)
    }

    fn assert_harmless(html: &str) {
        let lower = html.to_ascii_lowercase();
        for bad in ["<script", "onerror", "onclick", "onload", "javascript:", "style=", "<iframe", "<style", "data:"] {
            assert!(!lower.contains(bad), "{bad:?} survived in {html:?}");
        }
    }

    #[test]
    fn xss_script_tag_is_removed() {
        let html = render("hello\n\n<script>alert(1)</script>\n\nworld");
        assert_harmless(&html);
        assert!(!html.contains("alert(1)"), "{html}");
        assert!(html.contains("hello") && html.contains("world"), "{html}");
    }

    #[test]
    fn xss_img_onerror_is_removed() {
        let html = render("<img src=x onerror=alert(1)>");
        assert_harmless(&html);
        // The image itself is kept, with its (relative) source rewritten.
        assert!(html.contains(r#"<img src="/ORG/grp/repo/-/raw/main/docs/x">"#), "{html}");
    }

    #[test]
    fn xss_markdown_javascript_link_is_removed() {
        let html = render("[a](javascript:alert(1)) and [b](JAVASCRIPT:alert(2))");
        assert_harmless(&html);
        assert!(html.contains(">a</a>"), "{html}");
    }

    #[test]
    fn xss_mixed_case_and_obfuscated_javascript_href_is_removed() {
        for md in [
            r#"<a href="JaVaScRiPt:alert(1)">x</a>"#,
            r#"<a href="  javascript:alert(1)">x</a>"#,
            "<a href=\"java\tscript:alert(1)\">x</a>",
            r#"<a href="&#106;avascript:alert(1)">x</a>"#,
            r#"<a href="javascript&colon;alert(1)">x</a>"#,
        ] {
            let html = render(md);
            assert_harmless(&html);
        }
    }

    #[test]
    fn xss_style_attribute_and_style_tag_are_removed() {
        let html = render("<div style=\"background:url(javascript:alert(1))\">boxed</div>\n\n<style>body{}</style>");
        assert_harmless(&html);
        assert!(html.contains("boxed"), "{html}");
    }

    #[test]
    fn xss_iframe_object_form_are_removed() {
        let html = render(
            "<iframe src=\"https://evil.example/\"></iframe>\n\n<object data=\"x\"></object>\n\n<form action=\"https://evil.example\"><input type=\"password\" name=\"p\"></form>",
        );
        assert_harmless(&html);
        assert!(!html.contains("<object"), "{html}");
        assert!(!html.contains("<form"), "{html}");
        assert!(!html.contains("password"), "{html}");
    }

    #[test]
    fn xss_data_urls_are_removed() {
        let html = render("![i](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)\n\n[l](data:text/html,<script>alert(1)</script>)");
        assert_harmless(&html);
    }

    #[test]
    fn xss_event_handlers_on_allowed_tags_are_removed() {
        let html = render(r#"<a href="https://example.com" onclick="alert(1)" onmouseover="x()">x</a><p onload="y()">p</p>"#);
        assert_harmless(&html);
        assert!(!html.contains("onmouseover"), "{html}");
    }

    #[test]
    fn links_get_rel_noopener_noreferrer_nofollow() {
        let html = render("[ex](https://example.com/)");
        assert!(html.contains(r#"<a href="https://example.com/" rel="noopener noreferrer nofollow">ex</a>"#), "{html}");
    }

    #[test]
    fn relative_links_go_to_blob_base() {
        let html = render("[a](CONTRIBUTING.md) [b](./guide/intro.md) [c](../README.md) [d](../../src/lib.rs#L3) [e](sub/dir/)");
        for href in [
            "/ORG/grp/repo/-/blob/main/docs/CONTRIBUTING.md",
            "/ORG/grp/repo/-/blob/main/docs/guide/intro.md",
            "/ORG/grp/repo/-/blob/main/README.md",
            "/ORG/grp/repo/-/blob/src/lib.rs#L3",
            "/ORG/grp/repo/-/blob/main/docs/sub/dir/",
        ] {
            assert!(html.contains(&format!("href=\"{href}\"")), "{href} not in {html}");
        }
    }

    #[test]
    fn relative_images_go_to_raw_base() {
        let html = render("![logo](./img/logo.png) ![up](../assets/a.svg?v=1)\n\n<img src=\"shot.png\" alt=\"s\">");
        for src in
            ["/ORG/grp/repo/-/raw/main/docs/img/logo.png", "/ORG/grp/repo/-/raw/main/assets/a.svg?v=1", "/ORG/grp/repo/-/raw/main/docs/shot.png"]
        {
            assert!(html.contains(&format!("src=\"{src}\"")), "{src} not in {html}");
        }
        assert!(!html.contains("/blob/main/docs/img"), "{html}");
    }

    #[test]
    fn absolute_fragment_and_root_links_are_untouched() {
        let html = render(
            "[a](https://example.com/x) [b](http://example.com/y) [c](mailto:me@example.com) [d](#usage) [e](/ORG/other) ![f](https://img.example/p.png)",
        );
        for attr in [
            r#"href="https://example.com/x""#,
            r#"href="http://example.com/y""#,
            r#"href="mailto:me@example.com""#,
            r##"href="#usage""##,
            r#"href="/ORG/other""#,
            r#"src="https://img.example/p.png""#,
        ] {
            assert!(html.contains(attr), "{attr} not in {html}");
        }
    }

    #[test]
    fn base_with_trailing_slash_and_dot_dot_past_root_are_normalised() {
        let base = LinkBase { blob_base: "/o/r/-/blob/main/", raw_base: "/o/r/-/raw/main/" };
        let html = markdown_html("[a](./x/../y.md) [b](../../../../../../z)", &base);
        assert!(html.contains(r#"href="/o/r/-/blob/main/y.md""#), "{html}");
        assert!(html.contains(r#"href="/z""#), "{html}");
    }

    #[test]
    fn join_normalized_keeps_origin() {
        assert_eq!(join_normalized("https://h.example/a/b", "../c"), "https://h.example/a/c");
        assert_eq!(join_normalized("/a/b", "./"), "/a/b/");
    }

    #[test]
    fn gfm_table_renders_with_alignment() {
        let html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains(r#"<th align="left">a</th>"#), "{html}");
        assert!(html.contains(r#"<td align="center">2</td>"#), "{html}");
        assert!(html.contains(r#"<td align="right">3</td>"#), "{html}");
        assert!(!html.contains("style"), "{html}");
    }

    #[test]
    fn strikethrough_and_task_lists_render() {
        let html = render("~~old~~\n\n- [x] done\n- [ ] todo\n");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("checked"), "{html}");
        assert_eq!(html.matches("type=\"checkbox\"").count(), 2, "{html}");
        assert_eq!(html.matches("disabled").count(), 2, "{html}");
    }

    #[test]
    fn autolinks_angle_and_bare() {
        let html = render("See <https://a.example/x> or https://b.example/y, or www.c.example (and https://d.example/(e)).\n\n`https://not.code/`");
        assert!(html.contains(r#"href="https://a.example/x""#), "{html}");
        assert!(html.contains(r#"href="https://b.example/y""#), "{html}");
        assert!(html.contains(r#"href="http://www.c.example""#), "{html}");
        assert!(html.contains(r#"href="https://d.example/(e)""#), "{html}");
        assert!(!html.contains(r#"href="https://not.code/""#), "{html}");
    }

    #[test]
    fn autolinks_not_inside_links() {
        let html = render("[https://a.example](https://b.example) <a href=\"x.md\">see https://c.example</a>");
        assert_eq!(html.matches("<a ").count(), 2, "{html}");
        assert!(!html.contains(r#"href="https://c.example""#), "{html}");
    }

    #[test]
    fn headings_get_unique_slug_ids() {
        let html = render("# Getting Started!\n\n## Getting started\n\n### `cfg` & Options");
        assert!(html.contains(r#"<h1 id="getting-started">"#), "{html}");
        assert!(html.contains(r#"<h2 id="getting-started-1">"#), "{html}");
        assert!(html.contains(r#"<h3 id="cfg--options">"#), "{html}");
    }

    #[test]
    fn raw_html_ids_must_be_slugs() {
        let html = render(r#"<h2 id="a b&quot;x">t</h2><h2 id="ok-id">u</h2>"#);
        assert!(!html.contains("a b"), "{html}");
        assert!(html.contains(r#"id="ok-id""#), "{html}");
    }
}
