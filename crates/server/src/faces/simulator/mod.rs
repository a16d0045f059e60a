//! The session simulator face: plain-text errors, bare-token sessions, credits. Identity
//! (`/auth/*`), the profile (`/user`), liveness, market data (`/market-data/*`), and historical
//! simulations with their orders, transactions and positions (`/simulations/*`), which the
//! engine decides and the store keeps.

pub mod access;
pub mod auth;
pub mod book;
pub mod credits;
pub mod desk;
pub mod health;
pub mod market_data;
pub mod orders;
pub mod session;
pub mod simulations;
pub mod tape_market;
pub mod user;
pub mod wire;

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
        .routes(routes!(market_data::sessions::sessions))
        .routes(routes!(market_data::strikes::strikes))
        .routes(routes!(market_data::chain::snapshot))
        .routes(routes!(market_data::chain::range))
        .routes(routes!(market_data::historical::historical))
        .routes(routes!(market_data::expected_move::average_expected_move))
        .routes(routes!(simulations::list, simulations::create))
        .routes(routes!(
            simulations::get,
            simulations::patch,
            simulations::delete
        ))
        .routes(routes!(simulations::history))
        .routes(routes!(book::transactions))
        .routes(routes!(book::positions))
        .routes(routes!(orders::list, orders::place))
        .routes(routes!(orders::dry_run))
        .routes(routes!(orders::get, orders::cancel))
}
