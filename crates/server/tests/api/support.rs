//! A real server on a loopback socket, with a clock the test controls.

use axum::Router;
use model::{ManualClock, Plan, Product, Timestamp};
use server::{App, AppState, Settings};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use store::keys::KeyFamily;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Monday 2026-01-05 15:00:00 UTC, mid-morning in New York.
pub const T0: Timestamp = Timestamp::from_seconds(1_767_625_200);

pub struct TestServer {
    pub url: String,
    pub addr: std::net::SocketAddr,
    pub clock: ManualClock,
    pub state: AppState,
    pub dir: Arc<tempfile::TempDir>,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Router::new(), |_| {}).await
    }

    /// A server with extra routes mounted beside the faces' own, and adjusted settings.
    pub async fn start_with(
        extra: Router<AppState>,
        configure: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        Self::start_in(dir, ManualClock::new(T0), extra, configure).await
    }

    /// A server over an existing data folder (a restart).
    pub async fn start_in(
        dir: Arc<tempfile::TempDir>,
        clock: ManualClock,
        extra: Router<AppState>,
        configure: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let url = store::testing::database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let mut settings = Settings::new(url.clone(), dir.path());
        configure(&mut settings);
        let state = AppState::new(store, Arc::new(clock.clone()), settings).unwrap();
        let app = App::new(state.clone(), extra).unwrap();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(server::serve(listener, state.clone(), app, async {
            let _ = rx.await;
        }));
        TestServer {
            url,
            addr,
            clock,
            state,
            dir,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// A server over a data folder (with market data in it) whose market clock stands at `now`.
    pub async fn start_with_market_at(dir: Arc<tempfile::TempDir>, now: Timestamp) -> TestServer {
        Self::start_in(dir, ManualClock::new(T0), Router::new(), |settings| {
            settings.market_clock = model::ClockSetting::Fixed(now)
        })
        .await
    }

    /// Stops gracefully and hands back the data folder and clock for a restart.
    pub async fn stop(mut self) -> (Arc<tempfile::TempDir>, ManualClock) {
        let _ = self.shutdown.take().unwrap().send(());
        self.handle.take().unwrap().await.unwrap().unwrap();
        (self.dir.clone(), self.clock.clone())
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// GETs `path` with `key` as the bearer: the status and the JSON body.
    pub async fn get_json(&self, key: &str, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).bearer_auth(key).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.at(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.at(path))
    }

    /// POSTs a JSON body.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.post(path).json(&body).send().await.unwrap()
    }

    /// A request carrying a simulator session token (bare, as documented).
    pub fn as_session(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.at(path))
            .header("authorization", token)
    }

    /// `GET /user` with a session token.
    pub async fn profile(&self, token: &str) -> reqwest::Response {
        self.as_session(reqwest::Method::GET, "/user", token)
            .send()
            .await
            .unwrap()
    }

    pub fn clock_now(&self) -> Timestamp {
        model::Clock::now(&self.clock)
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    fn outbox_files(&self) -> BTreeSet<PathBuf> {
        std::fs::read_dir(self.outbox())
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    /// Requests a verification code and reads it from the outbox.
    pub async fn request_code(&self, email: &str) -> String {
        let before = self.outbox_files();
        let response = self
            .post_json("/auth/verify-email", serde_json::json!({ "email": email }))
            .await;
        assert_eq!(response.status(), 204, "{}", response.text().await.unwrap());
        let new: Vec<_> = self.outbox_files().difference(&before).cloned().collect();
        assert_eq!(new.len(), 1, "one message per code request");
        let text = std::fs::read_to_string(&new[0]).unwrap();
        let at = text.find("code is ").expect("message names the code") + "code is ".len();
        text[at..at + 6].to_string()
    }

    /// Registers a passwordless account and returns its session token.
    pub async fn register(&self, email: &str) -> String {
        let code = self.request_code(email).await;
        let body = serde_json::json!({ "email": email, "verification_code": code });
        let response = self.post_json("/auth/register", body).await;
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// Issues a key for a (new or existing) user, as the CLI would.
    pub async fn key(&self, email: &str, product: Product, plan: Plan) -> String {
        let email = model::Email::parse(email).unwrap();
        let store = &self.state.store;
        let user = match store.user_by_email(&email).await.unwrap() {
            Some(user) => user,
            None => store.create_user(&email, None, T0).await.unwrap().unwrap(),
        };
        let (_, secret) = store
            .create_api_key(user.id, product, plan, KeyFamily::Live, T0)
            .await
            .unwrap();
        secret.expose().to_string()
    }

    /// Sends raw bytes and returns the raw response, for requests no client library would make.
    pub async fn raw(&self, request: &[u8]) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut response = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
        String::from_utf8_lossy(&response).into_owned()
    }
}

/// The `cm_` + 32 hex request id shape.
pub fn is_request_id(text: &str) -> bool {
    text.strip_prefix("cm_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}
