//! Databases for tests, of this crate and of the crates above it.
//!
//! By default a test's database is a SQLite file in the test's temporary folder. With
//! `OPTIONTAPE_TEST_POSTGRES_URL` set to an administrative URL (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`), every test folder gets its own PostgreSQL
//! database instead, so the same tests run on both engines.

use sqlx::Connection;
use std::path::Path;

use crate::Store;

pub const POSTGRES_ENV: &str = "OPTIONTAPE_TEST_POSTGRES_URL";

/// The database URL for a test whose data folder is `dir`. Calling it again for the same folder
/// gives the same database (a restart).
pub async fn database_url(dir: &Path) -> String {
    let Ok(admin) = std::env::var(POSTGRES_ENV) else {
        return Store::sqlite_url_in(dir);
    };
    let suffix: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let name = format!("ot_test{suffix}");
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .expect("connect to the PostgreSQL test server");
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await
        .expect("look up the test database")
        .is_some();
    if !exists {
        // The name is built from [a-z0-9_] only.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
    }
    let (base, _) = admin
        .rsplit_once('/')
        .expect("an admin URL ending in /DATABASE");
    format!("{base}/{name}")
}
