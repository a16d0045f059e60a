//! Contract snapshots already written, kept for the latest instant asked of each underlying and
//! plan shape. While the market clock stands still (a paused replay, a fixed clock, a backtest
//! reading one `as_of` over and over) a chain is assembled and serialized once, and every later
//! page or poll of it is copied from here. A moving clock asks a new instant each time, which
//! replaces the entry, so the cache holds one instant's bodies per underlying and shape at most.
//!
//! An entry is only used with the very session file it was built from (held here, so it cannot
//! be replaced by another at the same address): a session re-opened after an import is a miss.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use model::Timestamp;
use model::symbol::OptionSymbol;
use serde_json::value::RawValue;
use tape::SessionFile;

/// Which plan shape a body was written for: quotes shown, and the timeframe label.
pub type ShapeKey = (bool, &'static str);

/// A contract's written snapshot; `None` when it is not listed at the instant.
pub type Body = Option<Arc<RawValue>>;

struct Entry {
    at: Timestamp,
    session: Arc<SessionFile>,
    bodies: HashMap<OptionSymbol, Body>,
}

#[derive(Default)]
pub struct SnapshotCache {
    entries: Mutex<HashMap<(String, ShapeKey), Entry>>,
}

impl SnapshotCache {
    /// The cached body of each of `symbols` at `at` from `session`; `None` where none is kept.
    pub fn lookup(
        &self,
        underlying: &str,
        shape: ShapeKey,
        at: Timestamp,
        session: &Arc<SessionFile>,
        symbols: &[OptionSymbol],
    ) -> Vec<Option<Body>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries
            .get(&(underlying.to_string(), shape))
            .filter(|e| e.at == at && Arc::ptr_eq(&e.session, session));
        symbols
            .iter()
            .map(|s| entry.and_then(|e| e.bodies.get(s).cloned()))
            .collect()
    }

    /// Keeps bodies written for `at` from `session`, replacing an entry of another instant.
    pub fn keep(
        &self,
        underlying: &str,
        shape: ShapeKey,
        at: Timestamp,
        session: &Arc<SessionFile>,
        written: impl IntoIterator<Item = (OptionSymbol, Body)>,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = || Entry {
            at,
            session: session.clone(),
            bodies: HashMap::new(),
        };
        let entry = entries
            .entry((underlying.to_string(), shape))
            .or_insert_with(fresh);
        if entry.at != at || !Arc::ptr_eq(&entry.session, session) {
            *entry = fresh();
        }
        entry.bodies.extend(written);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(dir: &std::path::Path, day: i8) -> Arc<SessionFile> {
        let date = jiff::civil::date(2025, 1, day);
        let path = tape::SessionBuilder::create(dir, "SPY", date)
            .unwrap()
            .finish()
            .unwrap();
        Arc::new(SessionFile::open(&path).unwrap())
    }

    /// What a lookup found, as text: `None` not kept, `Some(None)` kept as not listed.
    fn texts(found: Vec<Option<Body>>) -> Vec<Option<Option<String>>> {
        found
            .into_iter()
            .map(|f| f.map(|b| b.map(|raw| raw.get().to_string())))
            .collect()
    }

    #[test]
    fn bodies_are_kept_for_one_instant_and_session() {
        let dir = tempfile::tempdir().unwrap();
        let (monday, tuesday) = (session(dir.path(), 13), session(dir.path(), 14));
        let symbols = [
            OptionSymbol::parse("O:SPY250117C00600000").unwrap(),
            OptionSymbol::parse("O:SPY250117P00600000").unwrap(),
        ];
        let body: Body = Some(Arc::from(
            RawValue::from_string("{\"a\":1}".into()).unwrap(),
        ));
        let cache = SnapshotCache::default();
        let shape = (true, "REAL-TIME");
        let at = Timestamp::from_seconds(1_736_780_000);
        cache.keep(
            "SPY",
            shape,
            at,
            &monday,
            [(symbols[0], body.clone()), (symbols[1], None)],
        );
        let found = texts(cache.lookup("SPY", shape, at, &monday, &symbols));
        assert_eq!(found[0], Some(Some("{\"a\":1}".to_string())));
        assert_eq!(
            found[1],
            Some(None),
            "a contract not listed is remembered as such"
        );
        // Another instant, session, shape or underlying finds nothing.
        let later = Timestamp::from_seconds(1_736_780_001);
        assert_eq!(
            texts(cache.lookup("SPY", shape, later, &monday, &symbols)),
            [None, None]
        );
        assert_eq!(
            texts(cache.lookup("SPY", shape, at, &tuesday, &symbols)),
            [None, None]
        );
        assert_eq!(
            texts(cache.lookup("SPY", (false, "DELAYED"), at, &monday, &symbols)),
            [None, None]
        );
        assert_eq!(
            texts(cache.lookup("QQQ", shape, at, &monday, &symbols)),
            [None, None]
        );
        // Keeping a later instant replaces the earlier one.
        cache.keep("SPY", shape, later, &monday, [(symbols[1], body)]);
        assert_eq!(
            texts(cache.lookup("SPY", shape, at, &monday, &symbols)),
            [None, None]
        );
        let found = texts(cache.lookup("SPY", shape, later, &monday, &symbols));
        assert!(found[0].is_none() && found[1].is_some());
    }
}
