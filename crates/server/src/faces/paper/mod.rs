//! Native paper trading under `/v1/paper` (paper-trading spec §5), on the CuteMarkets face: its
//! gate admits paper keys only and renders errors in the CuteMarkets envelope. This slice:
//! accounts, their generations and cash ledger; orders with their quote-aware fills and the
//! evaluator that works through open orders every second; positions; the market clock and
//! calendar.
//!
//! Paths are served with and without the trailing slash the spec documents (the app trims one
//! before routing, never redirecting).

pub mod accounts;
pub mod clock;
pub mod evaluation;
pub mod history;
pub mod orders;
pub mod params;
pub mod positions;
pub mod quotes;
pub mod wire;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::get, accounts::rename, accounts::archive))
        .routes(routes!(accounts::reset))
        .routes(routes!(accounts::generations))
        .routes(routes!(accounts::ledger))
        .routes(routes!(orders::list, orders::submit))
        .routes(routes!(orders::get, orders::cancel))
        .routes(routes!(orders::by_client_order_id))
        .routes(routes!(positions::list))
        .routes(routes!(history::portfolio_history))
        .routes(routes!(history::fills))
        .routes(routes!(clock::clock))
        .routes(routes!(clock::calendar))
}
