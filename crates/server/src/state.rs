//! What every request handler can reach.

use anyhow::Context;
use model::{Clock, MarketClock, Timestamp, calendar};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

use crate::http::Problem;
use crate::limits::Meter;
use crate::mail::Mailer;
use crate::settings::Settings;

/// Shared application state. Cloning is cheap.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Store,
    /// The wall clock: request times, expiries, rate limits.
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub meter: Meter,
    pub mailer: Mailer,
    /// Market data at rest.
    pub tape: tape::Tape,
    /// Market time, derived from the wall clock.
    pub market: MarketClock,
    /// Signs the `page` tokens of `next_url`.
    pub pages: crate::pages::PageSigner,
    /// Option snapshots written at the latest instant asked.
    pub snapshots: crate::faces::cutemarkets::snapshot_cache::SnapshotCache,
    /// One writer at a time per simulation.
    pub simulation_locks: crate::faces::simulator::desk::SimulationLocks,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&settings.mail, settings.outbox_dir())?;
        let tape = tape::Tape::new(settings.tape_dir());
        let latest = tape
            .latest_session()
            .with_context(|| format!("reading the tape folder {}", tape.root().display()))?
            .and_then(calendar::session);
        let market = MarketClock::new(settings.market_clock, latest, clock.now());
        let pages = crate::pages::PageSigner::for_data_dir(&settings.data_dir)?;
        Ok(AppState(Arc::new(Shared {
            store,
            clock,
            settings,
            meter: Meter::new(),
            mailer,
            tape,
            market,
            pages,
            snapshots: Default::default(),
            simulation_locks: Default::default(),
        })))
    }

    /// Wall-clock time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Market time: the wall clock seen through the market clock.
    pub fn market_now(&self) -> Timestamp {
        self.market.now(self.now())
    }

    /// The database probe behind every health endpoint: its round-trip time, or `None` when it
    /// failed or took longer than two seconds.
    pub async fn probe_database(&self) -> Option<Duration> {
        match tokio::time::timeout(Duration::from_secs(2), self.store.ping()).await {
            Ok(Ok(latency)) => Some(latency),
            Ok(Err(error)) => {
                tracing::warn!(%error, "database probe failed");
                None
            }
            Err(_) => {
                tracing::warn!("database probe timed out");
                None
            }
        }
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The wall clock, for serving real users.
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_jiff(jiff::Timestamp::now())
    }
}

/// Runs a tape read off the async threads: it maps files and decodes chunks, which can take a
/// while for a month of quotes.
pub async fn read_tape<T, F>(state: &AppState, read: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T, Problem> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || read(&state))
        .await
        .map_err(|error| Problem::internal(format_args!("a tape read failed: {error}")))?
}
