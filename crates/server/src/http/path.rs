//! Path normalisation before routing.
//!
//! Clients disagree on trailing slashes (the CuteMarkets SDK always adds one, Polygon-shaped and
//! Alpaca clients never do) and on how `:` is written inside symbols (`O:SPY...` or `O%3ASPY...`).
//! Rather than redirect (httpx and alpaca-py do not follow redirects), every path is rewritten in
//! place to one canonical form before it reaches the router.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// The canonical form of a request path: `%3A`/`%3a` decoded to `:`, one trailing slash removed
/// (except for the root).
pub fn canonical_path(path: &str) -> std::borrow::Cow<'_, str> {
    let needs_colon = path.contains("%3A") || path.contains("%3a");
    let needs_trim = path.len() > 1 && path.ends_with('/');
    if !needs_colon && !needs_trim {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut out = if needs_colon {
        path.replace("%3A", ":").replace("%3a", ":")
    } else {
        path.to_string()
    };
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    std::borrow::Cow::Owned(out)
}

/// Rewrites the request's URI to its canonical path, keeping the query string.
pub fn normalize(mut req: Request) -> Request {
    let uri = req.uri();
    let path = uri.path();
    let canonical = canonical_path(path);
    if canonical == path {
        return req;
    }
    let rebuilt = match uri.query() {
        Some(query) => format!("{canonical}?{query}"),
        None => canonical.into_owned(),
    };
    if let Ok(path_and_query) = rebuilt.parse::<PathAndQuery>() {
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(path_and_query);
        if let Ok(new_uri) = Uri::from_parts(parts) {
            *req.uri_mut() = new_uri;
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trailing_slash_and_encoded_colons() {
        assert_eq!(canonical_path("/v1/status/"), "/v1/status");
        assert_eq!(canonical_path("/v1/status"), "/v1/status");
        assert_eq!(canonical_path("/"), "/");
        assert_eq!(
            canonical_path("/v1/options/snapshot/SPY/O%3ASPY260619P00450000/"),
            "/v1/options/snapshot/SPY/O:SPY260619P00450000"
        );
        assert_eq!(
            canonical_path("/x/orders%3aby_client_order_id"),
            "/x/orders:by_client_order_id"
        );
        // Only one slash goes: an empty last segment is the client's to keep.
        assert_eq!(canonical_path("/v1//"), "/v1/");
    }

    #[test]
    fn query_survives_normalisation() {
        let req = Request::builder()
            .uri("http://localhost/v1/options/contracts/?page=abc%3Adef&apiKey=k")
            .body(axum::body::Body::empty())
            .unwrap();
        let req = normalize(req);
        assert_eq!(req.uri().path(), "/v1/options/contracts");
        assert_eq!(req.uri().query(), Some("page=abc%3Adef&apiKey=k"));
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent_on_paths(path in "/[a-zA-Z0-9:%/._-]{0,40}") {
            let once = canonical_path(&path).into_owned();
            let twice = canonical_path(&once).into_owned();
            // A second pass can only remove one more trailing slash.
            let one_more_slash = format!("{}/", twice);
            prop_assert!(twice == once || one_more_slash == once);
        }
    }
}
