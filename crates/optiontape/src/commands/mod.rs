pub mod data;
pub mod keys;
pub mod progress;
pub mod serve;
pub mod users;

use anyhow::Context;
use store::Store;

use crate::config::{self, GlobalOptions};

/// Opens the store the global options point at (applying migrations).
pub async fn open_store(
    global: &GlobalOptions,
) -> anyhow::Result<(Store, config::FileConfig, config::Storage)> {
    let file = config::load_file(global.config.as_deref())?;
    let storage = config::storage(global, &file)?;
    let store = Store::open(&storage.database_url)
        .await
        .with_context(|| format!("opening the database in {}", storage.data_dir.display()))?;
    Ok((store, file, storage))
}

/// The current instant for operator commands (the server's clock is the same wall clock).
pub fn now() -> model::Timestamp {
    model::Timestamp::from_jiff(jiff::Timestamp::now())
}
