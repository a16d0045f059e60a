//! Contract snapshots already written, each kept with the instants over which the tape gives the
//! same one ([`tape::Steady`]). A snapshot only changes when a record that goes into it does (its
//! quote, a trade, the underlying's price, the quotes behind its expiry's forward) or the minute
//! turns, so a moving clock (a replay asking a new instant every time) finds most of a chain
//! here, and a clock that stands still finds all of it.
//!
//! An entry is only used with the very session file it was built from (held here, so it cannot
//! be replaced by another at the same address): a session re-opened after an import is a miss.
//! Each underlying and plan shape keeps one session's bodies, the last few written per contract:
//! clients at nearby instants (a replay and a backtest, two pollers a second apart) then do not
//! evict each other's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use model::Timestamp;
use model::symbol::OptionSymbol;
use serde_json::value::RawValue;
use tape::{SessionFile, Steady};

/// Which plan shape a body was written for: quotes shown, and the timeframe label.
pub type ShapeKey = (bool, &'static str);

/// A contract's written snapshot; `None` when it is not listed at the instant.
pub type Body = Option<Arc<RawValue>>;

/// Bodies kept per contract, each for its own instants; the oldest written goes first.
const KEPT_PER_CONTRACT: usize = 4;

struct Entry {
    session: Arc<SessionFile>,
    bodies: HashMap<OptionSymbol, Vec<Steady<Body>>>,
}

#[derive(Default)]
pub struct SnapshotCache {
    entries: Mutex<HashMap<(String, ShapeKey), Entry>>,
}

impl SnapshotCache {
    /// The body of each of `symbols` at `at` from `session`; `None` where none kept holds then.
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
            .filter(|e| Arc::ptr_eq(&e.session, session));
        symbols
            .iter()
            .map(|s| {
                let kept = entry?.bodies.get(s)?;
                let holding = kept.iter().find(|k| k.from <= at && at < k.until)?;
                Some(holding.value.clone())
            })
            .collect()
    }

    /// Keeps bodies written from `session`, each in place of its contract's oldest once it has
    /// [`KEPT_PER_CONTRACT`]. An entry of another session is dropped.
    pub fn keep(
        &self,
        underlying: &str,
        shape: ShapeKey,
        session: &Arc<SessionFile>,
        written: impl IntoIterator<Item = (OptionSymbol, Steady<Body>)>,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = || Entry {
            session: session.clone(),
            bodies: HashMap::new(),
        };
        let entry = entries
            .entry((underlying.to_string(), shape))
            .or_insert_with(fresh);
        if !Arc::ptr_eq(&entry.session, session) {
            *entry = fresh();
        }
        for (symbol, body) in written {
            let kept = entry.bodies.entry(symbol).or_default();
            kept.retain(|k| (k.from, k.until) != (body.from, body.until));
            if kept.len() == KEPT_PER_CONTRACT {
                kept.remove(0);
            }
            kept.push(body);
        }
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

    fn steady(body: Body, from: i64, until: i64) -> Steady<Body> {
        Steady {
            value: body,
            from: Timestamp::from_seconds(from),
            until: Timestamp::from_seconds(until),
        }
    }

    #[test]
    fn bodies_are_found_over_the_instants_they_hold_in_their_session() {
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
        let at = |s: i64| Timestamp::from_seconds(s);
        cache.keep(
            "SPY",
            shape,
            &monday,
            [
                (symbols[0], steady(body.clone(), 100, 110)),
                (symbols[1], steady(None, 100, 105)),
            ],
        );
        let found = texts(cache.lookup("SPY", shape, at(100), &monday, &symbols));
        assert_eq!(found[0], Some(Some("{\"a\":1}".to_string())));
        assert_eq!(
            found[1],
            Some(None),
            "a contract not listed is remembered as such"
        );
        // Each body holds over its own instants, the first included and the last not.
        let found = texts(cache.lookup("SPY", shape, at(107), &monday, &symbols));
        assert!(found[0].is_some() && found[1].is_none(), "{found:?}");
        assert_eq!(
            texts(cache.lookup("SPY", shape, at(110), &monday, &symbols)),
            [None, None]
        );
        assert_eq!(
            texts(cache.lookup("SPY", shape, at(99), &monday, &symbols)),
            [None, None]
        );
        // Another session, shape or underlying finds nothing.
        assert_eq!(
            texts(cache.lookup("SPY", shape, at(100), &tuesday, &symbols)),
            [None, None]
        );
        assert_eq!(
            texts(cache.lookup("SPY", (false, "DELAYED"), at(100), &monday, &symbols)),
            [None, None]
        );
        assert_eq!(
            texts(cache.lookup("QQQ", shape, at(100), &monday, &symbols)),
            [None, None]
        );
        // A contract keeps its last few bodies, each found at its own instants; the oldest goes.
        cache.keep(
            "SPY",
            shape,
            &monday,
            [(symbols[1], steady(body.clone(), 105, 120))],
        );
        let found = texts(cache.lookup("SPY", shape, at(107), &monday, &symbols));
        assert!(found[0].is_some() && found[1] == Some(Some("{\"a\":1}".to_string())));
        assert_eq!(
            texts(cache.lookup("SPY", shape, at(100), &monday, &symbols))[1],
            Some(None),
            "the earlier body of the same contract is still there"
        );
        for later in 1..KEPT_PER_CONTRACT as i64 {
            let span = 120 + 10 * later;
            cache.keep(
                "SPY",
                shape,
                &monday,
                [(symbols[1], steady(None, span, span + 10))],
            );
        }
        assert_eq!(
            texts(cache.lookup("SPY", shape, at(100), &monday, &symbols))[1],
            None,
            "the oldest body went when a fifth came"
        );
        assert!(texts(cache.lookup("SPY", shape, at(107), &monday, &symbols))[1].is_some());
        cache.keep(
            "SPY",
            shape,
            &tuesday,
            [(symbols[0], steady(body, 100, 120))],
        );
        assert_eq!(
            texts(cache.lookup("SPY", shape, at(107), &monday, &symbols)),
            [None, None]
        );
    }
}
