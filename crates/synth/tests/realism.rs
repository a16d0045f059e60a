//! Realism of the synthetic market, checked on the written tape the way a trader would look at it.
//!
//! A small but varied market (SPX with VIX, an index ETF and two single stocks with two seeds,
//! and the other index ETF and single stock of the default universe with one; sessions in calm
//! and stressed regimes, on a monthly expiration and on an early close) is generated once, and
//! every option chain is snapshotted from just after the open to the close. The checks:
//!
//! - quotes: non-negative bids, positive asks, never crossed or locked, on the root's tick grid
//!   (and the stocks' own quotes uncrossed on the penny), never older than paper trading accepts;
//! - no static arbitrage against the quotes: calls fall and puts rise with the strike, vertical
//!   spreads cost no more than their largest payoff, butterflies cost something, put-call parity
//!   (European roots) or its American bounds hold inside the spreads, American options are never
//!   offered below what exercising them pays;
//! - realistic levels: at-the-money implied volatility per product, strikes around the money all
//!   day, the put skew, the term structure, spreads at the money, in the wings and at the open,
//!   liquid contracts tradable under paper trading's wide-spread rule, expiring options against
//!   the variance the session then realises, VIX against 30-day SPX volatility and against SPX's
//!   moves, open interest;
//! - trades, option and stock, read in full: inside the session, on the tick grid and inside the
//!   quote in force when they print (the generator prints at the bid, the ask or a grid price
//!   between them, never through the market, multi-leg prints included), whole positive sizes of
//!   a plausible magnitude, real venues (SPX options on Cboe alone) and valid condition codes (an
//!   odd-lot stock print exactly when under 100 shares), more trades near the money than in the
//!   wings and more at the open and the close than at midday.
//!
//! Every check collects all its violations and reports the first few with the product, seed,
//! date, time, contracts and quotes involved.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::Duration;

use jiff::civil::{Date, date};
use model::Timestamp;
use model::calendar;
use model::roots::{Exercise, TickRule, root_info};
use model::symbol::{OptionSymbol, Right};
use model::venues::{condition, venue};
use pricing::{OptionKind, black76_greeks, black76_implied_vol};
use tape::{Owner, PRICE_SCALE, Quote, SIZE_SCALE, SessionFile, Trade};

/// The rate the generator discounts with (`Config::new`'s default).
const RATE: f64 = 0.04;
const YEAR_SECONDS: f64 = 365.0 * 86_400.0;
const CENT: f64 = 0.01;

fn dollars(px: i64) -> f64 {
    px as f64 / PRICE_SCALE as f64
}

// ------------------------------------------------------------------------------------------------
// The market under test, read into memory once.

/// One contract's quote in a snapshot.
#[derive(Clone, Debug)]
struct Line {
    symbol: OptionSymbol,
    strike: f64,
    quote: Quote,
    open_interest: Option<u64>,
}

impl Line {
    fn bid(&self) -> f64 {
        dollars(self.quote.bid)
    }
    fn ask(&self) -> f64 {
        dollars(self.quote.ask)
    }
    fn mid(&self) -> f64 {
        0.5 * (self.bid() + self.ask())
    }
    fn show(&self) -> String {
        format!(
            "{} {:.2} x {:.2} ({}x{})",
            self.symbol.osi().replace(' ', ""),
            self.bid(),
            self.ask(),
            self.quote.bid_size,
            self.quote.ask_size
        )
    }
}

/// The underlying at a snapshot: its price now and the range it covered over the last second
/// (a quote posted up to a second ago may still reflect the older price, see
/// `PARITY_TOLERANCE`).
#[derive(Clone, Copy, Debug)]
struct Underlying {
    price: f64,
    low: f64,
    high: f64,
    /// The stock's bid and ask over the same second (the index price for SPX, which has no
    /// quotes).
    best_bid_low: f64,
    best_ask_high: f64,
    /// The stock's quote (none for an index).
    quote: Option<Quote>,
}

/// One expiration of one root at a snapshot.
#[derive(Clone, Debug)]
struct Expiry {
    root: String,
    expiration: Date,
    years: f64,
    forward: f64,
    forward_low: f64,
    forward_high: f64,
    discount: f64,
    calls: Vec<Line>,
    puts: Vec<Line>,
}

#[derive(Clone, Debug)]
struct Snapshot {
    seed: u64,
    product: &'static str,
    dividend_yield: f64,
    date: Date,
    at: Timestamp,
    seconds_open: i64,
    underlying: Underlying,
    expiries: Vec<Expiry>,
}

impl Snapshot {
    fn context(&self) -> String {
        let ny = self
            .at
            .to_jiff()
            .in_tz("America/New_York")
            .map(|z| z.strftime("%H:%M:%S").to_string())
            .unwrap_or_default();
        format!(
            "{} seed {} {} {ny} ET (open+{}s), underlying {:.2}",
            self.product, self.seed, self.date, self.seconds_open, self.underlying.price
        )
    }
}

/// VIX as published next to the SPX snapshot taken at the same instant.
#[derive(Clone, Debug)]
struct VixPoint {
    snapshot: usize,
    value: f64,
}

/// The underlying once a minute through one session (index values, stock mids).
struct Series {
    seed: u64,
    product: &'static str,
    date: Date,
    open: Timestamp,
    minutes: Vec<f64>,
}

struct Market {
    snapshots: Vec<Snapshot>,
    vix: Vec<VixPoint>,
    series: Vec<Series>,
    trades: TradeChecks,
}

/// The products generated with every seed.
const PRODUCTS: [&str; 5] = ["SPX", "VIX", "SPY", "AAPL", "TSLA"];
/// The rest of the default universe, generated with the first seed only to keep the run short.
const FIRST_SEED_ONLY: [&str; 2] = ["QQQ", "NFLX"];

/// What one seed generates.
struct Plan {
    seed: u64,
    dates: Vec<Date>,
    products: Vec<&'static str>,
    /// Whether every trade is read and checked: a million or two a session, so the first seed
    /// only, which has every product.
    trades: bool,
}

/// The sessions generated: each seed gets a calm session, the most volatile SPX session of a
/// stressed year (picked from the daily model so the regime is genuinely high), a monthly
/// expiration Friday and the day after Thanksgiving (a 13:00 close).
fn plan() -> Vec<Plan> {
    let spx = synth::default_universe()
        .into_iter()
        .find(|p| p.symbol == "SPX")
        .expect("SPX");
    let mut plan = Vec::new();
    for (i, (seed, calm, monthly)) in [
        (7u64, date(2024, 6, 4), date(2024, 9, 20)),
        (2024u64, date(2026, 2, 11), date(2025, 3, 21)),
    ]
    .into_iter()
    .enumerate()
    {
        let window = synth::daily::days(seed, &spx, date(2024, 1, 1), date(2026, 6, 30));
        let stressed = window
            .values()
            .max_by(|a, b| a.variance.total_cmp(&b.variance))
            .expect("sessions")
            .date;
        let mut products = PRODUCTS.to_vec();
        if i == 0 {
            products.extend(FIRST_SEED_ONLY);
        }
        plan.push(Plan {
            seed,
            dates: vec![calm, stressed, monthly, date(2025, 11, 28)],
            products,
            trades: i == 0,
        });
    }
    plan
}

fn market() -> &'static Market {
    static MARKET: OnceLock<Market> = OnceLock::new();
    MARKET.get_or_init(build_market)
}

fn build_market() -> Market {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut snapshots = Vec::new();
    let mut vix = Vec::new();
    let mut series = Vec::new();
    let mut trades = TradeChecks::default();
    for Plan {
        seed,
        dates,
        products,
        trades: check_trades,
    } in plan()
    {
        let products = synth::select(&products.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("products");
        let tape = dir.path().join(format!("seed-{seed}"));
        let config = synth::Config::new(&tape, seed);
        assert_eq!(config.rate, RATE);
        synth::generate(&config, &products, &dates, &|_, _| {}).expect("generate");
        for product in products.iter().filter(|p| p.symbol != "VIX") {
            for date in &dates {
                let path = tape::Tape::new(&tape).session_path(product.symbol, *date);
                let file = SessionFile::open(&path).expect("session file");
                let vix_file = (product.symbol == "SPX").then(|| {
                    SessionFile::open(&tape::Tape::new(&tape).session_path("VIX", *date))
                        .expect("VIX session file")
                });
                let session = calendar::session(*date).expect("session");
                series.push(Series {
                    seed,
                    product: product.symbol,
                    date: *date,
                    open: session.open,
                    // A second into each minute: stocks first quote within the opening second.
                    minutes: (0..)
                        .map(|m| session.open.plus(Duration::from_secs(60 * m + 1)))
                        .take_while(|t| *t < session.close)
                        .map(|t| underlying_at(&file, product.symbol, t))
                        .collect(),
                });
                let first_snapshot = snapshots.len();
                for at in snapshot_times(session.open, session.close) {
                    let snapshot = snapshot(&file, seed, product, *date, session.open, at);
                    if let Some(vix_file) = &vix_file
                        && let Some(value) = vix_file.value_at(at).expect("VIX value")
                    {
                        vix.push(VixPoint {
                            snapshot: snapshots.len(),
                            value: dollars(value.value),
                        });
                    }
                    snapshots.push(snapshot);
                }
                if check_trades {
                    let of_session = &snapshots[first_snapshot..];
                    trades.check_session(&file, &session, seed, product, of_session);
                }
            }
        }
    }
    Market {
        snapshots,
        vix,
        series,
        trades,
    }
}

/// A minute after the open (markets are still wide then), then every twenty minutes, and the
/// last minute before the close.
fn snapshot_times(open: Timestamp, close: Timestamp) -> Vec<Timestamp> {
    let mut times = vec![open.plus(Duration::from_secs(60))];
    let mut t = open.plus(Duration::from_secs(20 * 60));
    while t < close {
        times.push(t);
        t = t.plus(Duration::from_secs(20 * 60));
    }
    times.push(close.minus(Duration::from_secs(60)));
    times
}

/// The index value, or the stock's mid, as of `at`.
fn underlying_at(file: &SessionFile, product: &str, at: Timestamp) -> f64 {
    if product == "SPX" {
        dollars(file.value_at(at).unwrap().expect("index value").value)
    } else {
        let q = file
            .quote_at(Owner::Underlying, at)
            .unwrap()
            .expect("stock quote");
        0.5 * (dollars(q.bid) + dollars(q.ask))
    }
}

fn snapshot(
    file: &SessionFile,
    seed: u64,
    product: &synth::Product,
    date: Date,
    open: Timestamp,
    at: Timestamp,
) -> Snapshot {
    let before = at.minus(Duration::from_secs(1));
    let underlying = if product.symbol == "SPX" {
        let now = dollars(file.value_at(at).unwrap().expect("index value").value);
        let then = dollars(file.value_at(before).unwrap().expect("index value").value);
        Underlying {
            price: now,
            low: now.min(then),
            high: now.max(then),
            best_bid_low: now.min(then),
            best_ask_high: now.max(then),
            quote: None,
        }
    } else {
        let now = file
            .quote_at(Owner::Underlying, at)
            .unwrap()
            .expect("stock quote");
        let then = file
            .quote_at(Owner::Underlying, before)
            .unwrap()
            .expect("stock quote");
        let mid = |q: &Quote| 0.5 * (dollars(q.bid) + dollars(q.ask));
        Underlying {
            price: mid(&now),
            low: mid(&now).min(mid(&then)),
            high: mid(&now).max(mid(&then)),
            best_bid_low: dollars(now.bid.min(then.bid)),
            best_ask_high: dollars(now.ask.max(then.ask)),
            quote: Some(now),
        }
    };
    let mut groups: BTreeMap<(Date, String), Expiry> = BTreeMap::new();
    for (owner, quote) in file.chain_at(at, |_| true).expect("chain") {
        let entry = file.contract_entry(owner).expect("contract");
        let symbol = entry.symbol;
        let root = symbol.root.as_str().to_string();
        let settlement =
            model::expirations::settlement_instant(&root, symbol.expiration).expect("settlement");
        let years = (settlement.as_nanos() - at.as_nanos()) as f64 / 1e9 / YEAR_SECONDS;
        let carry = |s: f64| s * ((RATE - product.dividend_yield) * years).exp();
        let expiry = groups
            .entry((symbol.expiration, root.clone()))
            .or_insert_with(|| Expiry {
                root,
                expiration: symbol.expiration,
                years,
                forward: carry(underlying.price),
                forward_low: carry(underlying.low),
                forward_high: carry(underlying.high),
                discount: (-RATE * years).exp(),
                calls: Vec::new(),
                puts: Vec::new(),
            });
        let line = Line {
            symbol,
            strike: f64::from(symbol.strike.thousandths()) / 1000.0,
            quote,
            open_interest: entry.open_interest,
        };
        match symbol.right {
            Right::Call => expiry.calls.push(line),
            Right::Put => expiry.puts.push(line),
        }
    }
    let mut expiries: Vec<Expiry> = groups.into_values().collect();
    for e in &mut expiries {
        e.calls.sort_by(|a, b| a.strike.total_cmp(&b.strike));
        e.puts.sort_by(|a, b| a.strike.total_cmp(&b.strike));
    }
    expiries.sort_by(|a, b| a.years.total_cmp(&b.years));
    Snapshot {
        seed,
        product: product.symbol,
        dividend_yield: product.dividend_yield,
        date,
        at,
        seconds_open: (at.as_nanos() - open.as_nanos()) / 1_000_000_000,
        underlying,
        expiries,
    }
}

// ------------------------------------------------------------------------------------------------
// Reporting.

/// Violations of one check: how many, and the first few in full.
#[derive(Default)]
struct Findings {
    count: usize,
    shown: String,
}

impl Findings {
    const SHOWN: usize = 8;

    fn add(&mut self, context: impl FnOnce() -> String) {
        self.count += 1;
        if self.count <= Self::SHOWN {
            let _ = writeln!(self.shown, "  - {}", context());
        }
    }

    fn assert_none(&self, what: &str, checked: usize) {
        assert!(
            checked > 0,
            "{what}: nothing was checked (the market has no such data)"
        );
        assert!(
            self.count == 0,
            "{what}: {} violation(s) in {checked} checked; the first:\n{}",
            self.count,
            self.shown
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Helpers for implied volatility.

fn kind(right: Right) -> OptionKind {
    match right {
        Right::Call => OptionKind::Call,
        Right::Put => OptionKind::Put,
    }
}

/// Implied volatility of a quote's mid, when it has a bid (a one-sided quote has no mid) and the
/// mid is above the discounted intrinsic value.
fn mid_vol(e: &Expiry, line: &Line) -> Option<f64> {
    if line.quote.bid <= 0 {
        return None;
    }
    black76_implied_vol(
        kind(line.symbol.right),
        line.mid(),
        e.forward,
        line.strike,
        e.years,
        RATE,
    )
    .ok()
}

/// At-the-money implied volatility: the out-of-the-money mids at the two strikes around the
/// forward, interpolated in strike.
fn atm_vol(e: &Expiry) -> Option<f64> {
    let below = e.puts.iter().rev().find(|l| l.strike <= e.forward)?;
    let above = e.calls.iter().find(|l| l.strike > e.forward)?;
    let (vb, va) = (mid_vol(e, below)?, mid_vol(e, above)?);
    let w = (e.forward - below.strike) / (above.strike - below.strike);
    Some(vb + w * (va - vb))
}

fn delta(e: &Expiry, line: &Line, vol: f64) -> f64 {
    black76_greeks(
        kind(line.symbol.right),
        e.forward,
        line.strike,
        e.years,
        RATE,
        vol,
    )
    .delta
        / e.discount
}

// ------------------------------------------------------------------------------------------------
// Quotes.

/// Whether a price is on the root's tick grid (a bid of 0 means no bid and is allowed).
fn on_grid(rule: TickRule, px: i64) -> bool {
    px >= 0 && rule.grid().contains(tape::records::px_to_decimal(px))
}

#[test]
fn quotes_are_two_sided_uncrossed_and_on_the_tick_grid() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        if let Some(q) = &s.underlying.quote {
            checked += 1;
            let penny = |px: i64| px > 0 && px % (PRICE_SCALE / 100) == 0;
            if !(penny(q.bid) && penny(q.ask) && q.bid < q.ask && q.bid_size > 0 && q.ask_size > 0)
            {
                findings.add(|| format!("stock quote {q:?} at {}", s.context()));
            }
        }
        for e in &s.expiries {
            let rule = root_info(&e.root).ticks;
            for line in e.calls.iter().chain(&e.puts) {
                checked += 1;
                let q = &line.quote;
                let problem = if q.bid < 0 {
                    Some("negative bid")
                } else if q.ask <= 0 {
                    Some("no ask")
                } else if q.bid >= q.ask {
                    Some("crossed or locked")
                } else if !on_grid(rule, q.bid) || !on_grid(rule, q.ask) {
                    Some("off the tick grid")
                } else if (q.bid > 0) != (q.bid_size > 0) || q.ask_size == 0 {
                    Some("a price without size or a size without price")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    findings.add(|| format!("{problem}: {} at {}", line.show(), s.context()));
                }
            }
        }
    }
    findings.assert_none("quotes", checked);
}

/// How stale a quote may be before paper trading refuses to fill against it: 30 s for options,
/// 15 s for stocks.
const MAX_QUOTE_AGE_SECONDS: i64 = 30;
const MAX_STOCK_QUOTE_AGE_SECONDS: i64 = 15;

#[test]
fn every_contract_has_a_fresh_quote() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        if let Some(q) = &s.underlying.quote {
            checked += 1;
            let age = (s.at.as_nanos() - q.ts.as_nanos()) / 1_000_000_000;
            if age > MAX_STOCK_QUOTE_AGE_SECONDS {
                findings.add(|| format!("the stock quote is {age} s old at {}", s.context()));
            }
        }
        for e in &s.expiries {
            for line in e.calls.iter().chain(&e.puts) {
                checked += 1;
                let age = (s.at.as_nanos() - line.quote.ts.as_nanos()) / 1_000_000_000;
                if age > MAX_QUOTE_AGE_SECONDS {
                    findings.add(|| format!("{} is {age} s old at {}", line.show(), s.context()));
                }
            }
        }
    }
    findings.assert_none("quote freshness", checked);
}

// ------------------------------------------------------------------------------------------------
// Static arbitrage against the quotes.

/// Float noise only: these bounds compare prices on a cent grid with strikes and a discount
/// factor, and any real violation is at least a cent.
const EPS: f64 = 1e-9;

/// The largest payoff of a vertical spread one strike-dollar wide, in today's money: the
/// discount factor for European options; a whole dollar for American ones, where the short leg
/// can be assigned (and the long leg exercised) today.
fn vertical_bound(e: &Expiry) -> f64 {
    match root_info(&e.root).exercise {
        Exercise::European => e.discount,
        Exercise::American => 1.0,
    }
}

#[test]
fn calls_fall_and_puts_rise_with_the_strike_by_no_more_than_the_strike_difference() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        for e in &s.expiries {
            let m = vertical_bound(e);
            // Calls, K1 < K2: a lower strike is worth at least as much (ask(K1) >= bid(K2)),
            // and at most m·(K2 − K1) more (bid(K1) − ask(K2) <= m·(K2 − K1)).
            let mut cheapest: Option<&Line> = None;
            let mut richest: Option<&Line> = None;
            for k2 in &e.calls {
                checked += 1;
                if let Some(k1) = cheapest
                    && k1.ask() < k2.bid() - EPS
                {
                    findings.add(|| {
                        format!(
                            "call spread pays to own: buy {} sell {} at {}",
                            k1.show(),
                            k2.show(),
                            s.context()
                        )
                    });
                }
                if let Some(k1) = richest
                    && k1.bid() - k2.ask() > m * (k2.strike - k1.strike) + EPS
                {
                    findings.add(|| {
                        format!(
                            "call spread sold above its largest payoff {:.2}: sell {} buy {} at {}",
                            m * (k2.strike - k1.strike),
                            k1.show(),
                            k2.show(),
                            s.context()
                        )
                    });
                }
                if cheapest.is_none_or(|c| k2.ask() < c.ask()) {
                    cheapest = Some(k2);
                }
                if richest.is_none_or(|r| k2.bid() + m * k2.strike > r.bid() + m * r.strike) {
                    richest = Some(k2);
                }
            }
            // Puts, K1 < K2: ask(K2) >= bid(K1) and bid(K2) − ask(K1) <= m·(K2 − K1).
            let mut cheapest: Option<&Line> = None;
            for k1 in e.puts.iter().rev() {
                checked += 1;
                if let Some(k2) = cheapest
                    && k2.ask() < k1.bid() - EPS
                {
                    findings.add(|| {
                        format!(
                            "put spread pays to own: buy {} sell {} at {}",
                            k2.show(),
                            k1.show(),
                            s.context()
                        )
                    });
                }
                if cheapest.is_none_or(|c| k1.ask() < c.ask()) {
                    cheapest = Some(k1);
                }
            }
            let mut cheapest_shifted: Option<&Line> = None;
            for k2 in &e.puts {
                if let Some(k1) = cheapest_shifted
                    && k2.bid() - k1.ask() > m * (k2.strike - k1.strike) + EPS
                {
                    findings.add(|| {
                        format!(
                            "put spread sold above its largest payoff {:.2}: sell {} buy {} at {}",
                            m * (k2.strike - k1.strike),
                            k2.show(),
                            k1.show(),
                            s.context()
                        )
                    });
                }
                if cheapest_shifted
                    .is_none_or(|c| k2.ask() - m * k2.strike < c.ask() - m * c.strike)
                {
                    cheapest_shifted = Some(k2);
                }
            }
        }
    }
    findings.assert_none("monotonicity in strike", checked);
}

#[test]
fn butterflies_never_pay_to_own() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        for e in &s.expiries {
            for lines in [&e.calls, &e.puts] {
                let by_strike: BTreeMap<u32, &Line> = lines
                    .iter()
                    .map(|l| (l.symbol.strike.thousandths(), l))
                    .collect();
                for (i, body) in lines.iter().enumerate() {
                    let k2 = body.symbol.strike.thousandths();
                    // Every equally spaced butterfly around this strike: long K1 and K3 at the
                    // ask, short two K2 at the bid.
                    for low in &lines[..i] {
                        let k1 = low.symbol.strike.thousandths();
                        let Some(high) = by_strike.get(&(2 * k2 - k1)) else {
                            continue;
                        };
                        checked += 1;
                        let cost = low.ask() + high.ask() - 2.0 * body.bid();
                        if cost < -EPS {
                            findings.add(|| {
                                format!(
                                    "butterfly paid {:.2} to own: buy {} and {}, sell two {} at {}",
                                    -cost,
                                    low.show(),
                                    high.show(),
                                    body.show(),
                                    s.context()
                                )
                            });
                        }
                    }
                    // Neighbouring strikes with unequal gaps (where the strike grid coarsens):
                    // (K3 − K2) of K1 and (K2 − K1) of K3 against (K3 − K1) of K2.
                    if i > 0 && i + 1 < lines.len() {
                        let (low, high) = (&lines[i - 1], &lines[i + 1]);
                        let (a, b) = (high.strike - body.strike, body.strike - low.strike);
                        checked += 1;
                        let cost = a * low.ask() + b * high.ask() - (a + b) * body.bid();
                        if cost < -EPS {
                            findings.add(|| {
                                format!(
                                    "broken-wing butterfly paid {:.2} to own: {} {} {} at {}",
                                    -cost,
                                    low.show(),
                                    body.show(),
                                    high.show(),
                                    s.context()
                                )
                            });
                        }
                    }
                }
            }
        }
    }
    findings.assert_none("convexity in strike", checked);
}

/// Room for the published underlying price: SPX is published to the cent and a stock's mid is
/// within half a cent of the price its options were valued on, so DF·(F − K) measured from them
/// can be off by up to half a cent; a cent (at most one tick of any root) covers that and float
/// noise. Quote latency is handled separately: a quote may reflect the underlying as of the
/// previous second (every contract re-quotes on its own clock within the second), so the bounds
/// use the underlying's range over that second.
const PARITY_TOLERANCE: f64 = CENT;

#[test]
fn put_call_parity_holds_inside_the_spreads() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        let q = s.dividend_yield;
        for e in &s.expiries {
            let puts: BTreeMap<u32, &Line> = e
                .puts
                .iter()
                .map(|l| (l.symbol.strike.thousandths(), l))
                .collect();
            let american = root_info(&e.root).exercise == Exercise::American;
            let spot = |forward: f64| forward * (-(RATE - q) * e.years).exp();
            for call in &e.calls {
                let Some(put) = puts.get(&call.symbol.strike.thousandths()) else {
                    continue;
                };
                checked += 1;
                let k = call.strike;
                // What the synthetic forward (long call, short put) may cost at most and at
                // least: European, DF·(F − K) exactly; American, between S·e^(−qT) − K and
                // S − K·DF (early exercise widens parity to bounds).
                let (floor, ceiling) = if american {
                    (
                        spot(e.forward_low) * (-q * e.years).exp() - k,
                        spot(e.forward_high) - k * e.discount,
                    )
                } else {
                    (
                        e.discount * (e.forward_low - k),
                        e.discount * (e.forward_high - k),
                    )
                };
                let sold = call.bid() - put.ask();
                let bought = call.ask() - put.bid();
                if sold > ceiling + PARITY_TOLERANCE || bought < floor - PARITY_TOLERANCE {
                    findings.add(|| {
                        format!(
                            "synthetic forward {sold:.2} / {bought:.2} outside [{floor:.3}, \
                             {ceiling:.3}] (F {:.3}..{:.3}, DF {:.6}, T {:.5}): {} / {} at {}",
                            e.forward_low,
                            e.forward_high,
                            e.discount,
                            e.years,
                            call.show(),
                            put.show(),
                            s.context()
                        )
                    });
                }
            }
        }
    }
    findings.assert_none("put-call parity", checked);
}

#[test]
fn american_options_are_never_offered_below_their_exercise_value() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        let u = s.underlying;
        for e in s
            .expiries
            .iter()
            .filter(|e| root_info(&e.root).exercise == Exercise::American)
        {
            // Buy the call, exercise, sell the stock at the bid; buy the put and the stock at
            // the ask, exercise. The stock side uses the less favourable quote of the last
            // second, as in parity.
            for call in &e.calls {
                checked += 1;
                if call.ask() < u.best_bid_low - call.strike - PARITY_TOLERANCE {
                    findings.add(|| {
                        format!(
                            "call offered below exercise value {:.2}: {} at {}",
                            u.best_bid_low - call.strike,
                            call.show(),
                            s.context()
                        )
                    });
                }
            }
            for put in &e.puts {
                checked += 1;
                if put.ask() < put.strike - u.best_ask_high - PARITY_TOLERANCE {
                    findings.add(|| {
                        format!(
                            "put offered below exercise value {:.2}: {} at {}",
                            put.strike - u.best_ask_high,
                            put.show(),
                            s.context()
                        )
                    });
                }
            }
        }
    }
    findings.assert_none("American exercise value", checked);
}

// ------------------------------------------------------------------------------------------------
// Realistic levels.

const DAY: f64 = 1.0 / 365.0;

/// Midday: an hour after the open to half an hour before the close.
fn midday(s: &Snapshot) -> bool {
    let session = calendar::session(s.date).expect("session");
    s.seconds_open >= 3_600 && s.at.plus(Duration::from_secs(1_800)) <= session.close
}

/// A band of annualised at-the-money implied volatility, by product, for expiries at least a
/// week out. Shorter expiries are annualised over calendar time, so a session's variance
/// squeezed into its last hours reads high and a weekend with little variance reads low; they
/// get a wider band (see the test).
fn atm_band(product: &str) -> (f64, f64) {
    match product {
        // SPX's at-the-money volatility: about 9 % in the calmest years, 60 % at the worst of
        // 2008 and 2020; SPY is the same index.
        "SPX" | "SPY" => (0.07, 0.60),
        // The Nasdaq-100 runs a few points above the S&P 500: about 12 % calm, 70 % in 2020.
        "QQQ" => (0.12, 0.70),
        "AAPL" => (0.10, 1.00),
        // Netflix: about 25 % in its calmest stretches, far higher around earnings and in 2022.
        "NFLX" => (0.15, 1.30),
        "TSLA" => (0.20, 1.60),
        other => panic!("no band for {other}"),
    }
}

#[test]
fn at_the_money_volatility_is_in_a_realistic_band() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        let (low, high) = atm_band(s.product);
        for e in &s.expiries {
            // Less than an hour to settlement: the at-the-money option is worth a few ticks and
            // its implied volatility is mostly rounding.
            if e.years < 3_600.0 / YEAR_SECONDS {
                continue;
            }
            let (low, high) = if e.years >= 7.0 * DAY {
                (low, high)
            } else {
                (low / 2.0, high * 2.5)
            };
            // The chain lists strikes on both sides of the money all day.
            let covered = |lines: &[Line]| {
                lines.iter().filter(|l| l.strike < e.forward).count() >= 2
                    && lines.iter().filter(|l| l.strike > e.forward).count() >= 2
            };
            if !covered(&e.calls) || !covered(&e.puts) {
                findings.add(|| {
                    format!(
                        "{} {}: strikes {:?}..{:?} do not reach around the forward {:.2} at {}",
                        e.root,
                        e.expiration,
                        e.calls.first().map(|l| l.strike),
                        e.calls.last().map(|l| l.strike),
                        e.forward,
                        s.context()
                    )
                });
                continue;
            }
            let Some(vol) = atm_vol(e) else {
                findings.add(|| {
                    format!(
                        "no at-the-money volatility for {} {} at {}",
                        e.root,
                        e.expiration,
                        s.context()
                    )
                });
                continue;
            };
            checked += 1;
            if !(low..=high).contains(&vol) {
                findings.add(|| {
                    format!(
                        "{} {} ({:.1} days): at-the-money volatility {:.1} % outside {:.0}..{:.0} % at {}",
                        e.root,
                        e.expiration,
                        e.years / DAY,
                        vol * 100.0,
                        low * 100.0,
                        high * 100.0,
                        s.context()
                    )
                });
            }
        }
    }
    findings.assert_none("at-the-money volatility", checked);
}

/// The out-of-the-money contract whose delta (at its own mid volatility) is nearest `target`,
/// with that volatility and delta, when one is within 0.08 of it.
fn by_delta(e: &Expiry, right: Right, target: f64) -> Option<(&Line, f64, f64)> {
    let lines = match right {
        Right::Call => e
            .calls
            .iter()
            .filter(|l| l.strike > e.forward)
            .collect::<Vec<_>>(),
        Right::Put => e.puts.iter().filter(|l| l.strike < e.forward).collect(),
    };
    lines
        .into_iter()
        .filter_map(|l| {
            let vol = mid_vol(e, l)?;
            Some((l, vol, delta(e, l, vol)))
        })
        .min_by(|a, b| (a.2 - target).abs().total_cmp(&(b.2 - target).abs()))
        .filter(|(_, _, d)| (d - target).abs() < 0.08)
}

/// How much richer a 25-delta put is than a 25-delta call, relative to at-the-money volatility:
/// a steep put skew on the index (about 0.3 to 0.6 in SPX's history), a little less on the
/// Nasdaq-100 (its constituents' own upside shows through), a mild one on single stocks (a
/// little call skew is possible).
fn skew_band(product: &str) -> (f64, f64) {
    match product {
        "SPX" | "SPY" => (0.15, 0.80),
        "QQQ" => (0.10, 0.70),
        _ => (-0.10, 0.50),
    }
}

#[test]
fn index_options_have_a_put_skew_and_stocks_a_milder_one() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in market().snapshots.iter().filter(|s| midday(s)) {
        let (low, high) = skew_band(s.product);
        for e in s.expiries.iter().filter(|e| e.years >= DAY) {
            let (Some(put), Some(call), Some(atm)) = (
                by_delta(e, Right::Put, -0.25),
                by_delta(e, Right::Call, 0.25),
                atm_vol(e),
            ) else {
                continue;
            };
            checked += 1;
            let skew = (put.1 - call.1) / atm;
            if !(low..=high).contains(&skew) {
                findings.add(|| {
                    format!(
                        "{} {}: 25-delta put {:.1} % ({}) vs call {:.1} % ({}), at the money \
                         {:.1} %: skew {skew:.2} outside {low}..{high} at {}",
                        e.root,
                        e.expiration,
                        put.1 * 100.0,
                        put.0.show(),
                        call.1 * 100.0,
                        call.0.show(),
                        atm * 100.0,
                        s.context()
                    )
                });
            }
        }
        if s.product == "SPX" {
            assert!(checked > 0, "no SPX 25-delta options at {}", s.context());
        }
    }
    findings.assert_none("put skew", checked);
}

/// At-the-money total implied variance and how far the quotes' width lets it move: half the
/// spread over vega, in volatility, converted to total variance.
fn atm_total_variance(e: &Expiry) -> Option<(f64, f64)> {
    let vol = atm_vol(e)?;
    let line = e.calls.iter().min_by(|a, b| {
        (a.strike - e.forward)
            .abs()
            .total_cmp(&(b.strike - e.forward).abs())
    })?;
    let vega = black76_greeks(OptionKind::Call, e.forward, line.strike, e.years, RATE, vol).vega;
    let vol_error = 0.5 * (line.ask() - line.bid()) / vega;
    Some((vol * vol * e.years, 2.0 * vol * vol_error * e.years))
}

#[test]
fn at_the_money_total_variance_grows_with_expiry() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in &market().snapshots {
        let mut previous: Option<(&Expiry, f64, f64)> = None;
        let mut week_plus = Vec::new();
        for e in s
            .expiries
            .iter()
            .filter(|e| e.years >= 3_600.0 / YEAR_SECONDS)
        {
            let Some((w, error)) = atm_total_variance(e) else {
                continue;
            };
            if let Some((p, pw, perror)) = previous {
                checked += 1;
                // Calendar arbitrage: less variance to a later expiry than to an earlier one,
                // beyond what the quotes' width can explain.
                if w + error < pw - perror {
                    findings.add(|| {
                        format!(
                            "{} {} total variance {:.6} (±{:.6}) below {} {}'s {:.6} (±{:.6}) at {}",
                            e.root, e.expiration, w, error, p.root, p.expiration, pw, perror, s.context()
                        )
                    });
                }
            }
            if e.years >= 5.0 * DAY {
                week_plus.push((e, (w / e.years).sqrt()));
            }
            previous = Some((e, w, error));
        }
        // Beyond a few days, at-the-money volatility changes gently along the term structure.
        let (low, high) = week_plus
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), (_, v)| {
                (lo.min(*v), hi.max(*v))
            });
        if week_plus.len() > 1 {
            checked += 1;
            if high > 2.0 * low {
                findings.add(|| {
                    format!(
                        "term structure from {:.1} % to {:.1} %: {:?} at {}",
                        low * 100.0,
                        high * 100.0,
                        week_plus
                            .iter()
                            .map(|(e, v)| format!("{} {:.1} %", e.expiration, v * 100.0))
                            .collect::<Vec<_>>(),
                        s.context()
                    )
                });
            }
        }
    }
    findings.assert_none("term structure", checked);
}

/// The quote's tick on its root's grid.
fn tick(e: &Expiry, price: f64) -> f64 {
    let below_three = price < 3.0;
    match (root_info(&e.root).ticks, below_three) {
        (TickRule::Index, true) => 0.05,
        (TickRule::Index, false) => 0.10,
        (TickRule::PennyInterval, true) | (TickRule::Penny, _) => 0.01,
        (TickRule::PennyInterval, false) => 0.05,
    }
}

/// The call and put at the strike nearest the forward.
fn at_the_money(e: &Expiry) -> Vec<&Line> {
    let nearest = |lines: &[Line]| -> Option<usize> {
        (0..lines.len()).min_by(|a, b| {
            (lines[*a].strike - e.forward)
                .abs()
                .total_cmp(&(lines[*b].strike - e.forward).abs())
        })
    };
    let mut out = Vec::new();
    if let Some(i) = nearest(&e.calls) {
        out.push(&e.calls[i]);
    }
    if let Some(i) = nearest(&e.puts) {
        out.push(&e.puts[i]);
    }
    out
}

#[test]
fn at_the_money_spreads_are_a_few_ticks_and_tight_relative_to_the_premium() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in market().snapshots.iter().filter(|s| midday(s)) {
        for e in &s.expiries {
            for line in at_the_money(e) {
                let (bid, ask, mid) = (line.bid(), line.ask(), line.mid());
                // A quote worth a few ticks (an expiring option late in the day) has no
                // meaningful relative width.
                if mid < 0.5 {
                    continue;
                }
                checked += 1;
                let spread = ask - bid;
                let ticks = spread / tick(e, mid);
                let relative = spread / mid;
                // SPX at the money: a tick or two for expiring options, well under 1 % of the
                // premium for longer ones. Every product: at least 0.05 % of the premium (penny
                // SPY quotes on its dearest options) and at most 5 % of it; an expiring option,
                // worth a dollar or two late in its last day, may be up to 10 % or a nickel wide.
                let index_ok = s.product != "SPX" || ticks <= 3.0 + EPS || relative <= 0.01;
                let widest = if e.years < DAY { 0.10 } else { 0.05 };
                let width_ok = relative >= 0.0005 && (relative <= widest || spread <= 0.05 + EPS);
                if !index_ok || !width_ok {
                    findings.add(|| {
                        format!(
                            "{} ({:.1} days): at-the-money spread {spread:.2} = {ticks:.1} ticks, \
                             {:.2} % of the mid, at {}",
                            line.show(),
                            e.years / DAY,
                            relative * 100.0,
                            s.context()
                        )
                    });
                }
            }
        }
    }
    findings.assert_none("at-the-money spreads", checked);
}

/// Paper trading refuses to fill an option whose spread is wider than 35 % of its mid (and more
/// than five cents).
fn is_wide(line: &Line) -> bool {
    let spread = line.ask() - line.bid();
    spread > (0.05f64).max(0.35 * line.mid()) + EPS
}

#[test]
fn liquid_contracts_are_tradable_after_the_opening_minutes() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in market().snapshots.iter().filter(|s| s.seconds_open >= 600) {
        for e in s
            .expiries
            .iter()
            .filter(|e| e.years >= 3_600.0 / YEAR_SECONDS)
        {
            let Some(atm) = atm_vol(e) else { continue };
            for line in e.calls.iter().chain(&e.puts) {
                let d = delta(e, line, atm).abs();
                if !(0.10..=0.90).contains(&d) {
                    continue;
                }
                checked += 1;
                if line.quote.bid == 0 || is_wide(line) {
                    findings.add(|| {
                        format!(
                            "{} (delta {d:.2}, {:.1} days) would be refused as wide or one-sided at {}",
                            line.show(),
                            e.years / DAY,
                            s.context()
                        )
                    });
                }
            }
        }
    }
    findings.assert_none("tradable spreads", checked);
}

#[test]
fn spreads_widen_in_the_wings_and_at_the_open() {
    let mut findings = Findings::default();
    let mut checked = 0;
    let snapshots = &market().snapshots;
    for s in snapshots.iter().filter(|s| midday(s)) {
        for e in s.expiries.iter().filter(|e| e.years >= DAY) {
            let Some(atm) = at_the_money(e)
                .first()
                .map(|l| (l.ask() - l.bid()) / l.mid())
            else {
                continue;
            };
            for (right, target) in [(Right::Put, -0.10), (Right::Call, 0.10)] {
                let Some((wing, _, _)) = by_delta(e, right, target) else {
                    continue;
                };
                checked += 1;
                let relative = (wing.ask() - wing.bid()) / wing.mid();
                if relative <= atm {
                    findings.add(|| {
                        format!(
                            "10-delta {} is {:.2} % wide, no wider than at the money ({:.2} %) at {}",
                            wing.show(),
                            relative * 100.0,
                            atm * 100.0,
                            s.context()
                        )
                    });
                }
            }
        }
    }
    // The same expiry's at-the-money spread a minute after the open and at midday, in dollars.
    let mut ratios = Vec::new();
    for open in snapshots.iter().filter(|s| s.seconds_open == 60) {
        let later: Vec<&Snapshot> = snapshots
            .iter()
            .filter(|s| {
                s.seed == open.seed && s.product == open.product && s.date == open.date && midday(s)
            })
            .collect();
        for e in open.expiries.iter().filter(|e| e.years >= DAY) {
            let Some(first) = at_the_money(e).first().map(|l| l.ask() - l.bid()) else {
                continue;
            };
            let mut midday_spreads: Vec<f64> = later
                .iter()
                .filter_map(|s| {
                    let same = s
                        .expiries
                        .iter()
                        .find(|x| x.root == e.root && x.expiration == e.expiration)?;
                    at_the_money(same).first().map(|l| l.ask() - l.bid())
                })
                .collect();
            if midday_spreads.is_empty() {
                continue;
            }
            midday_spreads.sort_by(f64::total_cmp);
            let typical = midday_spreads[midday_spreads.len() / 2];
            checked += 1;
            ratios.push(first / typical);
            if first <= typical {
                findings.add(|| {
                    format!(
                        "{} {}: at-the-money spread {first:.2} a minute after the open, no wider \
                         than {typical:.2} at midday at {}",
                        e.root,
                        e.expiration,
                        open.context()
                    )
                });
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios.get(ratios.len() / 2).copied().unwrap_or(0.0);
    if median < 1.5 {
        findings.add(|| format!("the open's spreads are only {median:.2} times midday's (median)"));
    }
    findings.assert_none("spread widening", checked);
}

/// At-the-money volatility thirty days out, the way VIX picks expirations: total variance
/// interpolated between the expirations around thirty days, or the nearest one's volatility when
/// none is later.
fn thirty_day_atm_vol(s: &Snapshot) -> Option<f64> {
    let thirty = 30.0 * DAY;
    let points: Vec<(f64, f64)> = s
        .expiries
        .iter()
        .filter(|e| e.years > DAY)
        .filter_map(|e| atm_total_variance(e).map(|(w, _)| (e.years, w)))
        .collect();
    let near = points
        .iter()
        .rev()
        .find(|p| p.0 <= thirty)
        .or(points.first())?;
    let next = points.iter().find(|p| p.0 > thirty).or(points.last())?;
    if next.0 - near.0 < 1e-9 {
        return Some((near.1 / near.0).sqrt());
    }
    let w = near.1 + (next.1 - near.1) * (thirty - near.0) / (next.0 - near.0);
    Some((w / thirty).sqrt())
}

#[test]
fn vix_sits_a_few_points_above_thirty_day_spx_volatility() {
    let m = market();
    let mut findings = Findings::default();
    let mut checked = 0;
    for point in &m.vix {
        let s = &m.snapshots[point.snapshot];
        let Some(atm) = thirty_day_atm_vol(s) else {
            continue;
        };
        checked += 1;
        let atm = atm * 100.0;
        // VIX prices the whole strip, and the put skew lifts it above at-the-money volatility:
        // by one to a few points in calm markets, proportionally more in stressed ones.
        let gap = point.value - atm;
        if !(0.0..=(3.0f64).max(0.25 * atm)).contains(&gap) {
            findings.add(|| {
                format!(
                    "VIX {:.2} vs 30-day at-the-money {atm:.2} at {}",
                    point.value,
                    s.context()
                )
            });
        }
    }
    findings.assert_none("VIX", checked);
}

#[test]
fn open_interest_is_listed_and_concentrated_near_the_money() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for s in market().snapshots.iter().filter(|s| s.seconds_open == 60) {
        for e in &s.expiries {
            let lines: Vec<&Line> = e.calls.iter().chain(&e.puts).collect();
            for line in &lines {
                checked += 1;
                if line.open_interest.is_none() {
                    findings
                        .add(|| format!("{} has no open interest at {}", line.show(), s.context()));
                }
            }
            let busiest = lines.iter().max_by_key(|l| l.open_interest.unwrap_or(0));
            if let Some(busiest) = busiest
                && (busiest.strike / s.underlying.price - 1.0).abs() > 0.10
            {
                findings.add(|| {
                    format!(
                        "the most open interest ({:?}) is far from the money: {} at {}",
                        busiest.open_interest,
                        busiest.show(),
                        s.context()
                    )
                });
            }
        }
    }
    findings.assert_none("open interest", checked);
}

#[test]
fn vix_moves_against_spx_and_within_a_plausible_range() {
    let m = market();
    let mut findings = Findings::default();
    let mut checked = 0;
    let mut sessions: BTreeMap<(u64, Date), Vec<(f64, f64)>> = BTreeMap::new();
    for point in &m.vix {
        let s = &m.snapshots[point.snapshot];
        sessions
            .entry((s.seed, s.date))
            .or_default()
            .push((s.underlying.price, point.value));
    }
    for ((seed, date), path) in &sessions {
        checked += 1;
        let range = |values: &mut dyn Iterator<Item = f64>| {
            let (low, high) =
                values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
            (high / low).ln()
        };
        let spx_range = range(&mut path.iter().map(|p| p.0));
        let vix_range = range(&mut path.iter().map(|p| p.1));
        // VIX's intraday range: a few percent of its level on a quiet day, more when the index
        // travels (its level answers the index's moves several times over).
        if vix_range > 0.15 + 6.0 * spx_range {
            findings.add(|| {
                format!(
                    "seed {seed} {date}: VIX ranged {:.0} % while SPX ranged {:.2} %: {:?}",
                    vix_range * 100.0,
                    spx_range * 100.0,
                    path.iter()
                        .map(|(x, v)| format!("{x:.0}:{v:.2}"))
                        .collect::<Vec<_>>()
                )
            });
        }
        // The leverage effect: VIX rises when SPX falls.
        let changes: Vec<(f64, f64)> = path
            .windows(2)
            .map(|w| ((w[1].0 / w[0].0).ln(), (w[1].1 / w[0].1).ln()))
            .collect();
        let n = changes.len() as f64;
        let (mx, my) = changes
            .iter()
            .fold((0.0, 0.0), |(a, b), c| (a + c.0 / n, b + c.1 / n));
        let covariance: f64 = changes.iter().map(|c| (c.0 - mx) * (c.1 - my)).sum();
        if covariance >= 0.0 {
            findings.add(|| {
                format!(
                    "seed {seed} {date}: VIX changes do not move against SPX's: {:?}",
                    path.iter()
                        .map(|(x, v)| format!("{x:.0}:{v:.2}"))
                        .collect::<Vec<_>>()
                )
            });
        }
    }
    findings.assert_none("VIX dynamics", checked);
}

#[test]
fn expiring_options_price_the_sessions_realised_variance_with_a_modest_premium() {
    let m = market();
    let mut findings = Findings::default();
    let mut checked = 0;
    for series in &m.series {
        // The first snapshot, a minute after the open, and the option expiring at today's close.
        let Some(s) = m.snapshots.iter().find(|s| {
            s.seed == series.seed && s.product == series.product && s.date == series.date
        }) else {
            continue;
        };
        let Some(e) = s
            .expiries
            .iter()
            .find(|e| e.expiration == s.date && e.years > 0.0)
        else {
            continue;
        };
        let Some(vol) = atm_vol(e) else {
            continue;
        };
        let start = ((s.at.as_nanos() - series.open.as_nanos()) / 60_000_000_000) as usize;
        let realised: f64 = series.minutes[start..]
            .windows(2)
            .map(|w| (w[1] / w[0]).ln().powi(2))
            .sum();
        checked += 1;
        let implied = vol * vol * e.years;
        // Implied variance above realised by the variance premium (10 to 30 %) on an ordinary
        // session; a jump makes realised the larger, which is fine; twice realised would be
        // money for every seller of expiring straddles.
        if implied > 2.0 * realised {
            findings.add(|| {
                format!(
                    "{} {}: implied variance {implied:.3e} (at the money {:.1} %) is {:.2} times \
                     the {:.3e} realised until the close, at {}",
                    e.root,
                    e.expiration,
                    vol * 100.0,
                    implied / realised,
                    realised,
                    s.context()
                )
            });
        }
    }
    findings.assert_none("0DTE variance premium", checked);
}

// ------------------------------------------------------------------------------------------------
// Trades.

/// One check over every trade: how many it looked at and what it found.
#[derive(Default)]
struct TradeCheck {
    findings: Findings,
    checked: usize,
}

impl TradeCheck {
    fn check(&mut self, ok: bool, context: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.findings.add(context);
        }
    }

    fn assert_none(&self, what: &str) {
        self.findings.assert_none(what, self.checked);
    }
}

/// Where one product's trades print, summed over its sessions.
#[derive(Default)]
struct Activity {
    /// Option trades and contracts near the money (|delta| 0.35 to 0.65 at midday) and in the
    /// far wings (|delta| under 0.05 or over 0.95).
    near: (u64, u64),
    wings: (u64, u64),
    /// Trades in each minute of the full-length sessions, options and the stock apart.
    option_minutes: Vec<u64>,
    stock_minutes: Vec<u64>,
    /// Option contracts traded and option trades, for the average print.
    option_volume: u64,
    option_trades: u64,
}

/// The trade checks. They run on each session's file while the market is built: the files live
/// in a temporary folder only until then, and every trade of every contract is too much to keep.
#[derive(Default)]
struct TradeChecks {
    timing: TradeCheck,
    price: TradeCheck,
    size: TradeCheck,
    venue: TradeCheck,
    activity: BTreeMap<&'static str, Activity>,
}

/// Minutes in a full session.
const SESSION_MINUTES: usize = 390;
/// The largest plausible single print: a block of options or of shares.
const MAX_OPTION_PRINT: u64 = 10_000;
const MAX_STOCK_PRINT: u64 = 50_000;

/// Condition codes a regular-hours print may carry.
const OPTION_CONDITIONS: &[u16] = &[
    condition::REGULAR,
    condition::AUTO_EXECUTION,
    condition::INTERMARKET_SWEEP,
    condition::SINGLE_LEG_AUCTION,
    condition::SINGLE_LEG_CROSS,
    condition::SINGLE_LEG_FLOOR,
    condition::MULTI_LEG_ELECTRONIC,
    condition::MULTI_LEG_AUCTION,
    condition::MULTI_LEG_CROSS,
    condition::MULTI_LEG_FLOOR,
    condition::STOCK_OPTION_ELECTRONIC,
];
const STOCK_CONDITIONS: &[u16] = &[
    condition::REGULAR,
    condition::INTERMARKET_SWEEP,
    condition::ODD_LOT,
];

fn new_york_time(t: Timestamp) -> String {
    t.to_jiff()
        .in_tz("America/New_York")
        .map(|z| z.strftime("%H:%M:%S%.9f").to_string())
        .unwrap_or_default()
}

/// Each contract's |delta| at the snapshot nearest the middle of the session, at its expiry's
/// at-the-money volatility.
fn midday_deltas(
    snapshots: &[Snapshot],
    session: &calendar::Session,
) -> BTreeMap<OptionSymbol, f64> {
    let middle = (session.close.as_nanos() - session.open.as_nanos()) / 2_000_000_000;
    let mut deltas = BTreeMap::new();
    let Some(s) = snapshots
        .iter()
        .min_by_key(|s| (s.seconds_open - middle).abs())
    else {
        return deltas;
    };
    for e in s
        .expiries
        .iter()
        .filter(|e| e.years >= 3_600.0 / YEAR_SECONDS)
    {
        let Some(atm) = atm_vol(e) else { continue };
        for line in e.calls.iter().chain(&e.puts) {
            deltas.insert(line.symbol, delta(e, line, atm).abs());
        }
    }
    deltas
}

/// What a series' trades are checked against: the product, its root's tick rule (`None` for the
/// stock, quoted on the penny) and the venues it trades on.
struct Printed<'a> {
    seed: u64,
    product: &'static str,
    session: &'a calendar::Session,
    name: String,
    rule: Option<TickRule>,
    venues: &'static [u16],
}

impl TradeChecks {
    fn check_session(
        &mut self,
        file: &SessionFile,
        session: &calendar::Session,
        seed: u64,
        product: &synth::Product,
        snapshots: &[Snapshot],
    ) {
        if product.publication == synth::Publication::Stock {
            let series = Printed {
                seed,
                product: product.symbol,
                session,
                name: product.symbol.to_string(),
                rule: None,
                venues: venue::STOCK_EXCHANGES,
            };
            self.check_series(file, Owner::Underlying, &series);
        }
        let deltas = midday_deltas(snapshots, session);
        for (i, entry) in file.contracts().iter().enumerate() {
            let root = entry.symbol.root.as_str();
            let info = root_info(root);
            let series = Printed {
                seed,
                product: product.symbol,
                session,
                name: entry.symbol.osi().replace(' ', ""),
                rule: Some(info.ticks),
                // Index options are listed on Cboe alone.
                venues: if info.delivery == model::roots::Delivery::Cash {
                    &[venue::CBOE]
                } else {
                    venue::OPTION_EXCHANGES
                },
            };
            let count = self.check_series(file, Owner::Contract(i as u32), &series);
            let activity = self.activity.entry(product.symbol).or_default();
            match deltas.get(&entry.symbol) {
                Some(d) if (0.35..=0.65).contains(d) => {
                    activity.near.0 += count;
                    activity.near.1 += 1;
                }
                Some(d) if !(0.05..=0.95).contains(d) => {
                    activity.wings.0 += count;
                    activity.wings.1 += 1;
                }
                _ => {}
            }
        }
    }

    /// Checks one series' trades against its quotes; returns how many trades it has.
    fn check_series(&mut self, file: &SessionFile, owner: Owner, series: &Printed) -> u64 {
        let quotes: Vec<Quote> = file.whole_series(owner).expect("quotes");
        let trades: Vec<Trade> = file.whole_series(owner).expect("trades");
        let session = series.session;
        let context = |trade: &Trade, quote: Option<&Quote>| {
            format!(
                "{} seed {} {} {} ET: {} x {:.2} (venue {}, conditions {:?}, sequence {}) \
                 against {}",
                series.product,
                series.seed,
                session.date,
                new_york_time(trade.ts),
                series.name,
                dollars(trade.price),
                trade.exchange,
                trade.condition_codes().collect::<Vec<_>>(),
                trade.sequence,
                quote.map_or("no quote".to_string(), |q| format!(
                    "{:.2} x {:.2} posted {}",
                    dollars(q.bid),
                    dollars(q.ask),
                    new_york_time(q.ts)
                )),
            )
        };
        let activity = self.activity.entry(series.product).or_default();
        let minutes = if series.rule.is_some() {
            &mut activity.option_minutes
        } else {
            &mut activity.stock_minutes
        };
        minutes.resize(SESSION_MINUTES, 0);
        let mut in_force = 0;
        let mut previous: Option<&Trade> = None;
        for trade in &trades {
            // The quote in force: the last one posted at or before the trade.
            while in_force < quotes.len() && quotes[in_force].ts <= trade.ts {
                in_force += 1;
            }
            let quote = in_force.checked_sub(1).map(|i| &quotes[i]);
            let ordered = previous.is_none_or(|p| p.ts <= trade.ts && p.sequence < trade.sequence);
            self.timing.check(
                session.open <= trade.ts && trade.ts < session.close && ordered,
                || {
                    format!(
                        "outside the session or out of order: {}",
                        context(trade, quote)
                    )
                },
            );
            previous = Some(trade);
            let on_tick = match series.rule {
                Some(rule) => on_grid(rule, trade.price),
                None => trade.price % (PRICE_SCALE / 100) == 0,
            };
            let inside = quote.is_some_and(|q| q.bid <= trade.price && trade.price <= q.ask);
            self.price.check(trade.price > 0 && on_tick && inside, || {
                format!(
                    "off the grid or outside the quote: {}",
                    context(trade, quote)
                )
            });
            let whole = trade.size / SIZE_SCALE;
            let largest = if series.rule.is_some() {
                MAX_OPTION_PRINT
            } else {
                MAX_STOCK_PRINT
            };
            self.size.check(
                trade.size % SIZE_SCALE == 0 && (1..=largest).contains(&whole),
                || format!("size {} units: {}", trade.size, context(trade, quote)),
            );
            let codes: Vec<u16> = trade.condition_codes().collect();
            let valid_codes = if series.rule.is_some() {
                OPTION_CONDITIONS
            } else {
                STOCK_CONDITIONS
            };
            // Conditions fill the first slots; a stock print is an odd lot exactly when it is
            // under a round lot.
            let conditions_ok = !codes.is_empty()
                && codes.iter().all(|c| valid_codes.contains(c))
                && trade.conditions[codes.len()..]
                    .iter()
                    .all(|c| *c == condition::NONE)
                && (series.rule.is_some() || codes.contains(&condition::ODD_LOT) == (whole < 100));
            self.venue.check(
                series.venues.contains(&trade.exchange) && conditions_ok,
                || format!("venue or conditions: {}", context(trade, quote)),
            );
            if !session.early_close && session.contains(trade.ts) {
                let minute = (trade.ts.as_nanos() - session.open.as_nanos()) / 60_000_000_000;
                minutes[minute as usize] += 1;
            }
            if series.rule.is_some() {
                activity.option_volume += whole;
                activity.option_trades += 1;
            }
        }
        trades.len() as u64
    }
}

#[test]
fn trades_print_inside_the_session_in_order() {
    market().trades.timing.assert_none("trade times");
}

#[test]
fn trades_print_on_the_tick_grid_inside_the_quote_in_force() {
    market().trades.price.assert_none("trade prices");
}

#[test]
fn trade_sizes_are_whole_positive_and_plausible() {
    let checks = &market().trades;
    let mut findings = Findings::default();
    for (product, activity) in &checks.activity {
        if activity.option_trades == 0 {
            continue;
        }
        // Most option prints are a few contracts; blocks are rare.
        let average = activity.option_volume as f64 / activity.option_trades as f64;
        if !(1.5..=60.0).contains(&average) {
            findings.add(|| format!("{product}: {average:.1} contracts a print on average"));
        }
    }
    findings.assert_none("average option print", checks.activity.len());
    checks.size.assert_none("trade sizes");
}

#[test]
fn trades_carry_real_venues_and_valid_conditions() {
    market()
        .trades
        .venue
        .assert_none("trade venues and conditions");
}

#[test]
fn trades_are_busiest_near_the_money_and_at_the_open_and_the_close() {
    let mut findings = Findings::default();
    let mut checked = 0;
    for (product, activity) in &market().trades.activity {
        let (near, wings) = (activity.near, activity.wings);
        if near.1 > 0 && wings.1 > 0 {
            checked += 1;
            let near_rate = near.0 as f64 / near.1 as f64;
            let wing_rate = wings.0 as f64 / wings.1 as f64;
            // Liquidity falls to a few percent of the money's in the far wings.
            if near_rate < 3.0 * wing_rate {
                findings.add(|| {
                    format!(
                        "{product}: {near_rate:.1} trades a contract near the money, \
                         {wing_rate:.1} in the far wings"
                    )
                });
            }
        } else if *product != "VIX" {
            findings.add(|| format!("{product}: no contracts near the money or in the far wings"));
        }
        for (kind, minutes) in [
            ("option", &activity.option_minutes),
            ("stock", &activity.stock_minutes),
        ] {
            if minutes.iter().sum::<u64>() == 0 {
                continue;
            }
            checked += 1;
            let rate = |from: usize, to: usize| {
                minutes[from..to].iter().sum::<u64>() as f64 / (to - from) as f64
            };
            // The first and last half hours against 12:00 to 13:30.
            let (open, midday, close) = (
                rate(0, 30),
                rate(150, 240),
                rate(SESSION_MINUTES - 30, SESSION_MINUTES),
            );
            if open < 1.5 * midday || close < 1.15 * midday {
                findings.add(|| {
                    format!(
                        "{product} {kind} trades a minute: {open:.1} in the first half hour, \
                         {midday:.1} at midday, {close:.1} in the last half hour"
                    )
                });
            }
        }
    }
    findings.assert_none("where trades print", checked);
}
