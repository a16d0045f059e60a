//! Finding and checking the API key a request presents. Shared by every key-based face; which
//! carriers a face accepts and what a key may reach are the face's own rules.

use axum::http::{HeaderMap, header};
use store::keys::ApiKey;

use crate::http::{Actor, Problem};
use crate::state::AppState;

/// The token of an `Authorization: Bearer <token>` header, if the header is present.
pub fn bearer(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Problem::unauthorized("Authorization header must be visible ASCII"))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Problem::unauthorized(
            "Authorization header must be of the form: Bearer <API key>",
        ));
    }
    Ok(Some(token.trim().to_string()))
}

/// Resolves a presented key to an active key, or 401.
pub async fn authenticate(state: &AppState, presented: Option<String>) -> Result<ApiKey, Problem> {
    let Some(presented) = presented else {
        return Err(Problem::unauthorized(
            "Missing API key: send Authorization: Bearer <API key>",
        ));
    };
    state
        .store
        .authenticate_api_key(&presented)
        .await?
        .ok_or_else(|| Problem::unauthorized("Invalid or inactive API key."))
}

/// How the access log names a key's holder.
pub fn actor(key: &ApiKey) -> Actor {
    Actor {
        user_id: key.user_id,
        credential: key.display.clone(),
    }
}
