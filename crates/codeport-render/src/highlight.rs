//! Syntax highlighting as CSS classes, one balanced HTML fragment per source line.
//!
//! syntect's scopes can span lines (a block comment, a multi-line string), and its
//! `ClassedHTMLGenerator` leaves such a `<span>` open across the newline. The console renders
//! each line on its own (line numbers, anchors), so here every line closes the spans still open
//! at its end and the next line reopens them: each String is balanced on its own.

use std::sync::LazyLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, line_tokens_to_classed_spans, ClassStyle};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};

use crate::escape;

/// Every class gets this prefix (`hl-comment hl-block`), so highlighting cannot collide with
/// the console's own class names.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// The bundled theme the stylesheet is generated from: light, GitHub-like.
const THEME: &str = "InspiredGitHub";

/// Beyond either limit a file is shown escaped but not highlighted: the regex-driven parser
/// costs time proportional to the input, and a page of a huge file gains little from colour.
const MAX_BYTES: usize = 256 * 1024;
const MAX_LINES: usize = 5000;

/// The bundled syntaxes, deserialized once on first use (tens of milliseconds).
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

static CSS: LazyLock<String> = LazyLock::new(|| {
    let themes = ThemeSet::load_defaults();
    let theme = themes.themes.get(THEME).expect("syntect bundles the InspiredGitHub theme");
    css_for_theme_with_class_style(theme, CLASS_STYLE).expect("a bundled theme turns into CSS with a prefixed class style")
});

/// A file's lines as HTML, escaped, with syntax highlighting as `<span class="...">` (CSS classes, never style attributes) chosen by file name/extension; plain escaped lines when the language is unknown or the file is too large (over 256 KiB or 5000 lines: no highlighting, still escaped). One String per line, without the newline.
///
/// Lines are split as [`str::lines`] does (`\n` or `\r\n`; no empty last line after a final
/// newline). Classes are prefixed `hl-` (`<span class="hl-source hl-rust">`); the container
/// should carry `class="hl-code"` to pick up the theme's foreground and background from
/// [`highlight_css`]. `file_name` may be a path; only its last component is looked at, and a
/// `#!` first line is used when the name says nothing.
pub fn highlighted_lines(file_name: &str, text: &str) -> Vec<String> {
    if text.len() > MAX_BYTES {
        return plain_lines(text);
    }
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > MAX_LINES {
        return plain_lines(text);
    }
    let first_line = lines.first().copied().unwrap_or("");
    match find_syntax(file_name, first_line) {
        Some(syntax) => highlight(syntax, &lines).unwrap_or_else(|| plain_lines(text)),
        None => plain_lines(text),
    }
}

/// The stylesheet for the classes highlighted_lines emits (light theme), generated once.
pub fn highlight_css() -> String {
    CSS.clone()
}

fn plain_lines(text: &str) -> Vec<String> {
    text.lines().map(escape).collect()
}

fn find_syntax(file_name: &str, first_line: &str) -> Option<&'static SyntaxReference> {
    let syntaxes: &'static SyntaxSet = &SYNTAXES;
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let by_name = || syntaxes.find_syntax_by_extension(name);
    let by_extension = || name.rsplit_once('.').and_then(|(_, ext)| syntaxes.find_syntax_by_extension(ext));
    let by_first_line = || syntaxes.find_syntax_by_first_line(first_line);
    by_name().or_else(by_extension).or_else(by_first_line).filter(|syntax| syntax.name != "Plain Text")
}

/// `None` when syntect fails on the input (a grammar it cannot run), so the caller falls back
/// to plain lines rather than showing half a file.
fn highlight(syntax: &SyntaxReference, lines: &[&str]) -> Option<Vec<String>> {
    let mut state = ParseState::new(syntax);
    let mut scopes = ScopeStack::new();
    // The opening tags of spans still open at the end of the previous line.
    let mut open: Vec<String> = Vec::new();
    let mut line_buf = String::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        // The "newlines" syntaxes expect each line to end in '\n'.
        line_buf.clear();
        line_buf.push_str(line);
        line_buf.push('\n');
        let ops = state.parse_line(&line_buf, &SYNTAXES).ok()?;
        let (html, _) = line_tokens_to_classed_spans(&line_buf, &ops, CLASS_STYLE, &mut scopes).ok()?;
        out.push(balance_line(&html, &mut open));
    }
    Some(out)
}

/// Reopens `open` in front of `html`, drops its newline, tracks the spans it opens and closes,
/// and closes whatever is still open at its end. Text in `html` is escaped, so every `<` starts
/// a tag.
fn balance_line(html: &str, open: &mut Vec<String>) -> String {
    let mut line = String::with_capacity(html.len() + open.iter().map(|t| t.len() + 7).sum::<usize>());
    for tag in open.iter() {
        line.push_str(tag);
    }
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut line, &rest[..lt]);
        let gt = rest[lt..].find('>').map_or(rest.len(), |i| lt + i + 1);
        let tag = &rest[lt..gt];
        if tag.starts_with("</") {
            // An unmatched close would unbalance the line; syntect never emits one.
            if open.pop().is_some() {
                line.push_str(tag);
            }
        } else {
            open.push(tag.to_owned());
            line.push_str(tag);
        }
        rest = &rest[gt..];
    }
    push_text(&mut line, rest);
    for _ in open.iter() {
        line.push_str("</span>");
    }
    line
}

fn push_text(line: &mut String, text: &str) {
    line.extend(text.chars().filter(|&c| c != '\n'));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced(line: &str) -> bool {
        line.matches("<span").count() == line.matches("</span>").count()
    }

    /// Tags removed and entities decoded: the text a browser would show.
    fn visible_text(line: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in line.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
    }

    const RUST: &str = "/// Doc.\nfn main() {\n    let v: Vec<u8> = vec![1, 2];\n    println!(\"{}\", v.len() < 3 && true);\n}\n";

    #[test]
    fn rust_snippet_gets_class_spans() {
        let lines = highlighted_lines("src/main.rs", RUST);
        assert_eq!(lines.len(), RUST.lines().count());
        assert!(lines[1].contains(r#"<span class="hl-"#), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("hl-keyword")), "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains("style=")), "{lines:?}");
        for (line, src) in lines.iter().zip(RUST.lines()) {
            assert!(balanced(line), "{line}");
            assert_eq!(visible_text(line), src);
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn less_than_in_code_is_escaped() {
        let lines = highlighted_lines("main.rs", RUST);
        assert!(lines[2].contains("&lt;"), "{}", lines[2]);
        assert!(!lines[2].contains("<u8"), "{}", lines[2]);
        assert!(lines[3].contains("&lt;"), "{}", lines[3]);
        assert!(lines[3].contains("&amp;"), "{}", lines[3]);
        assert!(!lines[3].contains(" < "), "{}", lines[3]);
    }

    #[test]
    fn multi_line_block_comment_is_balanced_per_line() {
        let src = "fn a() {}\n/* first\n   <second> line\n   third */ fn b() {}\nlet s = \"one\ntwo\";\n";
        let lines = highlighted_lines("lib.rs", src);
        assert_eq!(lines.len(), 6, "{lines:?}");
        for (line, text) in lines.iter().zip(src.lines()) {
            assert!(balanced(line), "unbalanced: {line}");
            assert_eq!(visible_text(line), text);
        }
        // The comment's middle line is still inside the comment span.
        assert!(lines[2].contains("hl-comment"), "{}", lines[2]);
        assert!(lines[2].contains("&lt;second&gt;"), "{}", lines[2]);
        // After the comment closes, code is highlighted as code again.
        assert!(lines[3].contains("hl-keyword") || lines[3].contains("hl-storage"), "{}", lines[3]);
        // The string's second line is still a string.
        assert!(lines[5].contains("hl-string"), "{}", lines[5]);
    }

    #[test]
    fn crlf_lines_lose_their_line_ending() {
        let lines = highlighted_lines("a.rs", "fn a() {}\r\n// c\r\n");
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !l.contains('\r') && !l.contains('\n')), "{lines:?}");
    }

    #[test]
    fn unknown_extension_gives_plain_escaped_lines() {
        let lines = highlighted_lines("notes.zzzunknown", "a < b\n\"q\" & 'r'\n");
        assert_eq!(lines, vec!["a &lt; b", "&quot;q&quot; &amp; &#39;r&#39;"]);
    }

    #[test]
    fn shebang_picks_the_language_when_the_name_does_not() {
        let lines = highlighted_lines("bin/run", "#!/bin/bash\necho hi\n");
        assert!(lines[1].contains("<span"), "{lines:?}");
    }

    #[test]
    fn over_5000_lines_is_plain_but_escaped() {
        let src = "let a = 1 < 2;\n".repeat(MAX_LINES + 1);
        let lines = highlighted_lines("big.rs", &src);
        assert_eq!(lines.len(), MAX_LINES + 1);
        assert!(lines.iter().all(|l| l == "let a = 1 &lt; 2;"), "{}", lines[0]);
    }

    #[test]
    fn over_256_kib_is_plain_but_escaped() {
        let long = format!("// {}<\n", "x".repeat(100 * 1024));
        let src = long.repeat(3);
        assert!(src.len() > MAX_BYTES && src.lines().count() < MAX_LINES);
        let lines = highlighted_lines("big.rs", &src);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| !l.contains("<span") && l.ends_with("&lt;")));
    }

    #[test]
    fn empty_text_gives_no_lines() {
        assert!(highlighted_lines("a.rs", "").is_empty());
        assert!(highlighted_lines("a.zzz", "").is_empty());
    }

    #[test]
    fn css_covers_the_prefixed_classes() {
        let css = highlight_css();
        assert!(css.contains(".hl-code"), "{css}");
        assert!(css.contains(".hl-comment"), "{css}");
        assert!(css.contains(".hl-keyword"), "{css}");
    }

    /// Not an assertion: prints how long a 2000-line Rust file takes, for release builds
    /// (`cargo test -p codeport-render --release -- --nocapture highlight_timing`).
    #[test]
    fn highlight_timing() {
        let unit = "/// A documented function.\nfn f(x: &str) -> Option<usize> {\n    // comment\n    let s = \"a string with \\\"escapes\\\"\";\n    if x.len() < 10 { Some(x.len() + s.len()) } else { None }\n}\n/* block\n   comment */\nstruct S<'a> { a: &'a [u8], b: Vec<(u32, String)> }\nimpl<'a> S<'a> { const N: u32 = 0x1f; }\n";
        let src = unit.repeat(200);
        assert_eq!(src.lines().count(), 2000);
        let loading = std::time::Instant::now();
        let _ = highlighted_lines("warm.rs", "fn a() {}"); // load the syntax set first
        println!("first call (loads the syntax set) took {:?}", loading.elapsed());
        let started = std::time::Instant::now();
        let lines = highlighted_lines("timing.rs", &src);
        let elapsed = started.elapsed();
        assert_eq!(lines.len(), 2000);
        println!("highlighted 2000 Rust lines ({} bytes) in {elapsed:?}", src.len());
    }
}
