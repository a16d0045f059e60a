//! Durable state: users, sessions, API keys, verification codes, idempotency records,
//! simulations and their ledgers, paper accounts.
//!
//! One code path serves SQLite (the embedded default, a file in the data folder, WAL mode) and
//! PostgreSQL (scale-out). To keep that true the SQL is portable: `$n` placeholders, TEXT ids,
//! BIGINT instants in UTC nanoseconds, money as canonical decimal TEXT, no booleans.

pub mod credentials;
mod error;
pub mod idempotency;
pub mod keys;
pub mod paper_accounts;
pub mod paper_orders;
pub mod sessions;
pub mod simulations;
pub mod testing;
pub mod users;
pub mod verification;

pub use credentials::Secret;
pub use error::{StoreError, StoreResultExt};

use model::Timestamp;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Which database engine backs the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The state store. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`) and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::Connect(format!("{}: {e}", redact_url(url))))?
            .disable_statement_logging();
        if backend == Backend::Sqlite {
            // WAL lets readers (the CLI, status probes) work beside the server's writer. The mode
            // is stored in the database file, so setting it once on one connection suffices.
            let mut conn = options
                .connect()
                .await
                .map_err(|e| StoreError::Connect(format!("{}: {e}", redact_url(url))))?;
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&mut conn)
                .await
                .ctx("enabling WAL mode")?;
            conn.close().await.ctx("closing the setup connection")?;
        }
        let max_connections = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // FULL: a commit is on disk before we acknowledge the write.
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect(format!("{}: {e}", redact_url(url))))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(Store { pool, backend })
    }

    /// The SQLite URL for the default database file in `data_dir`.
    pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("optiontape.db").display()
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Round-trips a trivial query; the status endpoints report its latency.
    pub async fn ping(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .ctx("probing the database")?;
        Ok(started.elapsed())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once, so a
    /// transaction that reads before it writes cannot fail with a busy snapshot under contention.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .ctx("beginning a transaction")
    }

    /// Deletes what has outlived its purpose: expired idempotency records, verification codes
    /// and reset tokens older than a day. Returns the number of rows removed.
    pub async fn sweep(&self, now: Timestamp) -> Result<u64, StoreError> {
        let day_ago = now.minus(Duration::from_secs(86_400)).as_nanos();
        let mut removed = 0;
        removed += sqlx::query(
            "DELETE FROM idempotency_records WHERE expires_at IS NOT NULL AND expires_at <= $1",
        )
        .bind(now.as_nanos())
        .execute(&self.pool)
        .await
        .ctx("sweeping idempotency records")?
        .rows_affected();
        removed += sqlx::query("DELETE FROM verification_codes WHERE issued_at <= $1")
            .bind(day_ago)
            .execute(&self.pool)
            .await
            .ctx("sweeping verification codes")?
            .rows_affected();
        removed += sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1")
            .bind(day_ago)
            .execute(&self.pool)
            .await
            .ctx("sweeping password reset tokens")?
            .rows_affected();
        Ok(removed)
    }
}

/// A database URL fit for messages: any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_for_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(
            redact_url("sqlite://data/optiontape.db"),
            "sqlite://data/optiontape.db"
        );
    }
}
