//! The demo account: on the first start with an empty database, a user with one working key per
//! product and a simulator session, so a new user can make a request at once.
//!
//! Keys are stored hashed and cannot be shown again, so the clear credentials are also kept in
//! `demo-credentials.json` in the data folder (readable by its owner only). Later starts print the
//! ones that still work.

use anyhow::Context;
use model::{Email, Plan, Product};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use store::keys::KeyFamily;

use crate::state::AppState;

pub const DEMO_EMAIL: &str = "demo@optiontape.local";
const FILE_NAME: &str = "demo-credentials.json";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DemoCredentials {
    pub email: String,
    /// One key per product, as (product, key).
    pub keys: Vec<(Product, String)>,
    /// A simulator session token.
    pub session_token: String,
}

impl DemoCredentials {
    pub fn key(&self, product: Product) -> Option<&str> {
        self.keys
            .iter()
            .find(|(p, _)| *p == product)
            .map(|(_, k)| k.as_str())
    }
}

pub fn credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// The plan demo keys carry: everything a lab user would want to try, quotes and streams included.
const DEMO_PLAN: Plan = Plan::Expert;

/// Creates the demo account if the database has no users; otherwise returns the saved demo
/// credentials that still work. `None` when there are none to show.
pub async fn ensure_demo(state: &AppState) -> anyhow::Result<Option<DemoCredentials>> {
    let path = credentials_path(&state.settings.data_dir);
    let store = &state.store;
    if store.users().await?.is_empty() {
        let now = state.now();
        let email = Email::parse(DEMO_EMAIL).map_err(anyhow::Error::msg)?;
        let user = match store.create_user(&email, None, now).await? {
            Ok(user) => user,
            // Another process created it between our two statements; show what it saved.
            Err(_) => return saved(state, &path).await,
        };
        let mut keys = Vec::new();
        for product in Product::ALL {
            let (_, secret) = store
                .create_api_key(user.id, product, DEMO_PLAN, KeyFamily::Live, now)
                .await?;
            keys.push((product, secret.expose().to_string()));
        }
        let session = store.create_session(user.id, now).await?;
        let credentials = DemoCredentials {
            email: email.to_string(),
            keys,
            session_token: session.expose().to_string(),
        };
        write_private(&path, &serde_json::to_vec_pretty(&credentials)?)
            .with_context(|| format!("saving demo credentials to {}", path.display()))?;
        return Ok(Some(credentials));
    }
    saved(state, &path).await
}

/// The saved demo credentials, without any that were revoked since.
async fn saved(state: &AppState, path: &Path) -> anyhow::Result<Option<DemoCredentials>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut credentials: DemoCredentials = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let mut working = Vec::new();
    for (product, key) in credentials.keys {
        if state.store.authenticate_api_key(&key).await?.is_some() {
            working.push((product, key));
        }
    }
    credentials.keys = working;
    if state
        .store
        .session(&credentials.session_token)
        .await?
        .is_none()
    {
        credentials.session_token.clear();
    }
    let anything = !credentials.keys.is_empty() || !credentials.session_token.is_empty();
    Ok(anything.then_some(credentials))
}

/// Writes a file only its owner can read, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}
