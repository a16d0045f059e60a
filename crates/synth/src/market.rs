//! How market makers and traders behave: quotes around a theoretical value on the tick grid, with
//! sizes and venues; trades arriving at realistic rates with sizes, prices, venues and conditions.

use crate::math::exp;
use model::venues::{condition, venue};

use crate::SynthError;
use crate::rng::Rng;

/// Cents per dollar: quotes are built on a grid of whole cents.
const CENT: f64 = 0.01;

/// The minimum price increment rule of an option root, in cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticks {
    /// 5 cents below $3, 10 cents above (SPX, SPXW).
    Index,
    /// 1 cent below $3, 5 cents above (the Penny Interval Program).
    PennyInterval,
    /// 1 cent at every price (SPY, QQQ, IWM).
    Penny,
}

impl Ticks {
    pub fn for_root_rule(rule: model::roots::TickRule) -> Ticks {
        match rule {
            model::roots::TickRule::Index => Ticks::Index,
            model::roots::TickRule::PennyInterval => Ticks::PennyInterval,
            model::roots::TickRule::Penny => Ticks::Penny,
        }
    }

    /// The tick, in cents, for a price in cents.
    pub fn at(self, cents: i64) -> i64 {
        match self {
            Ticks::Index => {
                if cents < 300 {
                    5
                } else {
                    10
                }
            }
            Ticks::PennyInterval => {
                if cents < 300 {
                    1
                } else {
                    5
                }
            }
            Ticks::Penny => 1,
        }
    }

    /// The largest price on the grid at or below `dollars`, in cents (never negative).
    pub fn floor(self, dollars: f64) -> i64 {
        // The epsilon absorbs binary rounding (0.29 * 100 = 28.999...); truncation is the floor
        // of a non-negative number.
        let cents = (dollars * 100.0 + 1e-9).max(0.0) as i64;
        if cents <= 0 {
            return 0;
        }
        down_to(cents, self.at(cents))
    }

    /// The smallest price on the grid at or above `dollars`, in cents (at least one tick).
    pub fn ceil(self, dollars: f64) -> i64 {
        let exact = (dollars * 100.0 - 1e-9).max(1.0);
        let whole = exact as i64;
        let cents = if (whole as f64) < exact {
            whole + 1
        } else {
            whole
        };
        let up = up_to(cents, self.at(cents));
        // Crossing $3 changes the tick: make sure the result sits on its own grid.
        up_to(up, self.at(up))
    }

    pub fn on_grid(self, cents: i64) -> bool {
        cents >= 0 && cents % self.at(cents) == 0
    }
}

/// `cents` rounded down to a multiple of `tick` (1, 5 or 10: constant divisors, which compile to
/// multiplications rather than divisions).
fn down_to(cents: i64, tick: i64) -> i64 {
    match tick {
        1 => cents,
        5 => cents - cents.rem_euclid(5),
        10 => cents - cents.rem_euclid(10),
        _ => cents - cents.rem_euclid(tick),
    }
}

/// `cents` rounded up to a multiple of `tick`.
fn up_to(cents: i64, tick: i64) -> i64 {
    let down = down_to(cents, tick);
    if down == cents { cents } else { down + tick }
}

/// A two-sided market in cents and contracts; a bid of 0 means no bid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Market {
    pub bid: i64,
    pub ask: i64,
    pub bid_size: u32,
    pub ask_size: u32,
    pub bid_venue: u16,
    pub ask_venue: u16,
}

/// How one contract is quoted, with the state that persists between updates.
#[derive(Clone, Debug)]
pub struct Quoter {
    pub ticks: Ticks,
    pub spread_abs: f64,
    pub spread_rel: f64,
    pub base_size: f64,
    /// Venues this contract trades on; a single one for exclusively listed products.
    pub venues: Venues,
    jitter: f64,
    /// The quoted width in ticks: market makers keep it while their target width stays close.
    width_ticks: i64,
    last: Market,
}

/// Venue weights: the larger options exchanges get more of the market.
fn venue_weight(v: u16) -> f64 {
    match v {
        venue::CBOE => 3.0,
        venue::ISE | venue::PHLX | venue::NASDAQ => 2.0,
        venue::MIAX | venue::NYSE_ARCA | venue::NYSE_AMERICAN | venue::CBOE_EDGX => 1.5,
        _ => 1.0,
    }
}

/// The most venues a list may hold.
const MAX_VENUES: usize = 24;

/// A list of venues with their cumulative weights, so that drawing one (for every displayed
/// size change and every print) takes one uniform and a short scan.
#[derive(Clone, Copy, Debug)]
pub struct Venues {
    codes: &'static [u16],
    cumulative: [f64; MAX_VENUES],
}

impl Venues {
    pub fn new(codes: &'static [u16]) -> Venues {
        assert!(
            !codes.is_empty() && codes.len() <= MAX_VENUES,
            "1 to {MAX_VENUES} venues"
        );
        let mut cumulative = [0.0; MAX_VENUES];
        let mut total = 0.0;
        for (slot, code) in cumulative.iter_mut().zip(codes) {
            total += venue_weight(*code);
            *slot = total;
        }
        Venues { codes, cumulative }
    }

    pub fn pick(&self, rng: &mut Rng) -> u16 {
        let n = self.codes.len();
        if n == 1 {
            return self.codes[0];
        }
        let target = rng.uniform() * self.cumulative[n - 1];
        let i = self.cumulative[..n].partition_point(|c| *c <= target);
        self.codes[i.min(n - 1)]
    }
}

/// Displayed sizes cluster on round numbers: a size near `typical`, on a short ladder.
pub fn round_size(rng: &mut Rng, typical: f64) -> u32 {
    const LADDER: [f64; 9] = [0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0];
    // Weights 1, 2, 3, 4, 5, 4, 3, 2, 1, summed ahead: one uniform and a short scan.
    const CUMULATIVE: [f64; 9] = [1.0, 3.0, 6.0, 10.0, 15.0, 19.0, 22.0, 24.0, 25.0];
    let target = rng.uniform() * CUMULATIVE[8];
    let rung = CUMULATIVE.partition_point(|c| *c <= target).min(8);
    let raw = typical * LADDER[rung];
    let step = if raw < 10.0 {
        1.0
    } else if raw < 100.0 {
        5.0
    } else if raw < 1_000.0 {
        25.0
    } else {
        100.0
    };
    ((raw / step).round() * step).max(1.0) as u32
}

/// Liquidity by moneyness: 1 at the money, falling toward the wings.
pub fn liquidity(abs_delta: f64) -> f64 {
    let distance = (abs_delta - 0.5).abs() * 2.0; // 0 at the money, 1 at the wings
    (1.0 - 0.85 * distance * distance).max(0.08)
}

impl Quoter {
    pub fn new(
        ticks: Ticks,
        spread_abs: f64,
        spread_rel: f64,
        base_size: f64,
        venues: Venues,
    ) -> Quoter {
        Quoter {
            ticks,
            spread_abs,
            spread_rel,
            base_size,
            venues,
            jitter: 1.0,
            width_ticks: 0,
            last: Market::default(),
        }
    }

    /// How much wider than usual markets are `seconds_open` after the open: makers quote wide
    /// until the opening uncertainty settles, over the first few minutes.
    pub fn open_widening(seconds_open: f64) -> f64 {
        1.0 + 1.5 * exp(-seconds_open / 240.0)
    }

    /// The market for a theoretical value with |delta|, with spreads `widening` times their
    /// usual width (see [`Quoter::open_widening`]).
    pub fn quote(&mut self, rng: &mut Rng, theo: f64, abs_delta: f64, widening: f64) -> Market {
        if rng.chance(0.003) {
            self.jitter = 0.85 + 0.3 * rng.uniform();
        }
        // Away from the money makers charge more per dollar of premium (up to twice at the
        // wings), so a wing stays relatively wider than the money even on the tick grid; the
        // fixed part does not grow, or cheap wings would be quoted several ticks wide.
        let wings = 1.0 + (2.0 * abs_delta - 1.0).abs();
        let spread = (self.spread_abs + self.spread_rel * theo * wings) * widening * self.jitter;
        let tick = self.ticks.at(self.ticks.floor(theo)) as f64 * CENT;
        let target = (spread / tick).max(1.0);
        if self.width_ticks == 0 || (target - self.width_ticks as f64).abs() > 0.75 {
            self.width_ticks = target.round() as i64;
        }
        let width = self.width_ticks as f64 * tick;
        let mut bid = self.ticks.floor(theo - width / 2.0);
        let mut ask = self.ticks.ceil(bid as f64 * CENT + width);
        if (ask as f64) * CENT < theo {
            ask = self.ticks.ceil(theo);
            bid = self.ticks.floor(ask as f64 * CENT - width);
        }
        if bid > 0 && bid < self.ticks.at(bid) {
            bid = 0;
        }
        if ask <= bid {
            ask = bid + self.ticks.at(bid);
            ask = self.ticks.ceil(ask as f64 * CENT);
        }
        let liquid = liquidity(abs_delta);
        let mut market = Market {
            bid,
            ask,
            bid_size: self.last.bid_size,
            ask_size: self.last.ask_size,
            bid_venue: self.last.bid_venue,
            ask_venue: self.last.ask_venue,
        };
        let typical = self.base_size * liquid;
        // Displayed size often survives a price change (the same maker moves its quote), and now
        // and then changes on its own.
        let resize = |rng: &mut Rng, moved: bool| {
            if moved {
                rng.chance(0.35)
            } else {
                rng.chance(0.01)
            }
        };
        if market.bid_size == 0 || resize(rng, bid != self.last.bid) {
            market.bid_size = if bid == 0 {
                0
            } else {
                round_size(rng, typical)
            };
            if bid == 0 {
                market.bid_venue = 0;
            } else if market.bid_venue == 0 || rng.chance(0.5) {
                market.bid_venue = self.venues.pick(rng);
            }
        }
        if market.ask_size == 0 || resize(rng, ask != self.last.ask) {
            market.ask_size = round_size(rng, typical);
            if market.ask_venue == 0 || rng.chance(0.5) {
                market.ask_venue = self.venues.pick(rng);
            }
        }
        if bid == 0 {
            market.bid_size = 0;
            market.bid_venue = 0;
        }
        self.last = market;
        market
    }

    /// The last market with freshly drawn sizes: how a maker keeps an unchanged quote alive.
    pub fn resize(&mut self, rng: &mut Rng, abs_delta: f64) -> Market {
        let typical = self.base_size * liquidity(abs_delta);
        if self.last.bid > 0 {
            self.last.bid_size = round_size(rng, typical);
        }
        self.last.ask_size = round_size(rng, typical);
        self.last
    }
}

/// When trades arrive, at a rate that changes from one moment to the next: each arrival comes
/// when the rate accumulated since the last one reaches an exponentially distributed threshold
/// (a time-changed Poisson process). Exact for rates constant over each span, and a quiet
/// stretch costs no random draws at all.
pub struct Arrivals {
    /// Accumulated rate still to go before the next arrival.
    left: f64,
}

impl Arrivals {
    pub fn new(rng: &mut Rng) -> Arrivals {
        Arrivals {
            left: rng.exponential(),
        }
    }

    /// Calls `arrive` with the offset, in nanoseconds, of each arrival in a span of `seconds` at
    /// `rate` arrivals per second, in time order.
    pub fn within(
        &mut self,
        rng: &mut Rng,
        rate: f64,
        seconds: f64,
        mut arrive: impl FnMut(&mut Rng, i64) -> Result<(), SynthError>,
    ) -> Result<(), SynthError> {
        if rate <= 0.0 || seconds <= 0.0 {
            return Ok(());
        }
        let mut at = 0.0;
        let mut remaining = rate * seconds;
        while self.left < remaining {
            at += self.left / rate;
            remaining -= self.left;
            self.left = rng.exponential();
            // Whole nanoseconds, never past the span.
            let offset = ((at * 1e9) as i64).min((seconds * 1e9) as i64 - 1);
            arrive(rng, offset)?;
        }
        self.left -= remaining;
        Ok(())
    }
}

/// A print: price in cents, whole contracts or shares, venue, conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Print {
    pub price: i64,
    pub size: u64,
    pub venue: u16,
    pub conditions: [u16; 4],
}

/// An option trade against the current market.
pub fn option_print(
    rng: &mut Rng,
    market: &Market,
    ticks: Ticks,
    mean_size: f64,
    venues: &Venues,
) -> Print {
    let side = rng.uniform();
    let price = if side < 0.47 || market.bid == 0 {
        market.ask
    } else if side < 0.94 {
        market.bid
    } else {
        // Inside the spread, on the grid.
        let mid = ticks.floor((market.bid + market.ask) as f64 * CENT / 2.0);
        mid.clamp(market.bid, market.ask)
    };
    let mut size = 1 + (rng.exponential() * (mean_size - 1.0).max(0.0)).floor() as u64;
    if rng.chance(0.01) {
        size *= 20;
    }
    let kind = rng.weighted(&[55.0, 25.0, 10.0, 5.0, 3.0, 2.0]);
    let code = [
        condition::REGULAR,
        condition::AUTO_EXECUTION,
        condition::MULTI_LEG_ELECTRONIC,
        condition::INTERMARKET_SWEEP,
        condition::SINGLE_LEG_AUCTION,
        condition::MULTI_LEG_FLOOR,
    ][kind];
    Print {
        price,
        size,
        venue: venues.pick(rng),
        conditions: [code, condition::NONE, condition::NONE, condition::NONE],
    }
}

/// The stock exchanges and reporting facility, weighted.
fn stock_venues() -> &'static Venues {
    static VENUES: std::sync::OnceLock<Venues> = std::sync::OnceLock::new();
    VENUES.get_or_init(|| Venues::new(venue::STOCK_EXCHANGES))
}

/// A stock's national best bid and offer around a mid price, in cents and shares.
pub fn stock_market(
    rng: &mut Rng,
    mid: f64,
    spread_cents: f64,
    lots: f64,
    last: &Market,
) -> Market {
    let widen = if rng.chance(0.08) {
        1 + rng.below(2) as i64
    } else {
        0
    };
    let spread = (spread_cents.round() as i64).max(1) + widen;
    let bid = ((mid / CENT) - spread as f64 / 2.0).round() as i64;
    let ask = bid + spread;
    let mut market = *last;
    market.bid = bid;
    market.ask = ask;
    if bid != last.bid || last.bid_size == 0 || rng.chance(0.05) {
        market.bid_size = 100 * round_size(rng, lots);
        if last.bid_venue == 0 || rng.chance(0.5) {
            market.bid_venue = stock_venues().pick(rng);
        }
    }
    if ask != last.ask || last.ask_size == 0 || rng.chance(0.05) {
        market.ask_size = 100 * round_size(rng, lots);
        if last.ask_venue == 0 || rng.chance(0.5) {
            market.ask_venue = stock_venues().pick(rng);
        }
    }
    market
}

/// A stock trade against the current market.
pub fn stock_print(rng: &mut Rng, market: &Market) -> Print {
    let price = if rng.chance(0.5) {
        market.ask
    } else {
        market.bid
    };
    let round_lots = rng.chance(0.7);
    let size = if round_lots {
        100 * (1 + (rng.exponential() * 2.0) as u64)
    } else {
        1 + rng.below(99)
    };
    let mut conditions = [condition::NONE; 4];
    conditions[0] = if size < 100 {
        condition::ODD_LOT
    } else if rng.chance(0.1) {
        condition::INTERMARKET_SWEEP
    } else {
        condition::REGULAR
    };
    Print {
        price,
        size,
        venue: stock_venues().pick(rng),
        conditions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_follow_each_rule() {
        let index = Ticks::Index;
        assert_eq!(index.floor(2.97), 295);
        assert_eq!(index.ceil(2.96), 300);
        assert_eq!(index.floor(3.17), 310);
        assert_eq!(index.ceil(3.01), 310);
        assert_eq!(index.floor(0.04), 0);
        assert_eq!(Ticks::Penny.floor(0.3), 30);
        assert_eq!(index.ceil(0.001), 5);
        assert_eq!(Ticks::PennyInterval.ceil(3.01), 305);
        assert_eq!(Ticks::PennyInterval.floor(2.999), 299);
        assert_eq!(Ticks::Penny.ceil(12.341), 1235);
        for cents in [0, 5, 295, 300, 310] {
            assert!(index.on_grid(cents));
        }
        assert!(!index.on_grid(305));
    }

    #[test]
    fn quotes_are_on_the_grid_and_never_locked_or_crossed() {
        let mut rng = Rng::stream(&[1]);
        let mut quoter = Quoter::new(Ticks::Index, 0.05, 0.012, 25.0, Venues::new(&[venue::CBOE]));
        for i in 0..20_000 {
            let theo = 0.001 + (i as f64 * 0.37) % 80.0;
            let m = quoter.quote(&mut rng, theo, 0.3, Quoter::open_widening(i as f64));
            assert!(
                Ticks::Index.on_grid(m.bid) && Ticks::Index.on_grid(m.ask),
                "{m:?}"
            );
            assert!(m.ask > m.bid, "{m:?} for {theo}");
            assert!(
                m.bid as f64 * 0.01 <= theo + 1e-9 && theo <= m.ask as f64 * 0.01 + 1e-9,
                "{m:?} for {theo}"
            );
            assert!(m.bid > 0 || m.bid_size == 0);
            assert!(m.ask_size > 0);
        }
    }
}
