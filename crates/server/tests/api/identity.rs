//! The simulator's identity flows over HTTP: codes, registration, login, logout, profile, settings.

use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::{TestServer, header};

async fn status_and_text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn token_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn register_login_logout() {
    let server = TestServer::start().await;
    let email = "trader@example.com";
    let check = server
        .post_json("/auth/check-email", json!({ "email": email }))
        .await;
    assert_eq!(
        status_and_text(check).await,
        (404, "no account with that email".into())
    );

    let code = server.request_code(email).await;
    let body = json!({ "email": "Trader@Example.com", "verification_code": code, "password": "correct horse" });
    let token = token_of(server.post_json("/auth/register", body).await).await;
    assert_eq!(token.len(), 32);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );

    let check: Value = server
        .post_json("/auth/check-email", json!({ "email": email }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check, json!({ "hasPassword": true }));

    // The token works as the bare Authorization value, not with Bearer.
    assert_eq!(server.profile(&token).await.status(), 200);
    let bearer = server
        .get("/user")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    assert!(bearer.text().await.unwrap().contains("without Bearer"));

    // Password login opens a second session; a wrong password does not.
    let wrong = server
        .post_json(
            "/auth/sessions",
            json!({ "email": email, "password": "wrong horse" }),
        )
        .await;
    assert_eq!(
        status_and_text(wrong).await,
        (401, "invalid email or password".into())
    );
    let login = server
        .post_json(
            "/auth/sessions",
            json!({ "email": email, "password": "correct horse" }),
        )
        .await;
    let second = token_of(login).await;
    assert_ne!(second, token);

    let logout = server
        .as_session(Method::DELETE, "/auth/sessions", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let reused = server.profile(&second).await;
    assert_eq!(
        status_and_text(reused).await,
        (401, "invalid or expired session token".into())
    );
    assert_eq!(
        server.profile(&token).await.status(),
        200,
        "other sessions live on"
    );
    assert_eq!(server.get("/user").send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn existing_accounts_and_bad_input_are_refused() {
    let server = TestServer::start().await;
    server.register("taken@example.com").await;
    server.advance(Duration::from_secs(60));
    let code = server.request_code("taken@example.com").await;
    let again = server
        .post_json(
            "/auth/register",
            json!({ "email": "taken@example.com", "verification_code": code }),
        )
        .await;
    assert_eq!(
        status_and_text(again).await,
        (400, "account already exists".into())
    );

    let body =
        json!({ "email": "new@example.com", "verification_code": "123456", "password": "short" });
    let short = server.post_json("/auth/register", body).await;
    assert_eq!(
        status_and_text(short).await,
        (400, "password must be at least 8 characters".into())
    );
    let bad_email = server
        .post_json("/auth/verify-email", json!({ "email": "not-an-address" }))
        .await;
    assert_eq!(
        status_and_text(bad_email).await,
        (400, "email must contain @".into())
    );
    let neither = server
        .post_json("/auth/sessions", json!({ "email": "taken@example.com" }))
        .await;
    assert_eq!(neither.status(), 400);
}

#[tokio::test]
async fn codes_expire_after_fifteen_minutes() {
    let server = TestServer::start().await;
    let register = |code: String| {
        server.post_json(
            "/auth/register",
            json!({ "email": "late@example.com", "verification_code": code }),
        )
    };
    let code = server.request_code("late@example.com").await;
    server.advance(Duration::from_secs(15 * 60));
    let expired = register(code).await;
    assert_eq!(
        status_and_text(expired).await,
        (400, "invalid or expired verification code".into())
    );
    let fresh = server.request_code("late@example.com").await;
    assert_eq!(register(fresh).await.status(), 201);
}

#[tokio::test]
async fn a_code_locks_after_five_wrong_submissions() {
    let server = TestServer::start().await;
    let register = |code: &str| {
        server.post_json(
            "/auth/register",
            json!({ "email": "guess@example.com", "verification_code": code }),
        )
    };
    let code = server.request_code("guess@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(register(wrong).await.status(), 400);
    }
    let locked = register(&code).await;
    assert_eq!(
        status_and_text(locked).await,
        (400, "invalid or expired verification code".into())
    );
}

#[tokio::test]
async fn one_code_request_per_address_per_minute() {
    let server = TestServer::start().await;
    server.request_code("busy@example.com").await;
    server.advance(Duration::from_secs(45));
    let again = server
        .post_json("/auth/verify-email", json!({ "email": "busy@example.com" }))
        .await;
    assert_eq!(again.status(), 429);
    assert_eq!(header(&again, "retry-after"), "15");
    assert_eq!(header(&again, "content-type"), "text/plain; charset=utf-8");
    assert!(again.text().await.unwrap().contains("retry in 15 seconds"));
    // Other addresses are not affected; this one may ask again after the minute.
    server.request_code("other@example.com").await;
    server.advance(Duration::from_secs(15));
    server.request_code("busy@example.com").await;
}

#[tokio::test]
async fn code_login_consumes_the_code() {
    let server = TestServer::start().await;
    let email = "codes@example.com";
    server.register(email).await;
    server.advance(Duration::from_secs(60));
    let code = server.request_code(email).await;
    let login = |code: &str| {
        server.post_json(
            "/auth/sessions",
            json!({ "email": email, "verification_code": code }),
        )
    };
    assert_eq!(login(&code).await.status(), 201);
    let reused = login(&code).await;
    assert_eq!(
        status_and_text(reused).await,
        (401, "invalid email or verification code".into())
    );
    let check: Value = server
        .post_json("/auth/check-email", json!({ "email": email }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["hasPassword"], false, "a passwordless account");
}

#[tokio::test]
async fn auth_routes_are_throttled_per_address() {
    let server = TestServer::start().await;
    let check = || server.post_json("/auth/check-email", json!({ "email": "x@example.com" }));
    for _ in 0..20 {
        assert_eq!(check().await.status(), 404);
    }
    let throttled = check().await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(header(&throttled, "retry-after"), "6");
    assert_eq!(
        header(&throttled, "content-type"),
        "text/plain; charset=utf-8"
    );
    // Ten a minute come back.
    server.advance(Duration::from_secs(6));
    assert_eq!(check().await.status(), 404);
    // Routes outside /auth are not throttled.
    assert_eq!(server.get("/health").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_profile_shows_the_effective_fee_schedule() {
    let server = TestServer::start().await;
    let token = server.register("fees@example.com").await;
    let profile: Value = server.profile(&token).await.json().await.unwrap();
    assert_eq!(profile["email"], "fees@example.com");
    assert_eq!(profile["usage_percent"], 0);
    assert_eq!(profile["slippage"], "0");
    assert_eq!(
        profile["fee_schedule"],
        json!({
            "buy_equity": "0.0008", "sell_equity": "0.003986",
            "buy_to_open_option": "1.72", "sell_to_open_option": "1.72",
            "buy_to_close_option": "0.72", "sell_to_close_option": "0.72",
            "exercise_option": "5"
        })
    );
    assert!(uuid::Uuid::parse_str(profile["id"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn fee_schedule_and_slippage_updates() {
    let server = TestServer::start().await;
    let token = server.register("patch@example.com").await;
    let patch = |body: Value| {
        let request = server
            .as_session(Method::PATCH, "/user", &token)
            .json(&body);
        async move { status_and_text(request.send().await.unwrap()).await }
    };
    let profile = || async { server.profile(&token).await.json::<Value>().await.unwrap() };
    let schedule = json!({
        "buy_equity": "0.008", "sell_equity": "0", "buy_to_open_option": "1.00",
        "sell_to_open_option": "17.2", "buy_to_close_option": "0.5", "sell_to_close_option": "0.5",
        "exercise_option": "50"
    });
    let with = |field: &str, value: Value| {
        let mut changed = schedule.clone();
        changed[field] = value;
        changed
    };
    assert_eq!(
        patch(json!({ "fee_schedule": schedule, "slippage": "0.10" }))
            .await
            .0,
        204
    );
    let after = profile().await;
    assert_eq!(after["fee_schedule"]["buy_to_open_option"], "1");
    assert_eq!(after["fee_schedule"]["sell_to_open_option"], "17.2");
    assert_eq!(after["slippage"], "0.1");

    let refused = patch(
        json!({ "fee_schedule": with("exercise_option", json!("50.01")), "slippage": "0.05" }),
    )
    .await;
    assert_eq!(
        refused,
        (
            400,
            "fee_schedule.exercise_option must be at most 50 (10x the default)".into()
        )
    );
    assert_eq!(
        profile().await["slippage"],
        "0.1",
        "a refused PATCH changes nothing"
    );

    let mut missing = schedule.clone();
    missing.as_object_mut().unwrap().remove("sell_equity");
    for (body, expected) in [
        (
            json!({ "fee_schedule": missing }),
            "fee_schedule.sell_equity is required",
        ),
        (
            json!({ "fee_schedule": with("buy_equity", json!("-0.001")) }),
            "fee_schedule.buy_equity must not be negative",
        ),
        (
            json!({ "fee_schedule": with("buy_equity", json!(0.001)) }),
            "fee_schedule.buy_equity must be a decimal string",
        ),
        (
            json!({ "slippage": "0.03" }),
            "slippage must be a multiple of 0.05",
        ),
    ] {
        assert_eq!(patch(body).await, (400, expected.into()));
    }

    assert_eq!(
        patch(json!({ "fee_schedule": null, "slippage": null }))
            .await
            .0,
        204
    );
    let after = profile().await;
    assert_eq!(after["fee_schedule"]["exercise_option"], "5");
    assert_eq!(after["slippage"], "0");
}

#[tokio::test]
async fn password_and_email_changes_need_a_fresh_code() {
    let server = TestServer::start().await;
    let token = server.register("old@example.com").await;
    let patch = |body: Value| {
        let request = server
            .as_session(Method::PATCH, "/user", &token)
            .json(&body);
        async move { status_and_text(request.send().await.unwrap()).await }
    };
    let (status, text) = patch(json!({ "password": "brand new pw" })).await;
    assert_eq!(status, 400);
    assert!(text.contains("requires verification_code"));
    server.advance(Duration::from_secs(60));
    let code = server.request_code("old@example.com").await;
    assert_eq!(
        patch(json!({ "password": "brand new pw", "verification_code": code }))
            .await
            .0,
        204
    );
    let login = server
        .post_json(
            "/auth/sessions",
            json!({ "email": "old@example.com", "password": "brand new pw" }),
        )
        .await;
    assert_eq!(login.status(), 201);

    let code = server.request_code("new@example.com").await;
    assert_eq!(
        patch(json!({ "email": "new@example.com", "verification_code": code }))
            .await
            .0,
        204
    );
    let profile: Value = server.profile(&token).await.json().await.unwrap();
    assert_eq!(profile["email"], "new@example.com");
    let gone = server
        .post_json("/auth/check-email", json!({ "email": "old@example.com" }))
        .await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn forgotten_passwords_are_reset_by_emailed_token() {
    let server = TestServer::start().await;
    let code = server.request_code("forgot@example.com").await;
    let body = json!({ "email": "forgot@example.com", "verification_code": code, "password": "first password" });
    let token = token_of(server.post_json("/auth/register", body).await).await;
    let outbox = || -> BTreeSet<_> {
        std::fs::read_dir(server.outbox())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let before = outbox();
    let forgot = server
        .post_json(
            "/auth/forgot-password",
            json!({ "email": "forgot@example.com" }),
        )
        .await;
    assert_eq!(forgot.status(), 204);
    let soon = server
        .post_json(
            "/auth/forgot-password",
            json!({ "email": "forgot@example.com" }),
        )
        .await;
    assert_eq!(soon.status(), 429, "one reset e-mail a minute");
    assert_eq!(header(&soon, "retry-after"), "60");
    let unknown = server
        .post_json(
            "/auth/forgot-password",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!(
        unknown.status(),
        204,
        "no hint whether the address has an account"
    );
    let after = outbox();
    let new: Vec<_> = after.difference(&before).collect();
    assert_eq!(new.len(), 1, "only the real account gets mail");
    let text = std::fs::read_to_string(new[0]).unwrap();
    let reset_token = text
        .lines()
        .find(|l| l.len() == 32 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("token line")
        .to_string();
    let reset = |password: &str| {
        server.post_json(
            "/auth/reset-password",
            json!({ "reset_token": reset_token, "password": password }),
        )
    };
    assert_eq!(reset("second password").await.status(), 204);
    assert_eq!(
        server.profile(&token).await.status(),
        401,
        "every session ended"
    );
    let again = reset("third password").await;
    assert_eq!(
        status_and_text(again).await,
        (400, "invalid or expired reset token".into())
    );
}
