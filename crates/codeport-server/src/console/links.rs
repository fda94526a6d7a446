//! Console URLs, built in one place: every group, repository and view link percent-encodes
//! each path segment the same way, so a name with spaces, `#`, `?` or `%` links to itself.

use codeport_core::entities::Repository;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but unreserved characters is encoded (`/` too: a branch `feature/x` used as one
/// segment stays one).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A URL path segment, percent-encoded.
pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A slash-separated path with each segment encoded (empty segments dropped).
fn encode_path(path: &str) -> String {
    path.split('/').filter(|s| !s.is_empty()).map(segment).collect::<Vec<_>>().join("/")
}

/// The console path of a group or repository (`/ORG/group/repo`): its `webUrl`'s path.
pub fn path_href(full_path: &str) -> String {
    format!("/{}", encode_path(full_path))
}

/// `/{repo}/-/{view}/{ref}[/{path}]`.
pub fn view_url(repo: &Repository, view: &str, ref_name: &str, path: &str) -> String {
    let mut url = format!("{}/-/{view}/{}", path_href(&repo.full_path), encode_path(ref_name));
    if !path.is_empty() {
        url.push('/');
        url.push_str(&encode_path(path));
    }
    url
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_segment_is_encoded_and_slashes_separate_segments() {
        assert_eq!(super::path_href("org/a b/re#po"), "/org/a%20b/re%23po");
        assert_eq!(super::segment("feature/x"), "feature%2Fx");
    }
}
