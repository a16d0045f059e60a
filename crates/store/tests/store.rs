//! The store against a real database: atomicity, concurrency and durability of identity and
//! idempotency records. SQLite files by default; set `OPTIONTAPE_TEST_POSTGRES_URL` (an admin
//! URL such as `postgres://postgres@127.0.0.1:5432/postgres`) to run the same tests on
//! PostgreSQL, one fresh database per test.

use model::identity::{CODE_MAX_FAILURES, CODE_RESEND_INTERVAL, CODE_TTL};
use model::{Email, Plan, Product, Timestamp};
use std::time::Duration;
use store::idempotency::{Claim, StoredResponse};
use store::keys::KeyFamily;
use store::verification::{CodeError, CodeRequest, ResetRequest};
use store::{Secret, Store};

const T0: Timestamp = Timestamp::from_seconds(1_767_225_600); // 2026-01-01T00:00:00Z

async fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&store::testing::database_url(dir.path()).await)
        .await
        .unwrap()
}

fn on_sqlite() -> bool {
    std::env::var(store::testing::POSTGRES_ENV).is_err()
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

async fn issue(store: &Store, address: &Email, now: Timestamp) -> Secret {
    match store.issue_code(address, now).await.unwrap() {
        CodeRequest::Issued { code, .. } => code,
        CodeRequest::TooSoon { wait } => panic!("expected a code, must wait {wait:?}"),
    }
}

/// A code that is certainly not `code`.
fn other_than(code: &Secret) -> String {
    let first = code.expose().as_bytes()[0];
    let replaced = if first == b'9' {
        '0'
    } else {
        (first + 1) as char
    };
    format!("{replaced}{}", &code.expose()[1..])
}

#[tokio::test]
async fn database_runs_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .create_user(&email("a@x.com"), None, T0)
        .await
        .unwrap()
        .unwrap();
    if on_sqlite() {
        // In WAL mode commits go to a side log next to the database file.
        assert!(dir.path().join("optiontape.db-wal").exists());
    }
    store.close().await;
    // Reopening applies no migration twice and keeps the data.
    let store = open(&dir).await;
    assert!(
        store
            .user_by_email(&email("a@x.com"))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn code_issue_resend_limit_and_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let a = email("trader@example.com");
    let first = issue(&store, &a, T0).await;
    match store
        .issue_code(&a, T0.plus(Duration::from_secs(59)))
        .await
        .unwrap()
    {
        CodeRequest::TooSoon { wait } => assert_eq!(wait, Duration::from_secs(1)),
        other => panic!("resend inside 60 s must wait, got {other:?}"),
    }
    let second = issue(&store, &a, T0.plus(CODE_RESEND_INTERVAL)).await;
    let later = T0.plus(CODE_RESEND_INTERVAL);
    if first != second {
        // The replaced code no longer works.
        let refused = store
            .register(&a, first.expose(), None, later)
            .await
            .unwrap();
        assert_eq!(refused.unwrap_err(), CodeError::InvalidCode);
    }
    let (user, token) = store
        .register(&a, second.expose(), None, later)
        .await
        .unwrap()
        .unwrap();
    assert!(!user.has_password);
    assert_eq!(
        store
            .session(token.expose())
            .await
            .unwrap()
            .unwrap()
            .user
            .id,
        user.id
    );
    // The code is single-use.
    let again = store
        .login_with_code(&a, second.expose(), later)
        .await
        .unwrap();
    assert_eq!(again.unwrap_err(), CodeError::InvalidCode);
}

#[tokio::test]
async fn codes_expire_after_fifteen_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let a = email("late@example.com");
    let code = issue(&store, &a, T0).await;
    let expired = store
        .register(&a, code.expose(), None, T0.plus(CODE_TTL))
        .await
        .unwrap();
    assert_eq!(expired.unwrap_err(), CodeError::InvalidCode);
    assert!(
        store.user_by_email(&a).await.unwrap().is_none(),
        "no half-created user"
    );
}

#[tokio::test]
async fn five_wrong_codes_lock_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let a = email("guess@example.com");
    let code = issue(&store, &a, T0).await;
    for _ in 0..CODE_MAX_FAILURES {
        let wrong = store
            .register(&a, &other_than(&code), None, T0)
            .await
            .unwrap();
        assert_eq!(wrong.unwrap_err(), CodeError::InvalidCode);
    }
    // The right code is now refused too, and that refusal survives a restart.
    drop(store);
    let store = open(&dir).await;
    let locked = store.register(&a, code.expose(), None, T0).await.unwrap();
    assert_eq!(locked.unwrap_err(), CodeError::InvalidCode);
}

#[tokio::test]
async fn concurrent_registrations_with_one_code_create_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let a = email("race@example.com");
    let code = issue(&store, &a, T0).await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let a = a.clone();
            let code = code.expose().to_string();
            tokio::spawn(async move { store.register(&a, &code, None, T0).await.unwrap() })
        })
        .collect();
    let mut created = 0;
    for attempt in attempts {
        if attempt.await.unwrap().is_ok() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn passwords_sessions_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let a = email("pw@example.com");
    let code = issue(&store, &a, T0).await;
    let (user, first) = store
        .register(&a, code.expose(), Some("hunter2hunter2"), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(user.has_password);
    assert!(
        store
            .login_with_password(&a, "wrong password", T0)
            .await
            .unwrap()
            .is_err()
    );
    let (_, second) = store
        .login_with_password(&a, "hunter2hunter2", T0)
        .await
        .unwrap()
        .unwrap();
    let session = store.session(second.expose()).await.unwrap().unwrap();
    store.revoke_session(session.session_id, T0).await.unwrap();
    assert!(store.session(second.expose()).await.unwrap().is_none());
    assert!(store.session(first.expose()).await.unwrap().is_some());

    let ResetRequest::Issued(reset) = store.start_password_reset(&a, T0).await.unwrap() else {
        panic!("a reset token for an existing account");
    };
    let nobody = store
        .start_password_reset(&email("nobody@example.com"), T0)
        .await
        .unwrap();
    assert!(matches!(nobody, ResetRequest::NoAccount));
    let soon = store
        .start_password_reset(&a, T0.plus(Duration::from_secs(59)))
        .await
        .unwrap();
    assert!(matches!(soon, ResetRequest::TooSoon { wait } if wait == Duration::from_secs(1)));
    assert!(
        store
            .finish_password_reset(reset.expose(), "a new password", T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_password_reset(reset.expose(), "another one!", T0)
            .await
            .unwrap()
    );
    assert!(
        store.session(first.expose()).await.unwrap().is_none(),
        "reset ends all sessions"
    );
    assert!(
        store
            .login_with_password(&a, "a new password", T0)
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let user = store
        .create_user(&email("k@example.com"), None, T0)
        .await
        .unwrap()
        .unwrap();
    let (key, secret) = store
        .create_api_key(user.id, Product::Options, Plan::Free, KeyFamily::Live, T0)
        .await
        .unwrap();
    assert!(secret.expose().starts_with("cm_options_"));
    assert!(key.display.starts_with("cm_options_…"));
    let found = store
        .authenticate_api_key(secret.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, key);
    let mut tampered = secret.expose().to_string();
    tampered.pop();
    tampered.push('!');
    assert!(
        store
            .authenticate_api_key(&tampered)
            .await
            .unwrap()
            .is_none()
    );
    let (_, test_key) = store
        .create_api_key(user.id, Product::Column, Plan::Free, KeyFamily::Test, T0)
        .await
        .unwrap();
    assert!(test_key.expose().starts_with("sopk_test_"));
    assert_eq!(store.api_keys(Some(&user.email)).await.unwrap().len(), 2);
    assert!(store.revoke_api_key(key.id, T0).await.unwrap());
    assert!(!store.revoke_api_key(key.id, T0).await.unwrap());
    assert!(
        store
            .authenticate_api_key(secret.expose())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.api_key(key.id).await.unwrap().unwrap().revoked_at,
        Some(T0)
    );
}

#[tokio::test]
async fn idempotency_claims_replays_and_takeovers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let lease = Duration::from_secs(120);
    let day = Duration::from_secs(86_400);
    let claim = |store: &Store, scope: &'static str, fingerprint: &'static str, at: Timestamp| {
        let store = store.clone();
        async move {
            store
                .claim_idempotent(scope, "k", fingerprint, at, lease)
                .await
                .unwrap()
        }
    };
    assert_eq!(claim(&store, "u1", "fp", T0).await, Claim::Owner);
    assert_eq!(claim(&store, "u1", "fp", T0).await, Claim::InFlight);
    assert_eq!(claim(&store, "u1", "other", T0).await, Claim::Mismatch);
    assert_eq!(
        claim(&store, "u2", "fp", T0).await,
        Claim::Owner,
        "keys are per scope"
    );
    let response = StoredResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{\"ok\":true}".to_vec(),
    };
    store
        .complete_idempotent("u1", "k", "fp", &response, T0, day)
        .await
        .unwrap();
    drop(store);
    let store = open(&dir).await;
    let just_before_expiry = T0.plus(day).minus(Duration::from_secs(1));
    assert_eq!(
        claim(&store, "u1", "fp", just_before_expiry).await,
        Claim::Replay(response.clone())
    );
    // After 24 hours the key is free again, even for a different request.
    assert_eq!(claim(&store, "u1", "new", T0.plus(day)).await, Claim::Owner);
    // An owner that died is taken over once its lease runs out.
    assert_eq!(claim(&store, "u3", "fp", T0).await, Claim::Owner);
    assert_eq!(
        claim(&store, "u3", "fp", T0.plus(lease)).await,
        Claim::Owner
    );
    // Abandoning frees the key at once.
    store.abandon_idempotent("u3", "k", "fp").await.unwrap();
    assert_eq!(claim(&store, "u3", "fp", T0).await, Claim::Owner);
}

#[tokio::test]
async fn concurrent_claims_have_exactly_one_owner() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let claims: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim_idempotent("u", "same", "fp", T0, Duration::from_secs(60))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut owners = 0;
    for claim in claims {
        if claim.await.unwrap() == Claim::Owner {
            owners += 1;
        }
    }
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn sweep_removes_only_what_expired() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let day = Duration::from_secs(86_400);
    store
        .claim_idempotent("u", "k", "fp", T0, day)
        .await
        .unwrap();
    let response = StoredResponse {
        status: 200,
        headers: vec![],
        body: vec![],
    };
    store
        .complete_idempotent("u", "k", "fp", &response, T0, day)
        .await
        .unwrap();
    issue(&store, &email("s@example.com"), T0).await;
    assert_eq!(
        store.sweep(T0.plus(Duration::from_secs(60))).await.unwrap(),
        0
    );
    assert_eq!(store.sweep(T0.plus(day)).await.unwrap(), 2);
}

#[tokio::test]
async fn unsupported_urls_are_named() {
    let err = Store::open("mysql://root:pw@localhost/x")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "database URL mysql://root:***@localhost/x is not supported; use sqlite://PATH or postgres://..."
    );
}
