//! Who may call the column API and how often: `sopk_` keys, a burst bucket refilling at the
//! plan's per-minute rate, and a monthly quota; idempotency keys on every data endpoint.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::Product;
use model::plans::ColumnPlan;
use std::time::Duration;
use store::keys::ApiKey;

use crate::http::{Face, Problem, ProblemKind};
use crate::limits::{Rule, Span, UNLIMITED_REMAINING, Verdict};
use crate::state::AppState;
use crate::{auth, idempotency};

pub const HEALTH_PATH: &str = "/v1/options/health";

fn is_column_key(text: &str) -> bool {
    let tail = text
        .strip_prefix("sopk_live_")
        .or_else(|| text.strip_prefix("sopk_test_"));
    tail.is_some_and(|t| {
        (16..=128).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ApiKey, Problem> {
    let token = auth::bearer(headers)?;
    if let Some(token) = &token
        && !is_column_key(token)
    {
        return Err(Problem::unauthorized(
            "API key is malformed: column API keys look like sopk_live_...",
        ));
    }
    let key = auth::authenticate(state, token).await?;
    if key.product != Product::Column {
        return Err(Problem::unauthorized("Invalid or inactive API key."));
    }
    Ok(key)
}

/// The burst bucket (rule 0) and, when the plan has one, the monthly quota (rule 1).
fn rules(plan: &ColumnPlan) -> Vec<Rule> {
    let per_minute = plan.per_minute.max(1);
    let mut rules = vec![Rule::Bucket {
        capacity: plan.burst.max(1),
        // A full bucket of `burst` tokens refills at `per_minute` a minute.
        drain: Duration::from_secs_f64(plan.burst.max(1) as f64 * 60.0 / per_minute as f64),
    }];
    if let Some(monthly) = plan.monthly {
        rules.push(Rule::Window {
            span: Span::Month,
            max: monthly,
        });
    }
    rules
}

fn headers(plan: &ColumnPlan, verdict: &Verdict, now: model::Timestamp) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let monthly = verdict.readings.get(1);
    let values = [
        (
            "x-ratelimit-limit",
            monthly.map_or(UNLIMITED_REMAINING, |r| r.limit),
        ),
        (
            "x-ratelimit-remaining",
            monthly.map_or(UNLIMITED_REMAINING, |r| r.remaining),
        ),
        (
            "x-ratelimit-reset",
            u64::try_from(Span::Month.bounds(now).1.as_seconds()).unwrap_or(0),
        ),
        ("x-ratelimit-limit-minute", plan.per_minute),
        ("x-ratelimit-burst", plan.burst),
    ];
    for (name, value) in values {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
    headers
}

fn finish(mut response: Response, key: Option<&ApiKey>, extra: HeaderMap) -> Response {
    response.headers_mut().extend(extra);
    response
        .headers_mut()
        .insert("api-version", HeaderValue::from_static("v1"));
    if let Some(key) = key {
        response.extensions_mut().insert(auth::actor(key));
    }
    response
}

/// The column gate: the version's lifecycle headers on every response; health is open; past the
/// sunset every other path is gone; before it, every other path needs a key.
pub async fn gate(state: AppState, req: Request, next: Next) -> Response {
    let lifecycle = super::lifecycle::headers(&state.settings.column);
    let mut response = if req.uri().path() == HEALTH_PATH {
        finish(next.run(req).await, None, HeaderMap::new())
    } else if let Some(problem) = super::lifecycle::gone(&state.settings.column, state.now()) {
        finish(problem.into_response(), None, HeaderMap::new())
    } else {
        admit(state, req, next).await
    };
    response.headers_mut().extend(lifecycle);
    response
}

/// Authentication, plan, idempotency and rate limits of a data path.
async fn admit(state: AppState, req: Request, next: Next) -> Response {
    let key = match authenticate(&state, req.headers()).await {
        Ok(key) => key,
        Err(problem) => return finish(problem.into_response(), None, HeaderMap::new()),
    };
    let Some(plan) = state.settings.plans.column(key.plan).cloned() else {
        let problem = Problem::forbidden(format!(
            "the {} plan is not offered for the column API",
            key.plan
        ));
        return finish(problem.into_response(), Some(&key), HeaderMap::new());
    };
    let rules = rules(&plan);
    let subject = ("column", key.id.to_string());
    let idempotency_key = match idempotency::key_of(req.headers()) {
        Ok(k) => k,
        Err(problem) => {
            let verdict = state.meter.peek(subject, &rules, state.now());
            return finish(
                problem.into_response(),
                Some(&key),
                headers(&plan, &verdict, state.now()),
            );
        }
    };
    let charge_then_run = |req: Request| {
        let (state, rules, subject, plan) =
            (state.clone(), rules.clone(), subject.clone(), plan.clone());
        async move {
            let verdict = state.meter.charge(subject, &rules, 1, state.now());
            if verdict.allowed {
                return next.run(req).await;
            }
            let problem = if verdict.refused_by == Some(0) {
                Problem::new(
                    ProblemKind::RateLimited,
                    format!(
                        "rate limit exceeded: {} requests per minute, burst {}",
                        plan.per_minute, plan.burst
                    ),
                )
                .with_retry_after(verdict.retry_after_secs)
            } else {
                Problem::new(
                    ProblemKind::QuotaExceeded,
                    "monthly request quota exhausted",
                )
                .with_retry_after(verdict.retry_after_secs)
            };
            problem.into_response()
        }
    };
    let response = match idempotency_key {
        Some(idem) => {
            let scope = key.user_id.to_string();
            idempotency::run(&state, Face::Column, scope, idem, req, charge_then_run).await
        }
        None => charge_then_run(req).await,
    };
    let verdict = state.meter.peek(subject, &rules, state.now());
    finish(response, Some(&key), headers(&plan, &verdict, state.now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_key_shape() {
        assert!(is_column_key("sopk_live_abcdefghijklmnop"));
        assert!(is_column_key("sopk_test_ABCDEFGHIJKLMNOP1234"));
        assert!(!is_column_key("sopk_live_short"));
        assert!(!is_column_key("sopk_prod_abcdefghijklmnop"));
        assert!(!is_column_key("cm_options_abcdefghijklmnop"));
        assert!(!is_column_key(&format!("sopk_live_{}", "a".repeat(129))));
    }

    #[test]
    fn free_plan_bucket_refills_one_per_second() {
        let free = model::PlanBook::default()
            .column(model::Plan::Free)
            .cloned()
            .unwrap();
        let rules = rules(&free);
        assert_eq!(
            rules[0],
            Rule::Bucket {
                capacity: 20,
                drain: Duration::from_secs(20)
            }
        );
        assert_eq!(
            rules[1],
            Rule::Window {
                span: Span::Month,
                max: 1_000
            }
        );
    }
}
