//! One error type for every face.
//!
//! Handlers, extractors and middleware fail with a [`Problem`]: what went wrong, in words a client
//! can act on, and its kind. A problem leaves the handler as a bare response tagged with the
//! problem; the face layer ([`super::face`]) then renders it in that face's documented error shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::fmt;

/// What kind of failure, independent of any face's wire vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    InvalidPageToken,
    Unauthorized,
    Forbidden,
    /// A stock-quote endpoint below the Expert plan (the one CuteMarkets code for that case).
    PlanUpgradeRequired,
    LookbackExceeded,
    NotFound,
    MethodNotAllowed,
    /// The API version asked for is past its sunset.
    Gone,
    Conflict,
    IdempotencyConflict,
    /// Well-formed but asking for what is not supported (paper trading's 422 codes).
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// A short-window limit (per minute, burst, credit bucket, per-IP throttle).
    RateLimited,
    /// A long-window quota (per day, per month).
    QuotaExceeded,
    Internal,
    Unavailable,
}

impl ProblemKind {
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest | ProblemKind::InvalidPageToken => StatusCode::BAD_REQUEST,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden
            | ProblemKind::PlanUpgradeRequired
            | ProblemKind::LookbackExceeded => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Gone => StatusCode::GONE,
            ProblemKind::Conflict | ProblemKind::IdempotencyConflict => StatusCode::CONFLICT,
            ProblemKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::RateLimited | ProblemKind::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A failure to report to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// One sentence naming what was wrong.
    pub message: String,
    /// Per-parameter messages, for faces that report them (`details.fieldErrors`).
    pub field_errors: Vec<(String, String)>,
    /// Seconds after which a retry may succeed; sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// A face-specific code that replaces the face's default code for `kind`.
    pub code: Option<&'static str>,
}

impl Problem {
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            kind,
            message: message.into(),
            field_errors: Vec::new(),
            retry_after: None,
            code: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ProblemKind::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ProblemKind::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ProblemKind::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ProblemKind::NotFound, message)
    }

    /// An invalid parameter, reported under its name as well as in the message.
    pub fn invalid_parameter(name: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut problem = Self::bad_request(message.clone());
        problem.field_errors.push((name.into(), message));
        problem
    }

    /// A failure of ours. The details go to the log under the request id; the client gets a
    /// sentence that leaks nothing.
    pub fn internal(error: impl fmt::Display) -> Self {
        tracing::error!(error = %error, "internal error");
        Self::new(
            ProblemKind::Internal,
            "internal error; the server log has the details",
        )
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<store::StoreError> for Problem {
    fn from(error: store::StoreError) -> Self {
        if error.is_unavailable() {
            tracing::error!(error = %error, "database unavailable");
            Problem::new(
                ProblemKind::Unavailable,
                "the database is unavailable; retry shortly",
            )
            .with_retry_after(5)
        } else {
            Problem::internal(error)
        }
    }
}

impl From<tape::TapeError> for Problem {
    fn from(error: tape::TapeError) -> Self {
        Problem::internal(format!("reading the tape: {error}"))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        // The body is written by the face layer, which knows the face's error shape.
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Outcome of a handler.
pub type Reply<T> = Result<T, Problem>;
