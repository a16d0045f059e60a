//! Who may call what on the CuteMarkets face, and how often.
//!
//! Keys are product-scoped: each route family names the products whose keys it accepts, and the
//! quote endpoints also need a plan that includes quotes. Market-data keys are rate limited per
//! key with a per-minute and a per-day window; every authenticated response carries the five
//! `X-RateLimit-*` headers, errors included.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::plans::MarketDataPlan;
use model::{Plan, Product};
use store::keys::ApiKey;

use crate::auth;
use crate::http::{Problem, ProblemKind};
use crate::limits::{Rule, Span, UNLIMITED_REMAINING, Verdict};
use crate::state::AppState;

/// The keys a family of routes accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    pub products: &'static [Product],
    /// Quote endpoints of this product need a plan that includes quotes.
    pub quotes_of: Option<Product>,
}

const OPTIONS: &[Product] = &[Product::Options];
const STOCKS: &[Product] = &[Product::Stocks];
const MARKET_DATA: &[Product] = &[Product::Options, Product::Stocks];
const PAPER: &[Product] = &[Product::Paper];

fn family(products: &'static [Product]) -> Option<Family> {
    Some(Family {
        products,
        quotes_of: None,
    })
}

fn quotes(product: Product) -> Option<Family> {
    Some(Family {
        products: match product {
            Product::Stocks => STOCKS,
            _ => OPTIONS,
        },
        quotes_of: Some(product),
    })
}

/// The family a CuteMarkets path belongs to; `None` for paths that need no key.
pub fn family_of(path: &str) -> Option<Family> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "options", "quotes", ..] => quotes(Product::Options),
        ["v1", "options", ..] | ["v1", "tickers", "expirations", ..] => family(OPTIONS),
        ["v1", "tickers", ..] => family(MARKET_DATA),
        ["v1", "stocks", "quotes", ..] => quotes(Product::Stocks),
        ["v1", "stocks", ..] => family(STOCKS),
        ["v1", "paper", ..] => family(PAPER),
        ["v3", "quotes", ..] => quotes(Product::Options),
        ["v3", "snapshot", "options", ..] | ["v3", "reference", "options", ..] => family(OPTIONS),
        ["v2", "aggs", "ticker", ticker, ..] if ticker.starts_with("O:") => family(OPTIONS),
        ["v2", "aggs", "ticker", ..] => family(STOCKS),
        ["v2" | "v3", ..] => family(MARKET_DATA),
        _ => None,
    }
}

/// "an Options", "a Stocks", "an Options or Stocks": products as a noun phrase.
fn product_names(products: &[Product]) -> String {
    let names: Vec<String> = products
        .iter()
        .map(|p| {
            let name = p.as_str();
            name[..1].to_uppercase() + &name[1..]
        })
        .collect();
    let phrase = names.join(" or ");
    let article = if phrase.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {phrase}")
}

/// The rules of a market-data plan and where each window's reading lands.
struct PlanRules {
    rules: Vec<Rule>,
    minute: Option<usize>,
    day: Option<usize>,
}

fn plan_rules(plan: &MarketDataPlan) -> PlanRules {
    let mut rules = Vec::new();
    let mut slot = |span, max: Option<u64>| {
        max.map(|max| {
            rules.push(Rule::Window { span, max });
            rules.len() - 1
        })
    };
    let minute = slot(Span::Minute, plan.per_minute);
    let day = slot(Span::Day, plan.per_day);
    PlanRules { rules, minute, day }
}

fn rate_limit_headers(plan_name: Plan, limits: &PlanRules, verdict: &Verdict) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    put("x-ratelimit-plan", plan_name.title().to_string());
    for (slot, limit_name, remaining_name) in [
        (
            limits.minute,
            "x-ratelimit-limit-minute",
            "x-ratelimit-remaining-minute",
        ),
        (
            limits.day,
            "x-ratelimit-limit-day",
            "x-ratelimit-remaining-day",
        ),
    ] {
        match slot.map(|i| verdict.readings[i]) {
            Some(reading) => {
                put(limit_name, reading.limit.to_string());
                put(remaining_name, reading.remaining.to_string());
            }
            None => {
                put(limit_name, "unlimited".to_string());
                put(remaining_name, UNLIMITED_REMAINING.to_string());
            }
        }
    }
    headers
}

/// What admission established about a request.
pub struct Admitted {
    pub key: ApiKey,
    pub headers: HeaderMap,
}

fn refuse(problem: Problem, key: &ApiKey, headers: HeaderMap) -> Response {
    let mut response = problem.into_response();
    response.headers_mut().extend(headers);
    response.extensions_mut().insert(auth::actor(key));
    response
}

/// Authenticates, checks product and plan, and charges the rate limit.
/// Takes the parts it needs rather than the request, whose body is not `Sync`.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    family: Family,
) -> Result<Admitted, Response> {
    let presented = match auth::bearer(headers) {
        Ok(Some(token)) => Some(token),
        Ok(None) => crate::http::extract::query_value(query, &["apiKey", "api_key"]),
        Err(problem) => return Err(problem.into_response()),
    };
    let key = auth::authenticate(state, presented)
        .await
        .map_err(IntoResponse::into_response)?;
    if !family.products.contains(&key.product) {
        let problem = Problem::forbidden(format!(
            "This endpoint requires {} API key; this is {} key.",
            product_names(family.products),
            product_names(&[key.product])
        ));
        return Err(refuse(problem, &key, HeaderMap::new()));
    }
    let Some(plan) = state.settings.plans.market_data(key.product, key.plan) else {
        // Paper keys carry no market-data plan and are not rate limited here.
        return Ok(Admitted {
            key,
            headers: HeaderMap::new(),
        });
    };
    let limits = plan_rules(plan);
    let verdict = state.meter.charge(
        ("cutemarkets", key.id.to_string()),
        &limits.rules,
        1,
        state.now(),
    );
    let headers = rate_limit_headers(key.plan, &limits, &verdict);
    if !verdict.allowed {
        let (kind, window) = if verdict.refused_by == limits.minute {
            (ProblemKind::RateLimited, "minute")
        } else {
            (ProblemKind::QuotaExceeded, "day")
        };
        let allowed = verdict
            .refused_by
            .map(|i| verdict.readings[i].limit)
            .unwrap_or(0);
        let problem = Problem::new(
            kind,
            format!(
                "Rate limit exceeded: the {} plan allows {allowed} requests per {window}.",
                key.plan.title()
            ),
        )
        .with_retry_after(verdict.retry_after_secs);
        return Err(refuse(problem, &key, headers));
    }
    if let Some(product) = family.quotes_of
        && !plan.quotes
    {
        let problem = match product {
            Product::Stocks => Problem::new(
                ProblemKind::PlanUpgradeRequired,
                "This endpoint requires an Expert or Commercial plan.",
            ),
            _ => Problem::forbidden("This endpoint requires an Expert Plan subscription."),
        };
        return Err(refuse(problem, &key, headers));
    }
    Ok(Admitted { key, headers })
}

/// The latest market time the key's plan may see: now, or fifteen minutes ago on a delayed plan.
pub fn visible_until(state: &AppState, key: &ApiKey) -> model::Timestamp {
    let now = state.market_now();
    state
        .settings
        .plans
        .market_data(key.product, key.plan)
        .map_or(now, |plan| plan.visible_at(now))
}

/// Refuses a day older than the key's plan looks back, measured from market time `now`.
pub fn check_lookback(
    state: &AppState,
    key: &ApiKey,
    now: model::Timestamp,
    name: &str,
    day: jiff::civil::Date,
) -> Result<(), Problem> {
    let Some(plan) = state.settings.plans.market_data(key.product, key.plan) else {
        return Ok(());
    };
    let earliest = plan.earliest_day(model::calendar::new_york_date(now));
    if day < earliest {
        return Err(Problem::new(
            ProblemKind::LookbackExceeded,
            format!(
                "{name} {day} is older than your {} plan's historical lookback of {} years \
                 (earliest {earliest})",
                key.plan.title(),
                plan.lookback_years
            ),
        ));
    }
    Ok(())
}

/// The day parameter `name` (`YYYY-MM-DD`), by default the market clock's New York day, checked
/// against the key's plan's lookback.
pub fn day_param(
    state: &AppState,
    key: &ApiKey,
    params: &super::query::Params,
    name: &str,
) -> Result<jiff::civil::Date, Problem> {
    let now = state.market_now();
    let day = match params.get(name) {
        Some(text) => super::query::parse_date(name, text)?,
        None => model::calendar::new_york_date(now),
    };
    check_lookback(state, key, now, name, day)?;
    Ok(day)
}

/// The CuteMarkets gate: admission for key-protected families, then the handler, then headers.
pub async fn gate(state: AppState, mut req: Request, next: Next) -> Response {
    let Some(family) = family_of(req.uri().path()) else {
        return next.run(req).await;
    };
    let admitted = match admit(&state, req.headers(), req.uri().query(), family).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    req.extensions_mut().insert(admitted.key.clone());
    let mut response = next.run(req).await;
    response.headers_mut().extend(admitted.headers);
    response.extensions_mut().insert(auth::actor(&admitted.key));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_the_route_map() {
        let options = family_of("/v1/options/chain/SPY").unwrap();
        assert_eq!(options.products, OPTIONS);
        assert_eq!(
            family_of("/v1/options/quotes/O:SPY260619P00450000")
                .unwrap()
                .quotes_of,
            Some(Product::Options)
        );
        assert_eq!(
            family_of("/v1/stocks/quotes/AAPL/last").unwrap().quotes_of,
            Some(Product::Stocks)
        );
        assert_eq!(
            family_of("/v1/tickers/search").unwrap().products,
            MARKET_DATA
        );
        assert_eq!(
            family_of("/v1/tickers/expirations/SPY").unwrap().products,
            OPTIONS
        );
        assert_eq!(family_of("/v1/paper/accounts").unwrap().products, PAPER);
        assert_eq!(
            family_of("/v2/aggs/ticker/O:SPY260619P00450000/range/1/day/a/b")
                .unwrap()
                .products,
            OPTIONS
        );
        assert_eq!(
            family_of("/v2/aggs/ticker/SPY/range/1/day/a/b")
                .unwrap()
                .products,
            STOCKS
        );
        assert_eq!(
            family_of("/v3/quotes/O:SPY260619P00450000")
                .unwrap()
                .quotes_of,
            Some(Product::Options)
        );
        assert_eq!(
            family_of("/v3/reference/tickers/SPY").unwrap().products,
            MARKET_DATA
        );
        for open in [
            "/v1/status",
            "/openapi.json",
            "/llms.txt",
            "/",
            "/v1/nothing",
        ] {
            assert_eq!(family_of(open), None, "{open}");
        }
    }

    #[test]
    fn unlimited_plans_report_a_parseable_remaining() {
        let plan = model::PlanBook::default();
        let expert = plan.market_data(Product::Options, Plan::Expert).unwrap();
        let limits = plan_rules(expert);
        assert!(limits.rules.is_empty());
        let verdict = Verdict {
            allowed: true,
            readings: vec![],
            refused_by: None,
            retry_after_secs: 0,
        };
        let headers = rate_limit_headers(Plan::Expert, &limits, &verdict);
        assert_eq!(headers["x-ratelimit-plan"], "Expert");
        assert_eq!(headers["x-ratelimit-limit-minute"], "unlimited");
        assert_eq!(
            headers["x-ratelimit-remaining-day"],
            UNLIMITED_REMAINING.to_string().as_str()
        );
    }
}
