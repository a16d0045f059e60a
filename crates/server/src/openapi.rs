//! The server's self-description: an OpenAPI 3.1 document generated from the routes themselves
//! (every route is registered together with its documentation), served as JSON and YAML, and an
//! llmstxt.org-style index derived from it.

use axum::extract::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write;
use std::sync::Arc;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "optiontape",
        description = "A self-hosted U.S. options and stocks market lab. One server speaks the \
            CuteMarkets market-data API (`/v1`, with Polygon-style `/v2` and `/v3` aliases), the \
            PublicOptions column API, the session simulator API (`/auth`, `/user`, \
            `/market-data`, `/simulations`) and an Alpaca-compatible paper-trading surface. \
            Paths answer with and without a trailing slash, and `:` in symbols may be sent as `%3A`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "status", description = "Health and liveness"),
        (name = "auth", description = "Simulator accounts: e-mail codes, registration, sessions"),
        (name = "user", description = "Simulator profile, fee schedule and slippage"),
        (name = "market-data", description = "Simulator market data: sessions, strikes, chain snapshots, index series"),
        (name = "simulations", description = "Historical simulations: a recorded session replayed with a clock you set; transactions, positions, history"),
        (name = "orders", description = "Orders in a simulation: market, limit, stop, multi-leg; dry-runs and cancels"),
        (name = "column", description = "PublicOptions-style column API"),
        (name = "paper", description = "Paper trading: accounts, generations and their cash ledger (paper keys)"),
        (name = "meta", description = "This document and the agent index"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API key: cm_options_..., cm_stocks_..., cm_paper_... or sopk_live_...",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "The bare session token from /auth/register or /auth/sessions, without Bearer",
            ))),
        );
    }
}

/// The base document the routes are added to.
pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// The rendered documents, built once at start-up.
pub struct Documents {
    pub json: String,
    pub yaml: String,
    pub llms: String,
}

impl Documents {
    pub fn new(doc: &OpenApi, public_url: &str) -> anyhow::Result<Self> {
        Ok(Documents {
            json: doc.to_pretty_json()?,
            yaml: doc.to_yaml()?,
            llms: llms_txt(doc, public_url),
        })
    }
}

fn llms_txt(doc: &OpenApi, public_url: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# optiontape\n");
    let _ = writeln!(
        out,
        "> A self-hosted U.S. options and stocks market lab: market data, paper trading, session \
         replay and backtests behind the APIs traders already use.\n"
    );
    let _ = writeln!(
        out,
        "Machine-readable description: {public_url}/openapi.json (also {public_url}/openapi.yaml).\n"
    );
    let _ = writeln!(out, "## Authentication\n");
    let _ = writeln!(
        out,
        "- CuteMarkets `/v1`, `/v2`, `/v3`: `Authorization: Bearer cm_options_...` (or `cm_stocks_...`, \
         `cm_paper_...`); `apiKey=` in the query on `/v2` and `/v3`."
    );
    let _ = writeln!(out, "- Column API: `Authorization: Bearer sopk_live_...`.");
    let _ = writeln!(
        out,
        "- Simulator (`/auth`, `/user`, `/market-data`, `/simulations`): `Authorization: <token>`, the bare \
         token from `POST /auth/register` or `POST /auth/sessions`."
    );
    let _ = writeln!(
        out,
        "- Alpaca-compatible paper trading: base URL `{public_url}/v1/paper/accounts/<account_id>`, paper key as \
         `oauth_token` or `APCA-API-KEY-ID`.\n"
    );
    let _ = writeln!(out, "## Endpoints\n");
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                let summary = operation.summary.as_deref().unwrap_or("");
                let _ = writeln!(out, "- {method} {public_url}{path}: {summary}");
            }
        }
    }
    out
}

/// OpenAPI document (JSON)
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()), responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(Extension(docs): Extension<Arc<Documents>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        docs.json.clone(),
    )
}

/// OpenAPI document (YAML)
#[utoipa::path(get, path = "/openapi.yaml", tag = "meta", security(()), responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/yaml")))]
pub async fn openapi_yaml(Extension(docs): Extension<Arc<Documents>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/yaml")],
        docs.yaml.clone(),
    )
}

/// Index for agents (llms.txt)
#[utoipa::path(get, path = "/llms.txt", tag = "meta", security(()), responses((status = 200, description = "llmstxt.org-style index", content_type = "text/plain")))]
pub async fn llms(Extension(docs): Extension<Arc<Documents>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        docs.llms.clone(),
    )
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(openapi_yaml))
        .routes(routes!(llms))
}
