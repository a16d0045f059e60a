//! Page tokens: the opaque `page` parameter of `next_url`.
//!
//! A token carries the whole query state of a list (route, owner, filters, position) so that a
//! client can follow `next_url` verbatim, or send the `page` value alone, and get the next page
//! of exactly the same query. It is signed with a key kept in the data folder (HMAC-SHA-256), so
//! it cannot be altered, carried to another route or another user's key, and it expires.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use model::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::http::{Problem, ProblemKind};

/// How long a page token stays valid.
pub const TOKEN_LIFETIME_SECS: i64 = 7 * 24 * 3600;
/// The signing key's file in the data folder.
const KEY_FILE: &str = "page-token.key";

/// What a page token restores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    /// The route's path, as requested.
    pub route: String,
    /// Who may use it: the key's user and product.
    pub owner: String,
    /// The query's parameters as first sent (without `page` and credentials).
    pub query: Vec<(String, String)>,
    /// Results already returned.
    pub offset: u64,
    /// Issued at, Unix seconds (wall clock).
    pub issued: i64,
}

/// Signs and checks page tokens.
pub struct PageSigner {
    key: [u8; 32],
}

impl PageSigner {
    /// The signer of a data folder: its key is made on first use and kept there (readable by its
    /// owner only), so tokens survive restarts.
    pub fn for_data_dir(data_dir: &Path) -> anyhow::Result<PageSigner> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()))?;
                Ok(PageSigner { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| anyhow::anyhow!("no randomness for the page-token key: {e}"))?;
                std::fs::create_dir_all(data_dir)
                    .with_context(|| format!("creating {}", data_dir.display()))?;
                write_private(&path, &key)
                    .with_context(|| format!("writing {}", path.display()))?;
                Ok(PageSigner { key })
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// A signer with a given key (tests and fuzzing; the server uses [`Self::for_data_dir`]).
    pub fn with_key(key: [u8; 32]) -> PageSigner {
        PageSigner { key }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    pub fn sign(&self, state: &PageState) -> String {
        let payload = serde_json::to_vec(state).expect("a page state serializes");
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The state of a token sent back on `route` by `owner` at wall time `now`.
    pub fn open(
        &self,
        token: &str,
        route: &str,
        owner: &str,
        now: Timestamp,
    ) -> Result<PageState, Problem> {
        let invalid = |why: &str| {
            Problem::new(
                ProblemKind::InvalidPageToken,
                format!("page token {why}; request the first page again without page"),
            )
        };
        let (payload, tag) = token
            .split_once('.')
            .ok_or_else(|| invalid("is malformed"))?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| invalid("is malformed"))?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| invalid("is malformed"))?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag)
            .map_err(|_| invalid("was altered or not issued here"))?;
        let state: PageState =
            serde_json::from_slice(&payload).map_err(|_| invalid("is malformed"))?;
        if state.route != route {
            return Err(invalid("belongs to another endpoint"));
        }
        if state.owner != owner {
            return Err(invalid("belongs to another key"));
        }
        // Checked: a state may carry any `issued` (found by fuzzing, with a signed far past).
        let age = now.as_seconds().checked_sub(state.issued);
        if !age.is_some_and(|age| (0..=TOKEN_LIFETIME_SECS).contains(&age)) {
            return Err(invalid("has expired"));
        }
        Ok(state)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PageState {
        PageState {
            route: "/v1/options/contracts/".into(),
            owner: "user/options".into(),
            query: vec![("underlying_ticker".into(), "SPX".into())],
            offset: 10,
            issued: 1_000,
        }
    }

    #[test]
    fn tokens_round_trip_and_refuse_every_kind_of_misuse() {
        let dir = tempfile::tempdir().unwrap();
        let signer = PageSigner::for_data_dir(dir.path()).unwrap();
        let token = signer.sign(&state());
        let now = Timestamp::from_seconds(2_000);
        assert_eq!(
            signer.open(&token, "/v1/options/contracts/", "user/options", now),
            Ok(state())
        );
        // The same folder's key after a restart reads it; another folder's does not.
        let again = PageSigner::for_data_dir(dir.path()).unwrap();
        assert!(
            again
                .open(&token, "/v1/options/contracts/", "user/options", now)
                .is_ok()
        );
        let other = PageSigner::for_data_dir(tempfile::tempdir().unwrap().path()).unwrap();
        let (payload, tag) = token.split_once('.').unwrap();
        let mut altered = state();
        altered.offset = 0;
        let forged = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&altered).unwrap())
        );
        let late = Timestamp::from_seconds(1_000 + TOKEN_LIFETIME_SECS + 1);
        for (token, route, owner, now, why) in [
            (
                token.as_str(),
                "/v1/options/contracts/",
                "user/options",
                late,
                "expired",
            ),
            (
                token.as_str(),
                "/v1/options/chain/SPX/",
                "user/options",
                now,
                "another endpoint",
            ),
            (
                token.as_str(),
                "/v1/options/contracts/",
                "other/options",
                now,
                "another key",
            ),
            (
                forged.as_str(),
                "/v1/options/contracts/",
                "user/options",
                now,
                "altered",
            ),
            (
                payload,
                "/v1/options/contracts/",
                "user/options",
                now,
                "malformed",
            ),
            (
                "%%%.###",
                "/v1/options/contracts/",
                "user/options",
                now,
                "malformed",
            ),
        ] {
            let problem = signer.open(token, route, owner, now).unwrap_err();
            assert_eq!(problem.kind, ProblemKind::InvalidPageToken);
            assert!(problem.message.contains(why), "{}", problem.message);
        }
        assert!(
            other
                .open(&token, "/v1/options/contracts/", "user/options", now)
                .is_err()
        );
    }

    #[test]
    fn issue_times_at_the_ends_of_the_range_expire_instead_of_overflowing() {
        let signer = PageSigner::with_key([7; 32]);
        for issued in [i64::MIN, i64::MAX] {
            let token = signer.sign(&PageState { issued, ..state() });
            let problem = signer
                .open(
                    &token,
                    "/v1/options/contracts/",
                    "user/options",
                    Timestamp::EPOCH,
                )
                .unwrap_err();
            assert!(problem.message.contains("expired"), "{}", problem.message);
        }
    }
}
