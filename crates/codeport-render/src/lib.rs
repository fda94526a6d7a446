//! Rendering for the web console that is not page layout: a README's markdown to sanitized
//! HTML, a file's lines with syntax highlighting as CSS classes, whether bytes are text, and
//! HTML escaping.
//!
//! Everything here is pure: no IO, nothing about HTTP. The console runs under
//! `Content-Security-Policy: default-src 'self'`, so nothing emitted here relies on inline
//! scripts or `style` attributes: highlighting is CSS classes plus [`highlight_css`], and the
//! markdown sanitizer drops every `style` attribute and script vector.

mod highlight;
mod markdown;

pub use highlight::{highlight_css, highlighted_lines};
pub use markdown::{markdown_html, LinkBase};

/// Escapes text for HTML (&, <, >, ", ').
///
/// Safe both in element content and in a double- or single-quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How many leading bytes [`is_text`] looks at, the same window git uses to call a blob
/// binary.
const SNIFF_LEN: usize = 8000;

/// Whether bytes should be shown as text (valid UTF-8 or mostly so, no NUL in the first 8000
/// bytes, like git's heuristic).
///
/// "Mostly so" means at most one byte in ten of the first 8000 is not part of valid UTF-8, so
/// a Latin-1 README with a few accented letters is still shown (lossily) rather than offered
/// as a download. A NUL in that window makes it binary whatever the rest looks like, as in git.
pub fn is_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if head.contains(&0) {
        return false;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return true;
    }
    let mut invalid = 0usize;
    let mut chunks = head.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        let bad = chunk.invalid().len();
        // A multi-byte character cut by the 8000-byte window is not evidence of binary.
        let cut_at_window_end = chunks.peek().is_none() && head.len() < bytes.len();
        if !cut_at_window_end {
            invalid += bad;
        }
    }
    invalid * 10 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_all_five_characters() {
        assert_eq!(escape(r#"<a href="x" title='y'>&amp;</a>"#), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn is_text_utf8_is_text() {
        assert!(is_text("fn main() {}\nünïcode ✓\n".as_bytes()));
    }

    #[test]
    fn is_text_empty_is_text() {
        assert!(is_text(b""));
    }

    #[test]
    fn is_text_nul_is_binary() {
        assert!(!is_text(b"abc\0def"));
        // PNG signature followed by an IHDR chunk length containing NULs.
        assert!(!is_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
    }

    #[test]
    fn is_text_nul_after_window_is_ignored() {
        let mut bytes = vec![b'a'; SNIFF_LEN];
        bytes.push(0);
        // Valid UTF-8 (NUL is valid UTF-8) and no NUL in the window: text, as in git.
        assert!(is_text(&bytes));
    }

    #[test]
    fn is_text_mostly_utf8_latin1_is_text() {
        // "café résumé" in Latin-1: two invalid bytes among many ASCII ones.
        let mut bytes = b"A README written in Latin-1: caf\xe9 r\xe9sum\xe9, nothing else.\n".to_vec();
        bytes.extend_from_slice(&b"more plain ascii text\n".repeat(5));
        assert!(std::str::from_utf8(&bytes).is_err());
        assert!(is_text(&bytes));
    }

    #[test]
    fn is_text_random_high_bytes_is_binary() {
        let bytes: Vec<u8> = (0..4000u32).map(|i| (i * 131 % 128 + 128) as u8).collect();
        assert!(!is_text(&bytes));
    }

    #[test]
    fn is_text_char_cut_by_window_is_not_counted() {
        // 7999 ASCII bytes then a 2-byte character straddling the 8000-byte window, then an
        // invalid byte after the window: only the window is judged.
        let mut bytes = vec![b'a'; SNIFF_LEN - 1];
        bytes.extend_from_slice("é".as_bytes());
        bytes.push(0xff);
        assert!(is_text(&bytes));
    }
}
