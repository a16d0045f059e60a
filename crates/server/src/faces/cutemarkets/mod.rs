//! The CuteMarkets face: `/v1` market data (options, stocks, reference, status) and paper
//! trading, Polygon-style `/v2` and `/v3` aliases: the gate (keys, products, plans, rate
//! limits) and the data endpoints, each a thin mapping from the tape. Paper trading passes this
//! gate (paper keys only) and is served by [`crate::faces::paper`].

pub mod access;
pub mod aggs;
pub mod aliases;
pub mod contracts;
pub mod envelope;
pub mod expirations;
pub mod history;
pub mod indicators;
pub mod news;
pub mod paging;
pub mod query;
pub mod quotes;
pub mod snapshot_cache;
pub mod snapshots;
pub mod status;
pub mod stock_reference;
pub mod stock_snapshots;
pub mod subject;
pub mod tickers;
pub mod trades;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status::status))
        .routes(routes!(contracts::contracts))
        .routes(routes!(contracts::contract))
        .routes(routes!(expirations::expirations))
        .routes(routes!(tickers::search))
        .routes(routes!(stock_reference::list))
        .routes(routes!(stock_reference::types))
        .routes(routes!(stock_reference::detail))
        .routes(routes!(stock_reference::related_tickers))
        .routes(routes!(trades::trades))
        .routes(routes!(trades::last_trade))
        .routes(routes!(trades::stock_trades))
        .routes(routes!(trades::stock_last_trade))
        .routes(routes!(quotes::quotes))
        .routes(routes!(quotes::last_quote))
        .routes(routes!(quotes::stock_quotes))
        .routes(routes!(quotes::stock_last_quote))
        .routes(routes!(aggs::range))
        .routes(routes!(aggs::previous))
        .routes(routes!(aggs::open_close))
        .routes(routes!(aggs::stock_range))
        .routes(routes!(aggs::stock_previous))
        .routes(routes!(aggs::stock_open_close))
        .routes(routes!(aggs::grouped))
        .routes(routes!(indicators::indicator))
        .routes(routes!(indicators::stock_indicator))
        .routes(routes!(snapshots::chain))
        .routes(routes!(snapshots::contract))
        .routes(routes!(snapshots::contract_by_ticker))
        .routes(routes!(stock_snapshots::market))
        .routes(routes!(stock_snapshots::single))
        .routes(routes!(stock_snapshots::movers))
        .routes(routes!(aliases::aggregates))
        .routes(routes!(aliases::options_contracts))
        .routes(routes!(aliases::option_quotes))
        .routes(routes!(aliases::option_chain))
        .routes(routes!(aliases::option_snapshot))
        .routes(routes!(aliases::ticker_detail))
        .routes(routes!(news::news))
}
