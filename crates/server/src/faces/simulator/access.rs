//! The simulator gate: a per-address throttle on `/auth/*`, session resolution, and credit
//! metering of market-data reads.

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Duration;

use super::{credits, session};
use crate::http::{Problem, ProblemKind};
use crate::limits::Rule;
use crate::state::AppState;

/// `/auth/*` abuse throttle per client address: a burst of 20, refilling 10 a minute.
pub const AUTH_THROTTLE: [Rule; 1] = [Rule::Bucket {
    capacity: 20,
    drain: Duration::from_secs(120),
}];

fn client_address(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

pub async fn gate(state: AppState, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let root = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match root {
        "health" => return next.run(req).await,
        "auth" => {
            let verdict = state.meter.charge(
                ("auth-ip", client_address(&req)),
                &AUTH_THROTTLE,
                1,
                state.now(),
            );
            if !verdict.allowed {
                return Problem::new(
                    ProblemKind::RateLimited,
                    format!(
                        "too many authentication requests from this address; retry in {} seconds",
                        verdict.retry_after_secs
                    ),
                )
                .with_retry_after(verdict.retry_after_secs)
                .into_response();
            }
            // Auth handlers that need a session (logout) resolve it themselves.
            return next.run(req).await;
        }
        _ => {}
    }
    let presented =
        match session::presented_token(req.headers(), state.settings.simulator_accepts_bearer) {
            Ok(token) => token,
            Err(problem) => return problem.into_response(),
        };
    if presented.is_none() {
        // Visitors are not metered; endpoints that need a session refuse them.
        return next.run(req).await;
    }
    let session = match session::authenticate(&state, req.headers()).await {
        Ok(session) => session,
        Err(problem) => return problem.into_response(),
    };
    let subject = (credits::POLICY, session.user.id.to_string());
    let cost = credits::cost(req.method(), &path);
    if let Some(cost) = cost {
        let verdict = state
            .meter
            .charge(subject.clone(), &credits::rules(), cost, state.now());
        if !verdict.allowed {
            let mut response = credits::exhausted(&verdict.readings[0], verdict.retry_after_secs);
            response
                .headers_mut()
                .extend(credits::headers(&verdict.readings[0]));
            response.extensions_mut().insert(session::actor(&session));
            return response;
        }
    }
    req.extensions_mut().insert(session.clone());
    let mut response = next.run(req).await;
    if let Some(cost) = cost {
        // Only data returned is paid for: nothing for a failure, and for a response that settles
        // below the up-front charge, only what it reports.
        let owed = if response.status().is_success() {
            response
                .extensions()
                .get::<credits::Settled>()
                .map_or(cost, |settled| settled.0.min(cost))
        } else {
            0
        };
        if owed < cost {
            state
                .meter
                .refund(subject, &credits::rules(), cost - owed, state.now());
        }
    }
    let standing = credits::standing(&state, session.user.id);
    response.headers_mut().extend(credits::headers(&standing));
    response.extensions_mut().insert(session::actor(&session));
    response
}
