//! Who is asking: a visitor or a registered user. Market data is open to visitors (within §2's
//! limits), so these routes take the session when there is one instead of requiring it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use store::sessions::SessionAuth;

use crate::http::Problem;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No session token.
    Visitor,
    Registered,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    /// The simulator gate authenticates every request that presents a token (refusing a bad one
    /// with 401) and leaves the session in the extensions, so its absence means no token.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(if parts.extensions.get::<SessionAuth>().is_some() {
            Caller::Registered
        } else {
            Caller::Visitor
        })
    }
}
