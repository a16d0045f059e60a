//! Placing an order in a simulation: the checks that need the account and the market (§8.2
//! steps 5 to 7 and ours), the fill at placement or the second it will fill, and the order's
//! effect on buying power.
//!
//! The checks, after [`OrderRequest::check`](crate::order::OrderRequest::check) (steps 1 to 4):
//!
//! 1. the simulation has not ended;
//! 2. every leg trades in this simulation: options on its underlying not yet expired, or the
//!    underlying's shares (bought, never sold short), and not both in one order; a single leg's
//!    `price_effect` agrees with its action;
//! 3. closing legs have the position to close, counting what pending closing orders already
//!    committed; opening legs do not open against a position held the other way;
//! 4. (step 5) every leg has a quote at the clock;
//! 5. (step 6) a stop is not already triggered;
//! 6. (step 7) buying power, projected over every pending order and this one, stays positive.
//!
//! Credits of orders that have not filled yet are not counted in the projection: until they
//! fill, the margin they reserve is all that shows in the account, so counting their credit
//! could accept an order that leaves the available buying power negative.

use model::Timestamp;
use model::grid::Grid;
use model::order::{Action, Instrument, Leg, OrderType, PriceEffect, ratios};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::account::{Account, Simulation};
use crate::buying_power::{Effect, holdings, pending_at, reserved_margin, with_legs};
use crate::fees::order_fees;
use crate::fill::{
    LegQuote, Net, fill_at, leg_prices, limit_fills, natural, net_mid, stop_triggered,
};
use crate::ledger::{Fill, Placed, fill_dollars};
use crate::market::{Market, MarketError, QuoteRange};
use crate::order::{Order, Rejection};

/// Where an order is placed: a simulation's ledger at its clock, over its market.
pub struct Desk<'a> {
    pub simulation: &'a Simulation<'a>,
    /// The simulation's underlying (`SPX`).
    pub underlying: &'a str,
    pub ledger: &'a [Placed],
    pub clock: Timestamp,
    pub market: &'a dyn Market,
}

/// An accepted order and what it does to buying power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub placed: Placed,
    pub effect: Effect,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("{0}")]
    Refused(Rejection),
    #[error(transparent)]
    Market(#[from] MarketError),
}

impl From<Rejection> for PlaceError {
    fn from(rejection: Rejection) -> Self {
        PlaceError::Refused(rejection)
    }
}

fn refuse<T>(reason: impl Into<String>) -> Result<T, PlaceError> {
    Err(PlaceError::Refused(Rejection(reason.into())))
}

impl Desk<'_> {
    /// Checks `order` at the clock and works out its fill. `slippage` is the user's setting;
    /// market orders take none.
    pub fn place(
        &self,
        id: Uuid,
        order: Order,
        slippage: Decimal,
    ) -> Result<Placement, PlaceError> {
        let account = Account::at(self.simulation, self.ledger, self.clock, self.market)?;
        if self.clock >= self.simulation.end {
            return refuse("simulation has ended");
        }
        if let Some(later) = self
            .ledger
            .iter()
            .map(|p| p.placed_at)
            .filter(|t| *t > self.clock)
            .max()
        {
            return refuse(format!(
                "orders were placed later than the clock, up to {}; place new orders from then \
                 on, or delete the later orders first",
                later.to_rfc3339()
            ));
        }
        self.check_instruments(&order)?;
        let pending: Vec<&Placed> =
            pending_at(self.ledger, self.clock, self.simulation.end).collect();
        check_positions(&order, &account, &pending)?;
        let quotes = self.quotes_now(&order.legs)?;
        let effect = order.price_effect.unwrap_or(PriceEffect::Debit);
        if order.order_type == OrderType::Stop
            && let Some((trigger, _)) = order.stop_trigger
            && let Some(reference) = self.stop_reference(&order.legs[0], &quotes[0])?
            && stop_triggered(effect, trigger, reference)
        {
            return refuse("stop order would execute immediately");
        }
        let slippage = match order.order_type {
            OrderType::Market => Decimal::ZERO,
            _ => slippage,
        };
        let pricing = Pricing::of(order.clone(), slippage);
        let now = match order.order_type {
            OrderType::Market => Some(pricing.fill(
                self.clock,
                &quotes,
                natural(&order.legs, &pricing.ratios, &quotes),
            )),
            OrderType::Limit => pricing.fill_when_due(self.clock, &quotes),
            // Not triggered, or it would have been refused.
            OrderType::Stop => None,
        };
        let mut placed = Placed {
            id,
            placed_at: self.clock,
            order,
            slippage,
            fill: now,
        };
        let effect = self.buying_power(&account, &placed)?;
        if placed.fill.is_none() {
            placed.fill = match &placed.order.legs[0].instrument {
                Instrument::Equity(_) if placed.order.order_type == OrderType::Stop => {
                    self.search_share_stop(&pricing)?
                }
                _ => self.search(&pricing, &placed.order.legs)?,
            };
        }
        Ok(Placement { placed, effect })
    }

    fn check_instruments(&self, order: &Order) -> Result<(), PlaceError> {
        let has_equity = order
            .legs
            .iter()
            .any(|leg| leg.instrument.option().is_none());
        if has_equity && order.legs.len() > 1 {
            return refuse("equity legs cannot be combined with other legs in one order");
        }
        for leg in &order.legs {
            match &leg.instrument {
                Instrument::Option(symbol) => {
                    let underlying = model::roots::root_info(symbol.root.as_str()).underlying;
                    if !underlying.eq_ignore_ascii_case(self.underlying) {
                        return refuse(format!(
                            "{} is not an option on {}",
                            leg.instrument, self.underlying
                        ));
                    }
                    if symbol.expiration < self.simulation.date {
                        return refuse(format!(
                            "{} expired before {}",
                            leg.instrument, self.simulation.date
                        ));
                    }
                }
                Instrument::Equity(ticker) => {
                    if !ticker.eq_ignore_ascii_case(self.underlying) {
                        return refuse(format!(
                            "{ticker} is not traded in this simulation of {}",
                            self.underlying
                        ));
                    }
                    if leg.action == Action::SellToOpen {
                        return refuse("short selling stock is not supported");
                    }
                }
            }
        }
        if let ([leg], Some(effect)) = (order.legs.as_slice(), order.price_effect)
            && leg.action.buys() != (effect == PriceEffect::Debit)
        {
            return refuse(format!(
                "price_effect {} does not match {}",
                effect.as_str(),
                leg.action.as_str()
            ));
        }
        Ok(())
    }

    /// Step 5: every leg's quote at the clock.
    fn quotes_now(&self, legs: &[Leg]) -> Result<Vec<LegQuote>, PlaceError> {
        let mut quotes = Vec::with_capacity(legs.len());
        for leg in legs {
            match self.market.quote(&leg.instrument, self.clock)? {
                Some(quote) => quotes.push(quote),
                None => {
                    return refuse(format!(
                        "no market data for {} at {}",
                        leg.instrument,
                        self.clock.to_rfc3339()
                    ));
                }
            }
        }
        Ok(quotes)
    }

    /// Step 7 and the effect block.
    fn buying_power(&self, account: &Account, placed: &Placed) -> Result<Effect, PlaceError> {
        let (effect, projected) = self.assess(account, placed);
        if projected < Decimal::ZERO {
            return refuse("insufficient buying power");
        }
        Ok(effect)
    }

    /// The effect block of an order already in the ledger that is pending at the clock, as if it
    /// were placed now; the desk's ledger must not hold it. Its fill, decided but not yet
    /// reached, is not used: the block would give away its price.
    pub fn pending_effect(&self, placed: &Placed) -> Result<Effect, MarketError> {
        let account = Account::at(self.simulation, self.ledger, self.clock, self.market)?;
        let unfilled = Placed {
            fill: None,
            ..placed.clone()
        };
        Ok(self.assess(&account, &unfilled).0)
    }

    /// The order's effect block, and the buying power projected over every pending order and
    /// this one (§11.4), which must not be negative. Margin is reserved as
    /// [`reserved_margin`] does, for the block and the projection alike.
    fn assess(&self, account: &Account, placed: &Placed) -> (Effect, Decimal) {
        let schedule = self.simulation.schedule;
        let positions = holdings(&account.book);
        let pending: Vec<&Placed> =
            pending_at(self.ledger, self.clock, self.simulation.end).collect();
        let pending_legs = || pending.iter().map(|p| p.order.legs.as_slice());
        let pending_cost: Decimal = pending
            .iter()
            .map(|p| p.projected_dollars().max(Decimal::ZERO) + order_fees(schedule, &p.order.legs))
            .sum();
        let margin_before = reserved_margin(&positions, pending_legs());
        let fees = order_fees(schedule, &placed.order.legs);
        let (premium, margin_after, cost) = match &placed.fill {
            // Filled now: its legs are positions, its premium has moved.
            Some(fill) => {
                let mut filled = positions.clone();
                with_legs(&mut filled, &placed.order.legs);
                let premium = fill_dollars(&placed.order, fill);
                (
                    premium,
                    reserved_margin(&filled, pending_legs()),
                    premium + fees,
                )
            }
            // Pending: it reserves like the others, and a credit counts only once received.
            None => {
                let premium = placed.projected_dollars();
                let after = reserved_margin(
                    &positions,
                    pending_legs().chain([placed.order.legs.as_slice()]),
                );
                (premium, after, premium.max(Decimal::ZERO) + fees)
            }
        };
        let projected = account.financials.cash - pending_cost - cost - margin_after;
        let change = margin_after - margin_before + premium + fees;
        let current = account.financials.available;
        let effect = Effect {
            margin_change: (margin_after - margin_before).normalize(),
            change: change.normalize(),
            current: current.normalize(),
            new: (current - change).normalize(),
        };
        (effect, projected)
    }

    /// What a stop's trigger is compared with: an option's mid, the last trade of shares (`None`
    /// before the session's first trade).
    fn stop_reference(&self, leg: &Leg, quote: &LegQuote) -> Result<Option<Decimal>, PlaceError> {
        Ok(match &leg.instrument {
            Instrument::Option(_) => Some(quote.mid()),
            Instrument::Equity(_) => self.market.last_trade(&leg.instrument, self.clock)?,
        })
    }

    /// A stop on shares: the first second after the clock at which the last trade reaches the
    /// trigger and the shares are quoted, filled at the quote's snapped mid.
    fn search_share_stop(&self, pricing: &Pricing) -> Result<Option<Fill>, PlaceError> {
        let order = &pricing.order;
        let (Some((trigger, _)), Some(effect)) = (&order.stop_trigger, order.price_effect) else {
            return Ok(None);
        };
        let instrument = &order.legs[0].instrument;
        let mut after = self.clock;
        loop {
            let Some(second) = self.market.first_trade_second(
                instrument,
                after,
                self.simulation.end,
                &mut |price| stop_triggered(effect, *trigger, price),
            )?
            else {
                return Ok(None);
            };
            if let Some(quote) = self.market.quote(instrument, second)? {
                return Ok(Some(pricing.fill_at_mid(second, &[quote])));
            }
            after = second;
        }
    }

    /// The first second after the clock, through the close, at which the order fills.
    fn search(&self, pricing: &Pricing, legs: &[Leg]) -> Result<Option<Fill>, PlaceError> {
        let instruments: Vec<Instrument> = legs.iter().map(|leg| leg.instrument.clone()).collect();
        let mut fill = None;
        self.market.first_second(
            &instruments,
            self.clock,
            self.simulation.end,
            &mut |ranges| pricing.could_fill(ranges),
            &mut |at, quotes| {
                let Some(quotes) = quotes.iter().copied().collect::<Option<Vec<LegQuote>>>() else {
                    return false;
                };
                fill = pricing.fill_when_due(at, &quotes);
                fill.is_some()
            },
        )?;
        Ok(fill)
    }
}

/// What a limit or a stop needs to price its fill at a second.
struct Pricing {
    order: Order,
    ratios: Vec<u32>,
    grid: Grid,
    slippage: Decimal,
}

impl Pricing {
    fn of(order: Order, slippage: Decimal) -> Pricing {
        Pricing {
            ratios: ratios(&order.legs),
            grid: Grid::of_order(&order.legs),
            order,
            slippage,
        }
    }

    fn fill(&self, at: Timestamp, quotes: &[LegQuote], net: Net) -> Fill {
        Fill {
            at,
            net,
            leg_prices: leg_prices(&self.order.legs, &self.ratios, quotes, net),
        }
    }

    /// Whether the order could fill somewhere in a stretch where its legs' quotes stay within
    /// `ranges`: at the mids most favourable to the trader (low for what it buys, high for what
    /// it sells), a limit would take the fill, or a stop's trigger is within reach.
    fn could_fill(&self, ranges: &[Option<QuoteRange>]) -> bool {
        let Some(ranges) = ranges.iter().copied().collect::<Option<Vec<QuoteRange>>>() else {
            return true;
        };
        let Some(effect) = self.order.price_effect else {
            return true;
        };
        match self.order.order_type {
            OrderType::Limit => {
                let Some((limit, _)) = &self.order.price else {
                    return true;
                };
                let best = self
                    .order
                    .legs
                    .iter()
                    .zip(&self.ratios)
                    .zip(&ranges)
                    .map(|((leg, ratio), range)| {
                        let (low, high) = range.mids();
                        let mid = if leg.action.buys() { low } else { high };
                        Decimal::from(leg.action.sign() * i64::from(*ratio)) * mid
                    })
                    .sum();
                limit_fills(
                    Net::of(*limit, effect),
                    fill_at(Net(best), self.grid, self.slippage),
                )
            }
            OrderType::Stop => {
                let (Some((trigger, _)), Some(range)) = (&self.order.stop_trigger, ranges.first())
                else {
                    return true;
                };
                let (low, high) = range.mids();
                stop_triggered(effect, *trigger, low) || stop_triggered(effect, *trigger, high)
            }
            OrderType::Market => true,
        }
    }

    /// The fill at `at`: the net mid snapped toward the market maker, with the slippage.
    fn fill_at_mid(&self, at: Timestamp, quotes: &[LegQuote]) -> Fill {
        let net = fill_at(
            net_mid(&self.order.legs, &self.ratios, quotes),
            self.grid,
            self.slippage,
        );
        self.fill(at, quotes, net)
    }

    /// The fill at `at` when the order's condition holds over `quotes`: a limit whose fill is
    /// within its limit, a stop whose trigger the mid has reached.
    fn fill_when_due(&self, at: Timestamp, quotes: &[LegQuote]) -> Option<Fill> {
        let effect = self.order.price_effect?;
        if self.order.order_type == OrderType::Limit
            && let Some((limit, _)) = &self.order.price
        {
            // Snapping only ever moves the fill against the trader, so a limit the mid plus
            // slippage already misses cannot fill. Most seconds of a search stop here, before
            // any division or rounding: twice the mid is a sum of bids and asks.
            let twice_mid: Decimal = self
                .order
                .legs
                .iter()
                .zip(&self.ratios)
                .zip(quotes)
                .map(|((leg, ratio), q)| {
                    Decimal::from(leg.action.sign() * i64::from(*ratio)) * (q.bid + q.ask)
                })
                .sum();
            let reach = Net::of(*limit, effect).0 - self.slippage;
            if twice_mid > reach + reach {
                return None;
            }
        }
        let fill = fill_at(
            net_mid(&self.order.legs, &self.ratios, quotes),
            self.grid,
            self.slippage,
        );
        let due = match self.order.order_type {
            OrderType::Limit => {
                let (limit, _) = self.order.price.as_ref()?;
                limit_fills(Net::of(*limit, effect), fill)
            }
            OrderType::Stop => {
                let (trigger, _) = self.order.stop_trigger.as_ref()?;
                stop_triggered(effect, *trigger, quotes.first()?.mid())
            }
            OrderType::Market => true,
        };
        due.then(|| self.fill(at, quotes, fill))
    }
}

/// Closing legs need the position, less what pending closing orders already committed; opening
/// legs may not go against a position, nor against a pending opening order the other way.
fn check_positions(
    order: &Order,
    account: &Account,
    pending: &[&Placed],
) -> Result<(), PlaceError> {
    let pending_legs = || pending.iter().flat_map(|p| p.order.legs.iter());
    for leg in &order.legs {
        let held = account
            .book
            .open
            .get(&leg.instrument)
            .map_or(0, |lot| lot.quantity);
        if leg.action.opens() {
            let opposed = pending_legs().any(|other| {
                other.instrument == leg.instrument
                    && other.action.opens()
                    && other.action.sign() != leg.action.sign()
            });
            if (held != 0 && held.signum() != leg.action.sign()) || opposed {
                return refuse(format!(
                    "use a closing action for an existing position in {}",
                    leg.instrument
                ));
            }
            continue;
        }
        let committed: i64 = pending_legs()
            .filter(|other| other.instrument == leg.instrument && other.action == leg.action)
            .map(|other| i64::from(other.quantity))
            .sum();
        // Closing moves the position toward zero: a sale closes a long, a purchase a short.
        let closable = (-leg.action.sign() * held).max(0) - committed;
        if closable < i64::from(leg.quantity) {
            return refuse(format!(
                "insufficient position to close in {}",
                leg.instrument
            ));
        }
    }
    Ok(())
}
