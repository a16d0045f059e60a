//! `GET /v2/reference/news` (Polygon's path; CuteMarkets documents no news endpoint). optiontape
//! has no news source, so every valid query answers with no articles; the parameters Polygon
//! clients send are still checked, so a malformed one is an error rather than silence.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use store::keys::ApiKey;

use super::envelope;
use super::paging::Paging;
use super::query::instants;
use crate::http::{Problem, QueryParams, RequestId};
use crate::state::AppState;

/// News (Polygon path)
///
/// Articles about `ticker` published in the `published_utc` range: none, as optiontape holds no
/// news. `order` asc or desc, `sort` published_utc, `limit` 1 to 1000.
#[utoipa::path(
    get,
    path = "/v2/reference/news",
    tag = "polygon",
    params(
        ("ticker" = Option<String>, Query, description = "The ticker the articles are about"),
        ("published_utc" = Option<String>, Query, description = "A day or an instant, exact or a range with .gte/.gt/.lte/.lt"),
        ("order" = Option<String>, Query, description = "asc or desc"),
        ("sort" = Option<String>, Query, description = "published_utc"),
        ("limit" = Option<u32>, Query, description = "Articles per page, at most 1000"),
    ),
    responses(
        (status = 200, description = "An empty `results`: no news source"),
        (status = 400, description = "`bad_request` naming the parameter"),
    )
)]
pub async fn news(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let params = &paging.params;
    if let Some(ticker) = params.get("ticker")
        && !model::symbol::is_ticker(ticker)
    {
        return Err(Problem::bad_request(format!(
            "ticker {ticker:?} is not a ticker like SPY or BRK.B"
        )));
    }
    params.conditions(
        "published_utc",
        "a date (YYYY-MM-DD) or an RFC 3339 instant",
        instants,
    )?;
    params.choice("order", &["desc", "asc"])?;
    params.choice("sort", &["published_utc"])?;
    params.limit(10, 1000)?;
    Ok(envelope::ok(&request_id, Vec::<()>::new()))
}
