//! Simulator authentication: `Authorization: <token>`, the bare session token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use store::sessions::SessionAuth;

use crate::http::{Actor, Problem};
use crate::state::AppState;

/// The token a request presents, if any. The documented form is the bare token; `Bearer <token>`
/// is refused with a hint unless the deployment accepts it.
pub fn presented_token(
    headers: &HeaderMap,
    accept_bearer: bool,
) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Problem::unauthorized("Authorization header must be visible ASCII"))?
        .trim();
    if let Some(rest) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        if accept_bearer {
            return Ok(Some(rest.trim().to_string()));
        }
        return Err(Problem::unauthorized(
            "send the bare session token: Authorization: <token>, without Bearer",
        ));
    }
    if value.is_empty() {
        return Err(Problem::unauthorized("Authorization header is empty"));
    }
    Ok(Some(value.to_string()))
}

/// Resolves the request's session, or 401.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<SessionAuth, Problem> {
    let token =
        presented_token(headers, state.settings.simulator_accepts_bearer)?.ok_or_else(|| {
            Problem::unauthorized("missing session token in the Authorization header")
        })?;
    state
        .store
        .session(&token)
        .await?
        .ok_or_else(|| Problem::unauthorized("invalid or expired session token"))
}

pub fn actor(session: &SessionAuth) -> Actor {
    Actor {
        user_id: session.user.id,
        credential: "session".to_string(),
    }
}

/// The signed-in user of a simulator request; handlers that take it require a session.
pub struct SessionUser(pub SessionAuth);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if let Some(session) = parts.extensions.get::<SessionAuth>() {
            return Ok(SessionUser(session.clone()));
        }
        let session = authenticate(state, &parts.headers).await?;
        parts.extensions.insert(session.clone());
        Ok(SessionUser(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn bare_tokens_only_by_default() {
        let token = "8a4f3e21d6c94b0e9f2a1c5b7d8e4f60";
        assert_eq!(
            presented_token(&headers(token), false).unwrap().as_deref(),
            Some(token)
        );
        let refused = presented_token(&headers(&format!("Bearer {token}")), false).unwrap_err();
        assert!(refused.message.contains("without Bearer"));
        assert_eq!(
            presented_token(&headers(&format!("Bearer {token}")), true)
                .unwrap()
                .as_deref(),
            Some(token)
        );
        assert_eq!(presented_token(&HeaderMap::new(), false).unwrap(), None);
    }
}
