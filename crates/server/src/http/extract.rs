//! Extractors that fail with a [`Problem`] naming what was wrong, so malformed input gets the
//! face's error shape instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::problem::{Problem, ProblemKind};

/// Largest JSON body accepted by any endpoint.
pub const MAX_JSON_BODY: usize = 1 << 20;

/// A JSON request body. Missing or non-JSON content types, oversized bodies, malformed JSON and
/// fields of the wrong type each get a 4xx that says which.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
            let is_json = content_type
                .to_str()
                .map(|v| {
                    let essence = v
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase();
                    essence == "application/json" || essence.ends_with("+json")
                })
                .unwrap_or(false);
            if !is_json {
                return Err(Problem::new(
                    ProblemKind::UnsupportedMediaType,
                    "request body must be JSON with Content-Type: application/json",
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    ProblemKind::PayloadTooLarge,
                    format!("request body exceeds {MAX_JSON_BODY} bytes"),
                )
            } else {
                Problem::bad_request(format!("could not read the request body: {rejection}"))
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON document, describing the first problem found.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "request body is empty; expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "invalid request body",
            _ => "request body is not valid JSON",
        };
        Problem::bad_request(format!("{what}: {e}"))
    })
}

/// Path parameters, percent-decoded; undecodable segments are a 400 naming the problem.
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParams(value))
            .map_err(|rejection| {
                Problem::bad_request(format!("invalid path: {}", rejection.body_text()))
            })
    }
}

/// Query parameters; malformed ones are a 400 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(value)| QueryParams(value))
            .map_err(|rejection| {
                Problem::bad_request(format!("invalid query: {}", rejection.body_text()))
            })
    }
}

/// Decoded `name=value` pairs of a query string, in order.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
}

/// The first of `names` present in a query string, percent-decoded.
pub fn query_value(query: Option<&str>, names: &[&str]) -> Option<String> {
    query_pairs(query?).find_map(|(name, value)| names.contains(&name.as_str()).then_some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
    }

    #[test]
    fn query_values_are_decoded() {
        let query = Some("limit=5&apiKey=cm%5Fx&apiKey=second&b=%ZZ");
        assert_eq!(
            query_value(query, &["apiKey", "api_key"]).as_deref(),
            Some("cm_x")
        );
        assert_eq!(query_value(query, &["b"]).as_deref(), Some("%ZZ"));
        assert_eq!(query_value(None, &["apiKey"]), None);
    }

    #[test]
    fn json_problems_say_what_is_wrong() {
        let empty = parse_json::<Body>(b"  ").unwrap_err();
        assert!(empty.message.contains("empty"), "{}", empty.message);
        let malformed = parse_json::<Body>(b"{\"email\": ").unwrap_err();
        assert!(
            malformed
                .message
                .starts_with("request body is not valid JSON"),
            "{}",
            malformed.message
        );
        let wrong = parse_json::<Body>(b"{\"email\": 5}").unwrap_err();
        assert!(
            wrong
                .message
                .starts_with("invalid request body: invalid type"),
            "{}",
            wrong.message
        );
        let missing = parse_json::<Body>(b"{}").unwrap_err();
        assert!(
            missing.message.contains("missing field `email`"),
            "{}",
            missing.message
        );
    }
}
