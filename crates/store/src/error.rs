use std::fmt;

/// A failure of the store itself, as opposed to an expected outcome such as "no such user".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0} is not supported; use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database {0}")]
    Connect(String),
    #[error("applying database migrations failed: {0}")]
    Migrate(String),
    #[error("database error while {action}: {source}")]
    Database {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("the system random number generator failed: {0}")]
    Randomness(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl StoreError {
    /// Whether the failure is the database being unreachable or overloaded, rather than a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Connect(_)
                | StoreError::Database {
                    source: sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::Io(_),
                    ..
                }
        )
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}

/// Attaches what the store was doing to a database error.
pub trait StoreResultExt<T> {
    fn ctx(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T> StoreResultExt<T> for Result<T, sqlx::Error> {
    fn ctx(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database { action, source })
    }
}
