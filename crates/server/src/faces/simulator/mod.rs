//! The session simulator face: plain-text errors, bare-token sessions, credits. This issue's
//! slice: identity (`/auth/*`), the profile (`/user`), liveness, and the gate that meters
//! market-data reads.

pub mod access;
pub mod auth;
pub mod credits;
pub mod health;
pub mod session;
pub mod user;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(auth::check_email))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login, auth::logout))
        .routes(routes!(auth::forgot_password))
        .routes(routes!(auth::reset_password))
        .routes(routes!(user::get_user, user::patch_user))
}
