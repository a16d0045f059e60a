//! `Idempotency-Key`: a retried request gets the first response instead of running again.
//!
//! Order of processing (column API A.8): authenticate, check the key header, claim the key, then
//! rate-limit, validate and execute inside the claim. Replays skip the rate limit. Concurrent
//! duplicates run once: the first claims the key, the others wait up to 30 seconds for its
//! response. Responses 200–499 except 401, 409 and 429 are kept for 24 hours in the store, so
//! they survive restarts; anything else releases the key so a retry runs again.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::{Duration, Instant};
use store::Store;
use store::idempotency::{Claim, StoredResponse};

use crate::http::extract::{MAX_JSON_BODY, query_pairs};
use crate::http::{Face, Problem, ProblemKind, RequestId};
use crate::state::AppState;

pub const KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a duplicate waits for the first request to finish.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);
/// How long a record is replayed.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// A claim not completed within this long is presumed dead and may be taken over.
const LEASE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(25);
/// Responses larger than this are sent but not kept; a retry recomputes them.
const MAX_STORED_BODY: usize = 16 << 20;
/// Query parameters that carry credentials, left out of the fingerprint.
const CREDENTIAL_PARAMS: &[&str] = &["apiKey", "api_key"];

/// The request's `Idempotency-Key`, validated: 1–255 visible ASCII characters.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(KEY_HEADER) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(Problem::invalid_parameter(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// SHA-256 over the method, path, normalised query (sorted, credentials removed) and body.
pub fn fingerprint(method: &Method, path: &str, query: Option<&str>, body: &[u8]) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(query.unwrap_or(""))
        .filter(|(name, _)| !CREDENTIAL_PARAMS.contains(&name.as_str()))
        .collect();
    pairs.sort();
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    for (name, value) in &pairs {
        // Length prefixes keep `a=b&c` and `a=b%26c` apart.
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((value.len() as u64).to_le_bytes());
        hasher.update(value.as_bytes());
    }
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn storable(status: u16) -> bool {
    (200..500).contains(&status) && !matches!(status, 401 | 409 | 429)
}

/// Releases the claim if the request is dropped before it completes (client went away).
struct ClaimGuard {
    store: Store,
    scope: String,
    key: String,
    fingerprint: String,
    armed: bool,
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if self.armed {
            let (store, scope, key, fingerprint) = (
                self.store.clone(),
                std::mem::take(&mut self.scope),
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.fingerprint),
            );
            tokio::spawn(async move {
                if let Err(error) = store.abandon_idempotent(&scope, &key, &fingerprint).await {
                    tracing::warn!(%error, "could not release an idempotency key");
                }
            });
        }
    }
}

fn replay(stored: StoredResponse) -> Response {
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = axum::http::StatusCode::from_u16(stored.status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

/// Runs `execute` at most once per (scope, key, request); see the module documentation.
pub async fn run<F, Fut>(
    state: &AppState,
    face: Face,
    scope: String,
    key: String,
    req: Request,
    execute: F,
) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_JSON_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Problem::new(
                ProblemKind::PayloadTooLarge,
                format!("request body exceeds {MAX_JSON_BODY} bytes"),
            )
            .into_response();
        }
    };
    let fingerprint = fingerprint(&parts.method, parts.uri.path(), parts.uri.query(), &body);
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        let claim = state
            .store
            .claim_idempotent(&scope, &key, &fingerprint, state.now(), LEASE)
            .await;
        match claim {
            Err(error) => return Problem::from(error).into_response(),
            Ok(Claim::Owner) => break,
            Ok(Claim::Replay(stored)) => return replay(stored),
            Ok(Claim::Mismatch) => {
                return Problem::new(
                    ProblemKind::IdempotencyConflict,
                    "Idempotency-Key was already used for a different request",
                )
                .into_response();
            }
            Ok(Claim::InFlight) if Instant::now() >= deadline => {
                return Problem::new(
                    ProblemKind::IdempotencyConflict,
                    "request with this key is still in progress",
                )
                .into_response();
            }
            Ok(Claim::InFlight) => tokio::time::sleep(POLL).await,
        }
    }
    let mut guard = ClaimGuard {
        store: state.store.clone(),
        scope: scope.clone(),
        key: key.clone(),
        fingerprint: fingerprint.clone(),
        armed: true,
    };
    let response = execute(Request::from_parts(parts, Body::from(body))).await;
    // Render now so that what is stored is exactly what the client receives.
    let response = face.render(&request_id, response);
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return Problem::internal(format_args!("reading a response body: {error}"))
                .into_response();
        }
    };
    let status = parts.status.as_u16();
    let outcome = if storable(status) && body.len() <= MAX_STORED_BODY {
        let headers = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| vec![(header::CONTENT_TYPE.to_string(), v.to_string())])
            .unwrap_or_default();
        let stored = StoredResponse {
            status,
            headers,
            body: body.to_vec(),
        };
        state
            .store
            .complete_idempotent(&scope, &key, &fingerprint, &stored, state.now(), RETENTION)
            .await
    } else {
        // Not kept: release the key now so that a retry runs again at once.
        state
            .store
            .abandon_idempotent(&scope, &key, &fingerprint)
            .await
    };
    match outcome {
        Ok(()) => guard.armed = false,
        Err(error) => tracing::error!(%error, "could not settle an idempotency key"),
    }
    drop(guard);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_visible_ascii_up_to_255() {
        let with = |value: &[u8]| {
            let mut headers = HeaderMap::new();
            headers.insert(KEY_HEADER, HeaderValue::from_bytes(value).unwrap());
            key_of(&headers)
        };
        assert_eq!(with(b"abc-123").unwrap().as_deref(), Some("abc-123"));
        assert!(with(&[b'k'; 255]).unwrap().is_some());
        let too_long = with(&[b'k'; 256]).unwrap_err();
        assert_eq!(too_long.field_errors[0].0, "Idempotency-Key");
        assert!(with(b"has space").is_err());
        assert!(with(b"").is_err());
        assert!(with(&[0xC3, 0xA9]).is_err());
        assert_eq!(key_of(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn fingerprints_ignore_order_and_credentials_but_not_values() {
        let get = Method::GET;
        let a = fingerprint(
            &get,
            "/v1/options/chain",
            Some("root=SPXW&exp=20250115"),
            b"",
        );
        let b = fingerprint(
            &get,
            "/v1/options/chain",
            Some("exp=20250115&root=SPXW&apiKey=x"),
            b"",
        );
        assert_eq!(a, b);
        let c = fingerprint(
            &get,
            "/v1/options/chain",
            Some("root=SPXW&exp=20250116"),
            b"",
        );
        assert_ne!(a, c);
        let d = fingerprint(
            &Method::POST,
            "/v1/options/chain",
            Some("root=SPXW&exp=20250115"),
            b"",
        );
        assert_ne!(a, d);
        assert_ne!(
            fingerprint(&get, "/p", Some("a=b&c"), b""),
            fingerprint(&get, "/p", Some("a=b%26c"), b"")
        );
    }

    #[test]
    fn only_final_client_visible_outcomes_are_stored() {
        for status in [200, 201, 204, 400, 403, 404, 422] {
            assert!(storable(status), "{status}");
        }
        for status in [401, 409, 429, 500, 503] {
            assert!(!storable(status), "{status}");
        }
    }
}
