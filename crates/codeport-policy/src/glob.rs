//! Wildcard patterns (`*` and `?`) compiled once and matched without allocation.
//!
//! Policies are parsed rarely and evaluated on every request, so every pattern is classified at parse time
//! (match-all, literal, prefix, suffix or general) and the general case uses a two-pointer matcher whose worst
//! case is `O(pattern × text)`: patterns such as `a*a*a*a*b` cannot blow up the way a backtracking matcher does.

/// How a pattern compares letters: actions and ARNs ignore ASCII case, `StringLike` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `A` = `a` (ASCII letters only; RAM action names and ARNs are ASCII).
    Insensitive,
    /// Exact comparison, as `StringLike`/`StringNotLike` conditions require.
    Sensitive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `*` alone (or only stars): matches everything, including the empty string.
    Any,
    /// No wildcard at all.
    Exact,
    /// `literal*`: one trailing star and no other wildcard.
    Prefix,
    /// `*literal`: one leading star and no other wildcard.
    Suffix,
    /// Stars but no `?`: an anchored first and last literal, and middle literals found left to right with a
    /// substring search (greedy leftmost placement is exact when `*` is the only wildcard).
    /// Byte ranges of the literals within `full` (at least two; the first and last may be empty).
    Segments(Box<[(u32, u32)]>),
    /// Anything with `?`: the two-pointer matcher.
    General,
}

/// Longest text lowercased on the stack for the fast paths; longer texts use the folding matcher.
pub(crate) const STACK_TEXT: usize = 256;

/// A compiled wildcard pattern: `*` matches any run of characters (including none), `?` exactly one character.
///
/// Why a dedicated type: evaluation runs on every API call, so the classification and case-folding of the
/// pattern happen once at parse time and [`Glob::matches`] neither allocates nor backtracks exponentially.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: Box<str>,
    /// The whole pattern as compared: ASCII-lowercased when case-insensitive.
    full: Box<str>,
    kind: Kind,
    case: Case,
}

impl Glob {
    /// Compiles `pattern`; every string is a valid pattern (there is no escape syntax in RAM).
    pub fn new(pattern: &str, case: Case) -> Glob {
        let full = match case {
            Case::Insensitive => pattern.to_ascii_lowercase(),
            Case::Sensitive => pattern.to_owned(),
        };
        let stars = full.bytes().filter(|&b| b == b'*').count();
        let has_q = full.contains('?');
        let kind = if stars == full.len() && stars > 0 {
            Kind::Any
        } else if has_q {
            Kind::General
        } else if stars == 0 {
            Kind::Exact
        } else if stars == 1 && full.ends_with('*') {
            Kind::Prefix
        } else if stars == 1 && full.starts_with('*') {
            Kind::Suffix
        } else {
            let mut segs = Vec::new();
            let mut start = 0usize;
            for (i, b) in full.bytes().enumerate() {
                if b == b'*' {
                    segs.push((start as u32, i as u32));
                    start = i + 1;
                }
            }
            segs.push((start as u32, full.len() as u32));
            Kind::Segments(segs.into_boxed_slice())
        };
        Glob { source: pattern.into(), full: full.into_boxed_str(), kind, case }
    }

    /// The pattern as written in the policy (for traces and error messages).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `text` matches the whole pattern. Never allocates.
    #[inline]
    pub fn matches(&self, text: &str) -> bool {
        if self.case == Case::Sensitive || !text.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.matches_prepared(text);
        }
        if self.kind == Kind::Any {
            return true;
        }
        match LowerBuf::new(text) {
            Some(buf) => self.matches_prepared(buf.as_str()),
            None => self.matches_folding(text),
        }
    }

    /// Matching when `text` is already ASCII-lowercased (or the pattern is case-sensitive).
    #[inline]
    pub(crate) fn matches_prepared(&self, text: &str) -> bool {
        let f = &*self.full;
        match &self.kind {
            Kind::Any => true,
            Kind::Exact => short_eq(f.as_bytes(), text.as_bytes()),
            Kind::Prefix => starts_with(text.as_bytes(), &f.as_bytes()[..f.len() - 1]),
            Kind::Suffix => ends_with(text.as_bytes(), &f.as_bytes()[1..]),
            Kind::Segments(segs) => segments_match(f.as_bytes(), segs, text.as_bytes()),
            Kind::General => glob_bytes(f.as_bytes(), text.as_bytes(), false),
        }
    }

    /// Case-folding matcher for long texts that do not fit the stack buffer.
    fn matches_folding(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let f = self.full.as_bytes();
        match self.kind {
            Kind::Any => true,
            Kind::Exact => f.eq_ignore_ascii_case(t),
            Kind::Prefix => t.len() >= f.len() - 1 && f[..f.len() - 1].eq_ignore_ascii_case(&t[..f.len() - 1]),
            Kind::Suffix => t.len() >= f.len() - 1 && f[1..].eq_ignore_ascii_case(&t[t.len() - (f.len() - 1)..]),
            Kind::Segments(_) | Kind::General => glob_bytes(f, t, true),
        }
    }
}

/// An ASCII-lowercased copy of a short string, on the stack.
pub(crate) struct LowerBuf {
    buf: [u8; STACK_TEXT],
    len: usize,
}

impl LowerBuf {
    /// `None` when `text` is longer than [`STACK_TEXT`].
    #[inline]
    pub(crate) fn new(text: &str) -> Option<LowerBuf> {
        let b = text.as_bytes();
        if b.len() > STACK_TEXT {
            return None;
        }
        let mut buf = [0u8; STACK_TEXT];
        for (d, s) in buf.iter_mut().zip(b) {
            *d = s.to_ascii_lowercase();
        }
        Some(LowerBuf { buf, len: b.len() })
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        // ASCII lowercasing maps ASCII bytes to ASCII bytes and leaves multi-byte sequences untouched, so the
        // bytes are valid UTF-8; validation of a short string is cheap and keeps the crate free of `unsafe`.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// `segs` are the literals between stars (at least two): the first is anchored at the start, the last at
/// the end, the middle ones are found leftmost-first in between. Works on bytes: literals are whole UTF-8
/// sequences, so a byte match is a character match.
fn segments_match(full: &[u8], segs: &[(u32, u32)], text: &[u8]) -> bool {
    let lit = |&(a, b): &(u32, u32)| &full[a as usize..b as usize];
    let (first, rest) = segs.split_first().expect("at least two segments");
    let (last, middle) = rest.split_last().expect("at least two segments");
    let (first, last) = (lit(first), lit(last));
    if text.len() < first.len() + last.len() || !starts_with(text, first) || !ends_with(text, last) {
        return false;
    }
    let mut hay = &text[first.len()..text.len() - last.len()];
    for seg in middle {
        let seg = lit(seg);
        if seg.is_empty() {
            continue;
        }
        match find(hay, seg) {
            Some(i) => hay = &hay[i + seg.len()..],
            None => return false,
        }
    }
    true
}

/// Byte equality as an inline loop: the literals compared here are short, where a call to `memcmp` costs more
/// than the comparison.
#[inline]
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[inline]
fn starts_with(text: &[u8], lit: &[u8]) -> bool {
    text.len() >= lit.len() && short_eq(&text[..lit.len()], lit)
}

#[inline]
fn ends_with(text: &[u8], lit: &[u8]) -> bool {
    text.len() >= lit.len() && short_eq(&text[text.len() - lit.len()..], lit)
}

/// Leftmost occurrence of a non-empty `needle`. Patterns' literals and ARNs are short, where scanning for the
/// first byte and comparing beats building a Two-Way searcher (which `str::find` does on every call).
#[inline]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    if hay.len() < needle.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(off) => {
                let at = i + off;
                if short_eq(&hay[at + 1..at + needle.len()], rest) {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

/// Length in bytes of the UTF-8 character starting with `b` (1 for a stray continuation byte).
#[inline]
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Two-pointer wildcard matcher. `pattern` is already lowercased when `fold` is set. Works on bytes but steps
/// over whole UTF-8 characters for `?` and for star extension, so `?` is one character, not one byte.
fn glob_bytes(p: &[u8], t: &[u8], fold: bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position just after the last star seen, and the text position that star currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    pi += 1;
                    star = Some((pi, ti));
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += char_len(t[ti]);
                    continue;
                }
                c => {
                    let tc = if fold { t[ti].to_ascii_lowercase() } else { t[ti] };
                    if c == tc {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch (or pattern exhausted): let the last star absorb one more character and retry.
        match star {
            Some((sp, st)) => {
                let st = st + char_len(t[st]);
                star = Some((sp, st));
                pi = sp;
                ti = st;
            }
            None => return false,
        }
    }
    // `?` may have stepped past the end on a truncated character; only an exact end counts.
    if ti != t.len() {
        return false;
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// Matches `text` against a RAM wildcard `pattern` in one call (compiles, then matches).
///
/// Why public: [`crate::ActionCatalog`] implementations outside this crate need the same matcher the
/// evaluator uses to decide whether a pattern names any known action.
pub fn glob_match(pattern: &str, text: &str, case: Case) -> bool {
    Glob::new(pattern, case).matches(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_and_fast_paths() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("**", "abc", true),
            ("abc", "ABC", true),
            ("abc", "abcd", false),
            ("ab*", "AB", true),
            ("ab*", "a", false),
            ("*bc", "xBC", true),
            ("*bc", "c", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("?", "é", true),
            ("??", "é", false),
            ("a*", "aé", true),
            ("*é", "xxé", true),
            ("*?é", "é", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(glob_match(p, t, Case::Insensitive), *want, "pattern {p:?} text {t:?}");
        }
        assert!(!glob_match("ABC", "abc", Case::Sensitive));
        assert!(!glob_match("a*C", "abc", Case::Sensitive));
        assert!(glob_match("a*c", "abc", Case::Sensitive));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let p = "a*".repeat(30) + "b";
        let t = "a".repeat(5000);
        let start = std::time::Instant::now();
        assert!(!glob_match(&p, &t, Case::Insensitive));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }
}
