//! `/auth/*`: e-mail codes, registration, login, logout and password resets.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::Email;
use model::identity::{CODE_TTL, check_password};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use store::verification::{CodeError, CodeRequest, ResetRequest};
use utoipa::ToSchema;

use super::session::SessionUser;
use crate::http::{JsonBody, Problem, ProblemKind, Reply};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct EmailBody {
    #[schema(example = "trader@example.com")]
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailCheck {
    /// `false` for a passwordless account that signs in with e-mail codes.
    #[serde(rename = "hasPassword")]
    pub has_password: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    pub email: String,
    /// The six-digit code from `POST /auth/verify-email`.
    #[schema(example = "123456")]
    pub verification_code: String,
    /// At least 8 characters; omit for a passwordless account.
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    /// Sign in with the password...
    pub password: Option<String>,
    /// ...or with a fresh code from `POST /auth/verify-email`.
    pub verification_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionToken {
    /// Send it as `Authorization: <token>` (no `Bearer`).
    #[schema(example = "8a4f3e21d6c94b0e9f2a1c5b7d8e4f60")]
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    /// The token from the password-reset e-mail.
    pub reset_token: String,
    pub password: String,
}

pub fn parse_email(text: &str) -> Result<Email, Problem> {
    Email::parse(text).map_err(Problem::bad_request)
}

fn valid_password(password: &str) -> Result<(), Problem> {
    check_password(password).map_err(Problem::bad_request)
}

fn code_problem(error: CodeError) -> Problem {
    match error {
        CodeError::InvalidCode => Problem::bad_request("invalid or expired verification code"),
        CodeError::AccountExists(_) => Problem::bad_request("account already exists"),
        CodeError::NoAccount => Problem::not_found("no account with that email"),
    }
}

/// 429 for a second request inside the one-a-minute interval of codes and reset e-mails.
fn too_soon(what: &str, wait: Duration) -> Problem {
    let seconds = wait.as_nanos().div_ceil(1_000_000_000).max(1) as u64;
    Problem::new(
        ProblemKind::RateLimited,
        format!("{what} less than 60 seconds ago; retry in {seconds} seconds"),
    )
    .with_retry_after(seconds)
}

/// 503 for a message that could not be sent; the caller has withdrawn what it carried.
fn undelivered(what: &str, to: &Email, error: crate::mail::MailError) -> Problem {
    tracing::error!(%error, to = %to, "{what} e-mail not delivered");
    Problem::new(
        ProblemKind::Unavailable,
        format!("could not send the {what} email; try again shortly"),
    )
}

fn created(token: store::Secret) -> (StatusCode, Json<SessionToken>) {
    (
        StatusCode::CREATED,
        Json(SessionToken {
            token: token.expose().to_string(),
        }),
    )
}

/// Whether an address has an account
///
/// 200 with `hasPassword` when it does; 404 when it is free to register.
#[utoipa::path(
    post,
    path = "/auth/check-email",
    tag = "auth",
    request_body = EmailBody,
    responses(
        (status = 200, body = EmailCheck),
        (status = 404, description = "no account with that email", content_type = "text/plain")
    )
)]
pub async fn check_email(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Reply<Json<EmailCheck>> {
    let email = parse_email(&body.email)?;
    let user = state
        .store
        .user_by_email(&email)
        .await?
        .ok_or_else(|| Problem::not_found("no account with that email"))?;
    Ok(Json(EmailCheck {
        has_password: user.has_password,
    }))
}

/// Send a verification code
///
/// E-mails a six-digit code, valid for 15 minutes, for registration or code login. One request
/// per address per minute; a new code replaces any earlier one. Without SMTP configured the
/// message lands in the data folder's `outbox/` and in the server log.
#[utoipa::path(
    post,
    path = "/auth/verify-email",
    tag = "auth",
    request_body = EmailBody,
    responses(
        (status = 204, description = "code sent"),
        (status = 429, description = "a code was sent less than 60 seconds ago", content_type = "text/plain")
    )
)]
pub async fn verify_email(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Reply<StatusCode> {
    let email = parse_email(&body.email)?;
    let now = state.now();
    let (code, issued_at) = match state.store.issue_code(&email, now).await? {
        CodeRequest::Issued { code, issued_at } => (code, issued_at),
        CodeRequest::TooSoon { wait } => {
            return Err(too_soon("a code was sent to this address", wait));
        }
    };
    let text = format!(
        "Your optiontape verification code is {}.\n\nIt expires in {} minutes and works once.\n",
        code.expose(),
        CODE_TTL.as_secs() / 60
    );
    if let Err(error) = state
        .mailer
        .send(&email, "Your optiontape verification code", &text, now)
        .await
    {
        state.store.withdraw_code(&email, issued_at).await?;
        return Err(undelivered("verification", &email, error));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Create an account
///
/// Consumes the verification code and returns a session token; no separate login is needed.
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "auth",
    request_body = RegisterBody,
    responses(
        (status = 201, body = SessionToken),
        (status = 400, description = "invalid input, invalid or expired code, or account exists", content_type = "text/plain")
    )
)]
pub async fn register(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Reply<(StatusCode, Json<SessionToken>)> {
    let email = parse_email(&body.email)?;
    if let Some(password) = &body.password {
        valid_password(password)?;
    }
    let (_, token) = state
        .store
        .register(
            &email,
            &body.verification_code,
            body.password.as_deref(),
            state.now(),
        )
        .await?
        .map_err(code_problem)?;
    Ok(created(token))
}

/// Sign in
///
/// With `{email, password}` or `{email, verification_code}`. Returns a new session token; a user
/// may hold many sessions at once.
#[utoipa::path(
    post,
    path = "/auth/sessions",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 201, body = SessionToken),
        (status = 401, description = "invalid credentials", content_type = "text/plain")
    )
)]
pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginBody>,
) -> Reply<(StatusCode, Json<SessionToken>)> {
    let email = parse_email(&body.email)?;
    let now = state.now();
    let token = match (&body.password, &body.verification_code) {
        (Some(password), None) => {
            state
                .store
                .login_with_password(&email, password, now)
                .await?
                .map_err(|e| Problem::unauthorized(e.to_string()))?
                .1
        }
        (None, Some(code)) => {
            state
                .store
                .login_with_code(&email, code, now)
                .await?
                .map_err(|_| Problem::unauthorized("invalid email or verification code"))?
                .1
        }
        _ => {
            return Err(Problem::bad_request(
                "send either password or verification_code together with email",
            ));
        }
    };
    Ok(created(token))
}

/// Sign out
///
/// Invalidates the presented token; using it again answers 401.
#[utoipa::path(
    delete,
    path = "/auth/sessions",
    tag = "auth",
    security(("session" = [])),
    responses((status = 204, description = "signed out"), (status = 401, content_type = "text/plain"))
)]
pub async fn logout(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
) -> Reply<StatusCode> {
    state
        .store
        .revoke_session(session.session_id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Request a password reset
///
/// E-mails a single-use reset token valid for one hour. Answers 204 whether or not the address
/// has an account.
#[utoipa::path(
    post,
    path = "/auth/forgot-password",
    tag = "auth",
    request_body = EmailBody,
    responses((status = 204, description = "reset e-mail sent if the account exists"), (status = 429, content_type = "text/plain"))
)]
pub async fn forgot_password(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Reply<StatusCode> {
    let email = parse_email(&body.email)?;
    let now = state.now();
    let token = match state.store.start_password_reset(&email, now).await? {
        ResetRequest::Issued(token) => token,
        // No hint whether the address has an account.
        ResetRequest::NoAccount => return Ok(StatusCode::NO_CONTENT),
        ResetRequest::TooSoon { wait } => {
            return Err(too_soon("a reset was requested for this address", wait));
        }
    };
    let text = format!(
        "To choose a new optiontape password, send this token\nwith POST /auth/reset-password:\n\n{}\n\nIt works once, within one hour. When it is used,\nevery session of the account ends.\n",
        token.expose()
    );
    if let Err(error) = state
        .mailer
        .send(&email, "Reset your optiontape password", &text, now)
        .await
    {
        state.store.withdraw_password_reset(&token).await?;
        return Err(undelivered("reset", &email, error));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Choose a new password
///
/// Uses a reset token; every session of the account ends.
#[utoipa::path(
    post,
    path = "/auth/reset-password",
    tag = "auth",
    request_body = ResetBody,
    responses((status = 204, description = "password changed"), (status = 400, content_type = "text/plain"))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ResetBody>,
) -> Reply<StatusCode> {
    valid_password(&body.password)?;
    if !state
        .store
        .finish_password_reset(&body.reset_token, &body.password, state.now())
        .await?
    {
        return Err(Problem::bad_request("invalid or expired reset token"));
    }
    Ok(StatusCode::NO_CONTENT)
}
