//! One evaluation of an open paper order (§8.4–§8.7): in session, a good quote, marketable,
//! not an option with a wide spread, and an account that can take the fill. Buys fill at the
//! ask and sales at the bid, the whole remaining quantity at one price; never at the mid, never
//! inside the touch.

use model::Timestamp;
use rust_decimal::{Decimal, dec};

use super::book::gross;
use super::quote::{Freshness, NoFill, Quote, check};
use model::calendar;

use super::request::{Kind, PaperOrder, Side, TimeInForce};

/// Why an order is refused for good (it is stored as `rejected`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    InsufficientBuyingPower,
    ShortSaleNotAllowed,
    NakedOptionSell,
    WideSpread,
    UnknownSymbol,
}

impl Reject {
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::InsufficientBuyingPower => "insufficient_buying_power",
            Reject::ShortSaleNotAllowed => "short_sale_not_allowed",
            Reject::NakedOptionSell => "naked_option_sell",
            Reject::WideSpread => "wide_spread",
            Reject::UnknownSymbol => "unknown_symbol",
        }
    }
}

/// Which side of the quote a fill took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillRule {
    BuyAtAsk,
    SellAtBid,
}

impl FillRule {
    pub fn as_str(self) -> &'static str {
        match self {
            FillRule::BuyAtAsk => "buy_at_ask",
            FillRule::SellAtBid => "sell_at_bid",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Per share (premium per option share).
    pub price: Decimal,
    pub qty: Decimal,
    /// `price × qty × multiplier` to the cent: paid for a buy, received for a sale.
    pub gross: Decimal,
    pub rule: FillRule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Fill(Fill),
    NoFill(NoFill),
    Reject(Reject),
}

/// What the account holds for the order's symbol and in cash, apart from the order itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub cash: Decimal,
    /// Cash reserved by the account's other open buy orders.
    pub reserved_by_others: Decimal,
    /// The position in the order's symbol.
    pub held: Decimal,
}

/// The regular session an evaluation runs in: `[open, close)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub open: Timestamp,
    pub close: Timestamp,
}

/// The wide-spread rule for options: wider than 35 % of the mid and more than five cents.
pub fn is_wide(quote: &Quote) -> bool {
    quote.spread() > dec!(0.05).max(dec!(0.35) * quote.mid())
}

/// Evaluates `order` (its remaining `qty`) at `now` against `quote`.
pub fn evaluate(
    order: &PaperOrder,
    quote: Option<&Quote>,
    now: Timestamp,
    session: Option<Session>,
    account: &Account,
    limits: &Freshness,
) -> Decision {
    let Some(session) = session.filter(|s| s.open <= now && now < s.close) else {
        return Decision::NoFill(NoFill::MarketClosed);
    };
    let option = order.multiplier() > Decimal::ONE;
    if let Err(reason) = check(quote, order.side, option, now, session.open, limits) {
        return Decision::NoFill(reason);
    }
    let Some(quote) = quote else {
        return Decision::NoFill(NoFill::QuoteMissing);
    };
    let (price, rule) = match order.side {
        Side::Buy => (quote.ask, FillRule::BuyAtAsk),
        Side::Sell => (quote.bid, FillRule::SellAtBid),
    };
    if order.kind == Kind::Limit
        && let Some(limit) = order.limit_price
    {
        let marketable = match order.side {
            Side::Buy => price <= limit,
            Side::Sell => price >= limit,
        };
        if !marketable {
            return Decision::NoFill(NoFill::NotMarketable);
        }
    }
    if option && is_wide(quote) {
        return Decision::Reject(Reject::WideSpread);
    }
    let amount = gross(price, order.qty, order.multiplier());
    match order.side {
        Side::Buy if amount > account.cash - account.reserved_by_others => {
            return Decision::Reject(Reject::InsufficientBuyingPower);
        }
        Side::Sell if order.qty > account.held => {
            return Decision::Reject(short_sale(option));
        }
        _ => {}
    }
    Decision::Fill(Fill {
        price: price.normalize(),
        qty: order.qty,
        gross: amount,
        rule,
    })
}

fn short_sale(option: bool) -> Reject {
    if option {
        Reject::NakedOptionSell
    } else {
        Reject::ShortSaleNotAllowed
    }
}

/// The checks at submission (§8.6): a buy must fit the buying power at its limit (a market buy
/// at the latest ask, or nothing when no quote is known) and reserves that much; a sale must
/// not exceed what is held less what other open sales hold. Returns the cash to reserve.
pub fn check_submission(
    order: &PaperOrder,
    latest_ask: Option<Decimal>,
    buying_power: Decimal,
    qty_available: Decimal,
) -> Result<Decimal, Reject> {
    match order.side {
        Side::Buy => {
            let price = match order.kind {
                Kind::Limit => order.limit_price,
                Kind::Market => latest_ask.filter(|ask| *ask > Decimal::ZERO),
            };
            let estimate = price.map_or(Decimal::ZERO, |p| gross(p, order.qty, order.multiplier()));
            if estimate > buying_power {
                return Err(Reject::InsufficientBuyingPower);
            }
            Ok(estimate)
        }
        Side::Sell => {
            if order.qty > qty_available {
                return Err(short_sale(order.multiplier() > Decimal::ONE));
            }
            Ok(Decimal::ZERO)
        }
    }
}

/// What a submission becomes (§7.2 steps 9 and 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Stored as `rejected` with the reason.
    Rejected(Reject),
    /// Open: `new` while the session is open (then evaluated at once), else `accepted` until the
    /// next open; holding `reserved` cash; a day order expiring at `expires_at`, the close of
    /// the session it is for.
    Admitted {
        in_session: bool,
        reserved: Decimal,
        expires_at: Option<Timestamp>,
    },
}

/// Admits `order` submitted at `now`: the account checks of [`check_submission`], then the
/// session it is for (the running one, else the next: today's when it has not opened yet).
pub fn admit(
    order: &PaperOrder,
    latest_ask: Option<Decimal>,
    buying_power: Decimal,
    qty_available: Decimal,
    now: Timestamp,
) -> Admission {
    let reserved = match check_submission(order, latest_ask, buying_power, qty_available) {
        Err(reason) => return Admission::Rejected(reason),
        Ok(reserved) => reserved,
    };
    let today = calendar::new_york_date(now);
    let in_session = calendar::session(today).is_some_and(|s| s.contains(now));
    let target = match calendar::session(today) {
        Some(s) if now < s.close => Some(s),
        _ => calendar::next_session(today),
    };
    Admission::Admitted {
        in_session,
        reserved,
        expires_at: (order.time_in_force == TimeInForce::Day)
            .then(|| target.map(|s| s.close))
            .flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::request::PaperOrderRequest;
    use jiff::civil::date;

    const OPEN: Timestamp = Timestamp::from_seconds(1_779_111_000); // 2026-05-18 13:30 UTC

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_seconds(OPEN.as_seconds() + seconds)
    }

    fn session() -> Option<Session> {
        Some(Session {
            open: OPEN,
            close: at(6 * 3600 + 1800),
        })
    }

    fn order(symbol: &str, side: &str, kind: &str, qty: &str, limit: Option<&str>) -> PaperOrder {
        PaperOrderRequest {
            symbol: Some(symbol.into()),
            qty: Some(qty.into()),
            side: Some(side.into()),
            order_type: Some(kind.into()),
            time_in_force: Some("day".into()),
            limit_price: limit.map(str::to_string),
            ..Default::default()
        }
        .check(date(2026, 5, 18), false)
        .unwrap()
    }

    fn quote(bid: Decimal, ask: Decimal) -> Quote {
        Quote {
            bid,
            ask,
            bid_size: 10,
            ask_size: 10,
            ts: at(59),
        }
    }

    fn cash(amount: Decimal) -> Account {
        Account {
            cash: amount,
            ..Default::default()
        }
    }

    fn run(order: &PaperOrder, quote: Quote, account: Account) -> Decision {
        evaluate(
            order,
            Some(&quote),
            at(60),
            session(),
            &account,
            &Freshness::default(),
        )
    }

    #[test]
    fn scenario_3_a_market_buy_pays_the_ask() {
        let buy = order("AAPL", "buy", "market", "10", None);
        let Decision::Fill(fill) = run(&buy, quote(dec!(190.00), dec!(190.05)), cash(dec!(100000)))
        else {
            panic!("fills");
        };
        assert_eq!(
            (fill.price, fill.gross, fill.rule),
            (dec!(190.05), dec!(1900.5), FillRule::BuyAtAsk)
        );
        assert_eq!(dec!(100000) - fill.gross, dec!(98099.50));
    }

    #[test]
    fn scenario_4_a_limit_waits_until_marketable_and_fills_at_the_ask() {
        let buy = order("AAPL", "buy", "limit", "10", Some("190.00"));
        assert_eq!(
            run(&buy, quote(dec!(190.00), dec!(190.05)), cash(dec!(100000))),
            Decision::NoFill(NoFill::NotMarketable)
        );
        let Decision::Fill(fill) = run(&buy, quote(dec!(189.95), dec!(189.99)), cash(dec!(100000)))
        else {
            panic!("fills");
        };
        assert_eq!(fill.price, dec!(189.99), "at the ask, not at the limit");
    }

    #[test]
    fn scenario_5_no_stock_is_sold_short() {
        let sell = order("AAPL", "sell", "market", "11", None);
        assert_eq!(
            check_submission(&sell, None, dec!(100000), dec!(10)),
            Err(Reject::ShortSaleNotAllowed)
        );
        let held = Account {
            held: dec!(10),
            ..cash(dec!(0))
        };
        assert_eq!(
            run(&sell, quote(dec!(190), dec!(190.05)), held),
            Decision::Reject(Reject::ShortSaleNotAllowed)
        );
    }

    #[test]
    fn scenario_6_and_7_option_fills_and_wide_spreads() {
        let call = order("O:SPY260620C00500000", "buy", "limit", "1", Some("4.25"));
        let Decision::Fill(fill) = run(&call, quote(dec!(4.10), dec!(4.20)), cash(dec!(100000)))
        else {
            panic!("fills");
        };
        assert_eq!((fill.price, fill.gross), (dec!(4.2), dec!(420)));
        let market = order("O:SPY260620C00500000", "buy", "market", "1", None);
        assert_eq!(
            run(&market, quote(dec!(1.00), dec!(1.60)), cash(dec!(100000))),
            Decision::Reject(Reject::WideSpread)
        );
    }

    #[test]
    fn the_documented_spread_examples() {
        for (bid, ask, wide) in [
            (dec!(4.00), dec!(4.50), false),
            (dec!(1.00), dec!(1.60), true),
            (dec!(0.05), dec!(0.10), false),
            (dec!(0.10), dec!(0.20), true),
            (dec!(0.00), dec!(0.05), false),
        ] {
            assert_eq!(is_wide(&quote(bid, ask)), wide, "{bid} x {ask}");
        }
    }

    #[test]
    fn scenario_8_a_naked_option_sale_is_rejected() {
        let sell = order("O:SPY260620C00500000", "sell", "market", "1", None);
        assert_eq!(
            check_submission(&sell, None, dec!(100000), dec!(0)),
            Err(Reject::NakedOptionSell)
        );
    }

    #[test]
    fn buys_must_fit_cash_less_what_other_orders_reserve() {
        let buy = order("AAPL", "buy", "limit", "10", Some("190.05"));
        assert_eq!(
            check_submission(&buy, None, dec!(1900.5), dec!(0)),
            Ok(dec!(1900.5))
        );
        assert_eq!(
            check_submission(&buy, None, dec!(1900.49), dec!(0)),
            Err(Reject::InsufficientBuyingPower)
        );
        let market = order("AAPL", "buy", "market", "10", None);
        assert_eq!(
            check_submission(&market, None, dec!(1), dec!(0)),
            Ok(dec!(0)),
            "no quote known yet"
        );
        let reserved = Account {
            cash: dec!(2000),
            reserved_by_others: dec!(100),
            held: dec!(0),
        };
        assert_eq!(
            run(&buy, quote(dec!(190), dec!(190.05)), reserved),
            Decision::Reject(Reject::InsufficientBuyingPower)
        );
    }

    #[test]
    fn nothing_fills_outside_the_session() {
        let buy = order("AAPL", "buy", "market", "1", None);
        let decision = evaluate(
            &buy,
            Some(&quote(dec!(190), dec!(190.05))),
            at(-60),
            session(),
            &cash(dec!(1000)),
            &Freshness::default(),
        );
        assert_eq!(decision, Decision::NoFill(NoFill::MarketClosed));
    }

    #[test]
    fn an_order_is_for_the_running_session_or_the_next() {
        let buy = order("AAPL", "buy", "limit", "1", Some("150"));
        let admitted = |now| admit(&buy, None, dec!(1000), dec!(0), now);
        let day = date(2026, 11, 27); // the day after Thanksgiving, closing at 13:00
        let close = calendar::session(day).unwrap().close;
        let at = |h, m| calendar::new_york_instant(day, h, m, 0);
        assert_eq!(
            admitted(at(8, 0)),
            Admission::Admitted {
                in_session: false,
                reserved: dec!(150),
                expires_at: Some(close)
            }
        );
        assert_eq!(
            admitted(at(10, 0)),
            Admission::Admitted {
                in_session: true,
                reserved: dec!(150),
                expires_at: Some(close)
            }
        );
        let monday = calendar::session(date(2026, 11, 30)).unwrap().close;
        assert_eq!(
            admitted(at(13, 0)),
            Admission::Admitted {
                in_session: false,
                reserved: dec!(150),
                expires_at: Some(monday)
            }
        );
        assert_eq!(
            admit(&buy, None, dec!(149.99), dec!(0), at(10, 0)),
            Admission::Rejected(Reject::InsufficientBuyingPower)
        );
    }
}
