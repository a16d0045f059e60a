//! Generating the tape of one product for one trading day.

use crate::math::{exp, ln};
use std::path::PathBuf;

use jiff::civil::Date;
use model::symbol::Right;
use model::venues::venue;
use model::{Timestamp, calendar};
use pricing::{OptionKind, black76_price_delta};
use tape::{IndexValue, Owner, Quote, SessionBuilder, Trade};

use crate::daily::{Day, TRADING_DAYS};
use crate::intraday::{Path, path, seasonality};
use crate::listings::{Expiry, listed};
use crate::market::{
    Arrivals, Market, Print, Quoter, Ticks, Venues, liquidity, option_print, stock_market,
    stock_print,
};
use crate::rng::{Rng, label};
use crate::surface::{Slice, Surface};
use crate::universe::{Product, Publication};
use crate::{Config, SynthError, vix};

const NANOS: i64 = 1_000_000_000;
/// Cents to nanodollars.
const CENT_PX: i64 = 10_000_000;

/// What one generated session holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub files: Vec<PathBuf>,
    pub contracts: usize,
    pub quotes: u64,
    pub trades: u64,
}

/// The longest a contract's market stands before it is re-priced for the drift of the surface
/// and of time, by how close to the money it is (where vega and time decay are largest); moves of
/// the underlying re-price it sooner (see [`standing_until`]).
fn repricing_interval(abs_delta: f64) -> usize {
    if (0.2..=0.8).contains(&abs_delta) {
        2
    } else if (0.08..=0.92).contains(&abs_delta) {
        3
    } else if (0.02..=0.98).contains(&abs_delta) {
        5
    } else {
        15
    }
}

fn price_px(cents: i64) -> i64 {
    cents * CENT_PX
}

fn print_trade(ts: Timestamp, print: &Print, sequence: u64) -> Trade {
    Trade {
        ts,
        price: price_px(print.price),
        size: print.size * tape::SIZE_SCALE,
        exchange: print.venue,
        conditions: print.conditions,
        sequence,
    }
}

fn market_quote(ts: Timestamp, m: &Market) -> Quote {
    Quote {
        ts,
        bid: price_px(m.bid),
        ask: price_px(m.ask),
        bid_size: m.bid_size,
        ask_size: m.ask_size,
        bid_exchange: m.bid_venue,
        ask_exchange: m.ask_venue,
    }
}

/// When inside its second a contract's updates land: each contract re-quotes on its own clock,
/// a fixed number of milliseconds into the second.
struct Phase(i64);

impl Phase {
    fn new(rng: &mut Rng) -> Phase {
        Phase((1 + rng.below(990) as i64) * 1_000_000)
    }

    fn offset(&self) -> i64 {
        self.0
    }
}

/// Generates `product` on `day` and writes its session file (and the volatility index's, for
/// the product that carries it).
pub fn generate(
    config: &Config,
    product: &Product,
    vix: Option<&Product>,
    day: &Day,
) -> Result<SessionStats, SynthError> {
    let session = calendar::session(day.date).ok_or(SynthError::NotATradingDay(day.date))?;
    let seconds = (session.duration().as_secs()) as usize;
    let path = path(config.seed, product, day, seconds);
    let open = session.open;
    let source = crate::source_label(config.seed);
    let mut builder = SessionBuilder::create(&config.tape, product.symbol, day.date)?;
    builder.source(&source);
    let mut stats = SessionStats::default();
    match product.publication {
        Publication::Index => {
            for (s, price) in path.price.iter().enumerate() {
                let ts = open.plus(std::time::Duration::from_secs(s as u64));
                builder.value(IndexValue {
                    ts,
                    value: price_px((price * 100.0).round() as i64),
                })?;
            }
        }
        Publication::Stock => {
            let (quotes, trades) = stock_tape(config.seed, product, &session, &path, &mut builder)?;
            stats.quotes += quotes;
            stats.trades += trades;
        }
        Publication::VolatilityIndex => return Err(SynthError::Unsupported(product.symbol)),
    }
    let reach = path
        .price
        .iter()
        .fold((f64::MAX, f64::MIN), |(low, high), p| {
            (low.min(*p), high.max(*p))
        });
    let expiries = listed(product, day.date, day.open, day.variance.sqrt(), reach);
    let regime = regime(product, day, &path);
    let slices: Vec<Vec<Slice>> = expiries
        .iter()
        .map(|e| expiry_slices(config.rate, product, day, &path, &regime, open, e))
        .collect();
    for (expiry, slices) in expiries.iter().zip(&slices) {
        let (contracts, quotes, trades) = options_tape(
            config,
            product,
            &session,
            expiry,
            slices,
            &path.price,
            &mut builder,
        )?;
        stats.contracts += contracts;
        stats.quotes += quotes;
        stats.trades += trades;
    }
    stats.files.push(builder.finish()?);
    if let Some(vix_product) = vix {
        stats
            .files
            .push(vix_tape(config, vix_product, day.date, open, &slices)?);
    }
    Ok(stats)
}

/// The variance regime the surface is built on, at every second of the session: the day's
/// regime, moved by the underlying's return since the open the way the daily model moves
/// tomorrow's regime (the leverage effect: variance rises as prices fall). Not the instantaneous
/// intraday variance, whose second-to-second noise would shake the whole term structure (and
/// VIX) by several points within minutes.
fn regime(product: &Product, day: &Day, path: &Path) -> Vec<f64> {
    let session_sd = (day.variance / TRADING_DAYS * day.length).sqrt();
    let response = product.leverage * product.vol_of_vol / session_sd;
    path.price[..path.seconds()]
        .iter()
        .map(|price| day.variance * exp(response * ln(price / day.open)))
        .collect()
}

/// The surface slice of an expiry at every second of the session.
fn expiry_slices(
    rate: f64,
    product: &Product,
    day: &Day,
    path: &Path,
    regime: &[f64],
    open: Timestamp,
    expiry: &Expiry,
) -> Vec<Slice> {
    let (nights, sessions) = expiry.remaining_periods();
    (0..path.seconds())
        .map(|s| {
            let now = open.as_nanos() + s as i64 * NANOS;
            let to_settlement = (expiry.settlement.as_nanos() - now) as f64 / NANOS as f64;
            // Today's variance expected still to come, from what is known at this second (never
            // the rest of the day's realised path), in full sessions: an early close has less.
            let today = path.remaining[s] * day.length;
            Surface::new(product, path.price[s], regime[s], rate).slice(
                to_settlement,
                today,
                nights,
                sessions,
            )
        })
        .collect()
}

fn options_tape(
    config: &Config,
    product: &Product,
    session: &calendar::Session,
    expiry: &Expiry,
    slices: &[Slice],
    spot: &[f64],
    builder: &mut SessionBuilder,
) -> Result<(usize, u64, u64), SynthError> {
    let (date, open, close) = (session.date, session.open, session.close.as_nanos());
    let info = model::roots::root_info(expiry.root.as_str());
    let ticks = Ticks::for_root_rule(info.ticks);
    let american = info.exercise == model::roots::Exercise::American;
    // SPX and its weeklies trade on Cboe alone; equity options on every exchange.
    let venues = Venues::new(if info.delivery == model::roots::Delivery::Cash {
        &[venue::CBOE]
    } else {
        venue::OPTION_EXCHANGES
    });
    let shape = seasonality(slices.len());
    let widening: Vec<f64> = (0..slices.len())
        .map(|s| Quoter::open_widening(s as f64))
        .collect();
    let mean_size = (product.option_size / 8.0).max(2.0);
    let (mut contracts, mut quotes, mut trades) = (0, 0u64, 0u64);
    for (symbol, strike) in expiry.symbols() {
        let owner = builder.contract(symbol)?;
        contracts += 1;
        let mut rng = Rng::stream(&[
            config.seed,
            label("option"),
            label(&symbol.osi()),
            date_key(date),
        ]);
        builder.set_open_interest(
            owner,
            open_interest(config.seed, product, expiry, &symbol, strike, date),
        )?;
        let kind = match symbol.right {
            Right::Call => OptionKind::Call,
            Right::Put => OptionKind::Put,
        };
        // Log-moneyness every second from logs taken once: ln is a good part of the loop's cost.
        let log_strike = ln(strike);
        let mut quoter = Quoter::new(
            ticks,
            product.spread_abs,
            product.spread_rel,
            product.option_size,
            venues,
        );
        let phase = Phase::new(&mut rng);
        let mut arrivals = Arrivals::new(&mut rng);
        let mut last: Option<Market> = None;
        let mut last_posted = 0;
        let mut sequence = 0u64;
        let mut s = 0;
        while s < slices.len() {
            let slice = &slices[s];
            let x = slice.log_forward - log_strike;
            let total_vol = slice.total_variance(-x).sqrt();
            let (mut theo, mut delta) =
                black76_price_delta(kind, slice.forward, strike, x, total_vol, slice.discount);
            if american {
                // An American option is never worth less than exercising it now.
                let exercise = match kind {
                    OptionKind::Call => spot[s] - strike,
                    OptionKind::Put => strike - spot[s],
                };
                if exercise > theo {
                    theo = exercise;
                    delta = match kind {
                        OptionKind::Call => 1.0,
                        OptionKind::Put => -1.0,
                    };
                }
            }
            let abs_delta = delta.abs();
            let mut market = quoter.quote(&mut rng, theo, abs_delta, widening[s]);
            // Makers keep even an unchanged market alive: a quote older than paper trading's
            // staleness limit would make the contract untradable.
            let stale = last.is_some() && s - last_posted >= REFRESH_SECONDS;
            if stale && last == Some(market) {
                market = quoter.resize(&mut rng, abs_delta);
            }
            let posted = open.as_nanos() + s as i64 * NANOS + phase.offset();
            if config.quote_every_second || last != Some(market) || stale {
                builder.quote(owner, market_quote(Timestamp::from_nanos(posted), &market))?;
                quotes += 1;
                last = Some(market);
                last_posted = s;
            }
            let next = if config.quote_every_second {
                s + 1
            } else {
                standing_until(
                    slices,
                    s,
                    repricing_interval(abs_delta),
                    delta,
                    theo,
                    &market,
                )
            };
            // Trades against this market until the next re-pricing, and never after the close
            // (the last market stands from a moment into the session's last second).
            let span = (next - s) as f64;
            let span = span.min((close - posted) as f64 / NANOS as f64);
            let rate = product.option_trade_rate * liquidity(abs_delta).powi(2) * shape[s];
            arrivals.within(&mut rng, rate, span, |rng, offset| {
                let print = option_print(rng, &market, ticks, mean_size, &venues);
                sequence += 1;
                trades += 1;
                let at = Timestamp::from_nanos(posted + offset);
                Ok(builder.trade(owner, print_trade(at, &print, sequence))?)
            })?;
            s = next;
        }
    }
    Ok((contracts, quotes, trades))
}

/// Seconds after which an unchanged quote is posted again (below paper trading's 30 s limit
/// with a 15 s re-pricing interval on top).
const REFRESH_SECONDS: usize = 10;

/// The second at which a market quoted at second `s` around `theo` is next re-priced: after
/// `interval` seconds (the surface and time drift slowly), or sooner when the underlying has
/// moved enough that, to first order (delta times the forward's move), the value has crossed half
/// the way to the bid or the ask. Deep in-the-money contracts move one for one with the
/// underlying and are re-priced as often as it moves; far wings rarely.
fn standing_until(
    slices: &[Slice],
    s: usize,
    interval: usize,
    delta: f64,
    theo: f64,
    market: &Market,
) -> usize {
    let end = (s + interval).min(slices.len());
    // The market is in cents.
    let up = 0.5 * (market.ask as f64 * 0.01 - theo).max(0.0);
    let down = 0.5 * (theo - market.bid as f64 * 0.01).max(0.0);
    let forward = slices[s].forward;
    let mut next = s + 1;
    while next < end {
        let moved = delta * (slices[next].forward - forward);
        if moved > up || moved < -down {
            break;
        }
        next += 1;
    }
    next
}

/// Open interest: largest near the money, on round strikes and in later expirations; stable from
/// day to day for a contract, with a little daily change.
fn open_interest(
    seed: u64,
    product: &Product,
    expiry: &Expiry,
    symbol: &model::symbol::OptionSymbol,
    strike: f64,
    date: Date,
) -> u64 {
    let mut stable = Rng::stream(&[seed, label("oi"), label(&symbol.osi())]);
    let mut daily = Rng::stream(&[seed, label("oi-day"), label(&symbol.osi()), date_key(date)]);
    let reference = expiry.strikes[expiry.strikes.len() / 2];
    let distance = ((strike - reference) / reference).abs();
    let near = exp(-distance * distance / (2.0 * 0.04f64.powi(2)));
    let round = if strike % 100.0 == 0.0 {
        2.0
    } else if strike % 50.0 == 0.0 {
        1.5
    } else {
        1.0
    };
    let tenor = 1.0 + f64::from(expiry.sessions_after_today).sqrt();
    let level = product.option_size
        * 60.0
        * (0.05 + near)
        * round
        * tenor
        * exp(0.6 * stable.normal())
        * exp(0.05 * daily.normal());
    level.round().max(0.0) as u64
}

fn stock_tape(
    seed: u64,
    product: &Product,
    session: &calendar::Session,
    path: &Path,
    builder: &mut SessionBuilder,
) -> Result<(u64, u64), SynthError> {
    let (open, close) = (session.open, session.close.as_nanos());
    let mut rng = Rng::stream(&[
        seed,
        label(product.symbol),
        label("stock"),
        date_key(session.date),
    ]);
    let shape = seasonality(path.seconds());
    let mut last = Market::default();
    let (mut quotes, mut trades) = (0u64, 0u64);
    let mut sequence = 0;
    let phase = Phase::new(&mut rng);
    let mut arrivals = Arrivals::new(&mut rng);
    for (s, season) in shape.iter().enumerate() {
        let second_start = open.as_nanos() + s as i64 * NANOS;
        let market = stock_market(
            &mut rng,
            path.price[s],
            product.stock_spread_cents,
            product.stock_lots,
            &last,
        );
        let at = Timestamp::from_nanos(second_start + phase.offset());
        if market != last {
            builder.quote(Owner::Underlying, market_quote(at, &market))?;
            quotes += 1;
            last = market;
        }
        // Trades against this market until the next second's, and never after the close.
        let span = (1.0f64).min((close - at.as_nanos()) as f64 / NANOS as f64);
        arrivals.within(
            &mut rng,
            product.stock_trade_rate * season,
            span,
            |rng, offset| {
                let print = stock_print(rng, &market);
                sequence += 1;
                trades += 1;
                let when = Timestamp::from_nanos(at.as_nanos() + offset);
                Ok(builder.trade(Owner::Underlying, print_trade(when, &print, sequence))?)
            },
        )?;
    }
    Ok((quotes, trades))
}

/// The volatility index every fifteen seconds, from the surface slices of the day's expiries.
fn vix_tape(
    config: &Config,
    product: &Product,
    date: Date,
    open: Timestamp,
    slices: &[Vec<Slice>],
) -> Result<PathBuf, SynthError> {
    let mut builder = SessionBuilder::create(&config.tape, product.symbol, date)?;
    builder.source(&crate::source_label(config.seed));
    let seconds = slices.first().map_or(0, Vec::len);
    for s in (0..seconds).step_by(15) {
        let at_second: Vec<Slice> = slices.iter().map(|e| e[s]).collect();
        if let Some(level) = vix::index(&at_second, config.rate) {
            builder.value(IndexValue {
                ts: open.plus(std::time::Duration::from_secs(s as u64)),
                value: price_px((level * 100.0).round() as i64),
            })?;
        }
    }
    Ok(builder.finish()?)
}

fn date_key(date: Date) -> u64 {
    (i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())) as u64
}
