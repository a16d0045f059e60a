//! A simulation through the engine alone, over a table of quotes: the worked examples of the
//! simulator spec's Appendix A, clock travel, settlement and the checks that need a market.

use engine::account::{Account, Simulation};
use engine::ledger::{Placed, Status};
use engine::market::QuoteTable;
use engine::order::{LegRequest, OrderRequest};
use engine::placement::{Desk, PlaceError};
use engine::transaction::Kind;
use jiff::civil::{Date, date};
use model::Timestamp;
use model::fees::FeeSchedule;
use model::order::{Direction, Instrument, PriceEffect};
use proptest::prelude::*;
use rust_decimal::{Decimal, dec};
use uuid::Uuid;

const DAY: Date = date(2025, 1, 15);
const C5950: &str = "SPXW  250115C05950000";
const C5970: &str = "SPXW  250115C05970000";
const P5900: &str = "SPXW  250115P05900000";
const P5880: &str = "SPXW  250115P05880000";
const P5950: &str = "SPXW  250115P05950000";

/// 2025-01-15 at `hh:mm:ss` UTC.
fn utc(hh: i64, mm: i64, ss: i64) -> Timestamp {
    Timestamp::from_seconds(1_736_899_200 + hh * 3600 + mm * 60 + ss)
}

fn instrument(text: &str) -> Instrument {
    engine::order::parse_instrument(text).unwrap()
}

/// The session of the examples: the 5950/5970 calls from 14:31 (the 5950 call marked up at
/// 14:40), the 5900/5880 puts whose spread reaches 1.80 credit at 14:50:00.4.
fn market() -> QuoteTable {
    let mut table = QuoteTable::default();
    let mut quote = |symbol: &str, at: Timestamp, bid: Decimal, ask: Decimal| {
        table.quote(&instrument(symbol), at, bid, ask)
    };
    quote(C5950, utc(14, 31, 0), dec!(4.20), dec!(4.40));
    quote(C5950, utc(14, 40, 0), dec!(4.30), dec!(4.40));
    quote(C5970, utc(14, 31, 0), dec!(3.20), dec!(3.30));
    quote(P5900, utc(14, 31, 0), dec!(3.00), dec!(3.10));
    quote(
        P5900,
        Timestamp::from_nanos(utc(14, 50, 0).as_nanos() + 400_000_000),
        dec!(3.50),
        dec!(3.60),
    );
    quote(P5880, utc(14, 31, 0), dec!(1.70), dec!(1.80));
    quote(P5950, utc(14, 31, 0), dec!(20.00), dec!(20.40));
    table.delta(&instrument(C5950), dec!(0.523));
    table.close_at(dec!(5962.40));
    table
}

fn simulation(capital: Decimal) -> Simulation<'static> {
    Simulation {
        id: Uuid::from_u128(42),
        date: DAY,
        start: utc(14, 30, 0),
        end: utc(21, 0, 0),
        starting_capital: capital,
        schedule: &FeeSchedule::PLATFORM_DEFAULT,
    }
}

fn request(
    kind: &str,
    price: Option<&str>,
    effect: Option<&str>,
    legs: &[(&str, &str, u32)],
) -> OrderRequest {
    OrderRequest {
        order_type: kind.into(),
        price: price.map(str::to_string),
        price_effect: effect.map(str::to_string),
        stop_trigger: None,
        legs: legs
            .iter()
            .map(|(instrument, action, quantity)| LegRequest {
                instrument: instrument.to_string(),
                quantity: quantity.to_string(),
                action: action.to_string(),
            })
            .collect(),
    }
}

fn debit_vertical() -> OrderRequest {
    request(
        "limit",
        Some("1.05"),
        Some("debit"),
        &[(C5950, "buy to open", 1), (C5970, "sell to open", 1)],
    )
}

fn credit_put_vertical() -> OrderRequest {
    request(
        "limit",
        Some("1.50"),
        Some("credit"),
        &[(P5900, "sell to open", 1), (P5880, "buy to open", 1)],
    )
}

/// A ledger and the clock, driven like the simulator drives it.
struct Run {
    simulation: Simulation<'static>,
    market: QuoteTable,
    ledger: Vec<Placed>,
}

impl Run {
    fn new(capital: Decimal) -> Run {
        Run {
            simulation: simulation(capital),
            market: market(),
            ledger: Vec::new(),
        }
    }

    fn place(
        &mut self,
        at: Timestamp,
        request: OrderRequest,
    ) -> Result<engine::placement::Placement, PlaceError> {
        let order = request.check().map_err(PlaceError::Refused)?;
        let desk = Desk {
            simulation: &self.simulation,
            underlying: "SPX",
            ledger: &self.ledger,
            clock: at,
            market: &self.market,
        };
        let id = Uuid::from_u128(self.ledger.len() as u128 + 1);
        let placement = desk.place(id, order, Decimal::ZERO)?;
        self.ledger.push(placement.placed.clone());
        Ok(placement)
    }

    fn refusal(&mut self, at: Timestamp, request: OrderRequest) -> String {
        match self.place(at, request) {
            Err(PlaceError::Refused(reason)) => reason.0,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn at(&self, clock: Timestamp) -> Account {
        Account::at(&self.simulation, &self.ledger, clock, &self.market)
            .and_then(|account| account.with_deltas(&self.market))
            .unwrap()
    }
}

#[test]
fn a1_a_debit_vertical_at_its_mid_fills_at_placement() {
    let mut run = Run::new(dec!(100000));
    let placement = run.place(utc(14, 35, 0), debit_vertical()).unwrap();
    let fill = placement.placed.fill.clone().unwrap();
    assert_eq!(fill.at, utc(14, 35, 0));
    assert_eq!(
        (fill.net.price(), fill.net.effect()),
        (dec!(1.05), PriceEffect::Debit)
    );
    assert_eq!(
        placement.placed.status(utc(14, 35, 0), run.simulation.end),
        Status::Filled
    );
    let effect = placement.effect;
    assert_eq!(
        (
            effect.margin_change,
            effect.change,
            effect.current,
            effect.new
        ),
        (dec!(0), dec!(108.44), dec!(100000), dec!(99891.56))
    );
    let account = run.at(utc(14, 35, 0));
    let legs: Vec<_> = account
        .transactions
        .iter()
        .map(|t| (t.kind.as_str(), t.price.unwrap(), t.value.unwrap(), t.fees))
        .collect();
    assert_eq!(
        legs,
        [
            ("buy to open", dec!(430), dec!(430), dec!(1.72)),
            ("sell to open", dec!(325), dec!(-325), dec!(1.72)),
        ]
    );
    let f = account.financials;
    assert_eq!(
        (
            f.total.debits,
            f.total.credits,
            f.total.fees,
            f.total.maintenance,
            f.available
        ),
        (dec!(430), dec!(325), dec!(3.44), dec!(0), dec!(99891.56))
    );
    assert_eq!(
        f.equities,
        Default::default(),
        "an options-only book has no equity measures"
    );
}

#[test]
fn a2_a_long_call_marked_later() {
    let mut run = Run::new(dec!(100000));
    run.place(
        utc(14, 35, 0),
        request(
            "limit",
            Some("4.30"),
            Some("debit"),
            &[(C5950, "buy to open", 1)],
        ),
    )
    .unwrap();
    let account = run.at(utc(14, 40, 0));
    let [position] = account.positions.as_slice() else {
        panic!("one position expected: {:?}", account.positions)
    };
    assert_eq!(position.direction, Direction::Long);
    assert_eq!(
        (
            position.cost,
            position.cost_basis,
            position.debit,
            position.credit,
            position.unrealized,
            position.realized,
            position.fees,
            position.total,
            position.net_liquidity,
            position.mark,
            position.delta
        ),
        (
            dec!(431.72),
            dec!(430),
            dec!(430),
            dec!(0),
            dec!(5),
            dec!(0),
            dec!(1.72),
            dec!(3.28),
            dec!(435),
            dec!(4.35),
            Some(dec!(0.523))
        )
    );
    assert_eq!(position.id.get_version_num(), 5);
    assert_eq!(
        run.at(utc(14, 40, 0)).positions[0].id,
        position.id,
        "ids are stable"
    );
}

#[test]
fn a3_a_pending_credit_vertical_fills_when_the_clock_passes_its_second_and_reverts() {
    let mut run = Run::new(dec!(100000));
    let placement = run.place(utc(14, 35, 0), credit_put_vertical()).unwrap();
    let effect = placement.effect;
    assert_eq!(
        (
            effect.margin_change,
            effect.change,
            effect.current,
            effect.new
        ),
        (dec!(2000), dec!(1853.44), dec!(100000), dec!(98146.56))
    );
    let fill = placement
        .placed
        .fill
        .clone()
        .expect("the spread reaches 1.80 later");
    // The quote arrives at 14:50:00.4 and is first seen at the next whole second.
    assert_eq!(fill.at, utc(14, 50, 1));
    assert_eq!(
        (fill.net.price(), fill.net.effect()),
        (dec!(1.80), PriceEffect::Credit)
    );

    let before = run.at(utc(14, 50, 0));
    assert_eq!(
        run.ledger[0].status(utc(14, 50, 0), run.simulation.end),
        Status::Pending
    );
    assert!(before.transactions.is_empty());
    assert_eq!(
        before.financials.total.maintenance,
        dec!(2000),
        "pending orders reserve margin"
    );
    assert_eq!(before.financials.available, dec!(98000));

    let after = run.at(utc(14, 50, 1));
    assert_eq!(
        run.ledger[0].status(utc(14, 50, 1), run.simulation.end),
        Status::Filled
    );
    assert_eq!(after.transactions.len(), 2);
    assert_eq!(after.financials.total.fees, dec!(3.44));
    assert_eq!(after.financials.cash, dec!(100000) + dec!(180) - dec!(3.44));

    assert_eq!(
        run.at(utc(14, 50, 0)),
        before,
        "rewinding restores exactly the earlier state"
    );
}

#[test]
fn a7_a_naked_short_put_needs_119000() {
    let mut run = Run::new(dec!(100000));
    let naked = request(
        "limit",
        Some("20.20"),
        Some("credit"),
        &[(P5950, "sell to open", 1)],
    );
    assert_eq!(
        run.refusal(utc(14, 35, 0), naked.clone()),
        "insufficient buying power"
    );
    assert!(run.ledger.is_empty(), "a refusal leaves nothing behind");
    let mut rich = Run::new(dec!(120000));
    let placed = rich.place(utc(14, 35, 0), naked).unwrap();
    assert_eq!(placed.effect.margin_change, dec!(119000));
}

#[test]
fn a8_settlement_at_the_close_and_back() {
    let mut run = Run::new(dec!(100000));
    run.place(utc(14, 35, 0), debit_vertical()).unwrap();
    let closed = run.at(utc(21, 0, 0));
    let settled: Vec<_> = closed
        .transactions
        .iter()
        .filter(|t| t.order_id.is_none())
        .map(|t| {
            (
                t.instrument.to_string(),
                t.kind,
                t.price,
                t.value,
                t.effect,
                t.fees,
            )
        })
        .collect();
    assert_eq!(
        settled,
        [
            (
                C5950.to_string(),
                Kind::Exercise,
                Some(dec!(1240)),
                Some(dec!(-1240)),
                Some(PriceEffect::Credit),
                dec!(5)
            ),
            (
                C5970.to_string(),
                Kind::Expiration,
                None,
                None,
                None,
                dec!(0)
            ),
        ]
    );
    assert!(
        closed.positions.is_empty(),
        "settlement closes every expiring position"
    );
    // 1240 received on an outlay of 105: realized 1135, less 3.44 + 5 of fees.
    assert_eq!(closed.financials.total.realized, dec!(1135));
    assert_eq!(closed.financials.total.profit_loss, dec!(1126.56));
    assert_eq!(closed.financials.net_liquidation_value, dec!(101126.56));
    let rewound = run.at(utc(20, 59, 59));
    assert!(rewound.transactions.iter().all(|t| t.order_id.is_some()));
    assert_eq!(rewound.positions.len(), 2);
}

#[test]
fn an_in_the_money_short_covered_by_its_long_pays_no_exercise_fee_of_its_own() {
    let mut run = Run::new(dec!(100000));
    run.market.close_at(dec!(5980));
    run.place(utc(14, 35, 0), debit_vertical()).unwrap();
    let closed = run.at(utc(21, 0, 0));
    let settled: Vec<_> = closed
        .transactions
        .iter()
        .filter(|t| t.order_id.is_none())
        .map(|t| (t.kind, t.value, t.fees))
        .collect();
    assert_eq!(
        settled,
        [
            (Kind::Exercise, Some(dec!(-3000)), dec!(5)),
            (Kind::Assignment, Some(dec!(1000)), dec!(0)),
        ]
    );
}

#[test]
fn the_market_checks_come_in_the_documented_order() {
    let mut run = Run::new(dec!(100000));
    assert_eq!(
        run.refusal(utc(14, 30, 0), debit_vertical()),
        "no market data for SPXW  250115C05950000 at 2025-01-15T14:30:00Z"
    );
    let mut stop = request("stop", None, Some("debit"), &[(C5950, "buy to open", 1)]);
    stop.stop_trigger = Some("4.40".into());
    assert_eq!(
        run.refusal(utc(14, 35, 0), stop.clone()),
        "stop order would execute immediately"
    );
    stop.stop_trigger = Some("4.00".into());
    let placed = run.place(utc(14, 35, 0), stop).unwrap();
    assert_eq!(placed.placed.fill, None, "the mid never falls to 4.00");
    assert_eq!(
        run.refusal(utc(21, 0, 0), debit_vertical()),
        "simulation has ended"
    );
}

#[test]
fn closing_needs_a_position_and_opening_may_not_go_against_one() {
    let mut run = Run::new(dec!(100000));
    let close = request("market", None, None, &[(C5950, "sell to close", 1)]);
    assert_eq!(
        run.refusal(utc(14, 35, 0), close.clone()),
        "insufficient position to close in SPXW  250115C05950000"
    );
    run.place(
        utc(14, 35, 0),
        request("market", None, None, &[(C5950, "buy to open", 1)]),
    )
    .unwrap();
    assert_eq!(
        run.refusal(
            utc(14, 36, 0),
            request("market", None, None, &[(C5950, "sell to open", 1)])
        ),
        "use a closing action for an existing position in SPXW  250115C05950000"
    );
    // A pending closing order commits the position.
    run.place(
        utc(14, 36, 0),
        request(
            "limit",
            Some("9"),
            Some("credit"),
            &[(C5950, "sell to close", 1)],
        ),
    )
    .unwrap();
    assert_eq!(
        run.refusal(utc(14, 37, 0), close),
        "insufficient position to close in SPXW  250115C05950000"
    );
}

#[test]
fn market_orders_fill_at_the_natural_price_and_a_round_trip_realizes_the_spread() {
    let mut run = Run::new(dec!(100000));
    let bought = run
        .place(
            utc(14, 35, 0),
            request("market", None, None, &[(C5950, "buy to open", 1)]),
        )
        .unwrap();
    assert_eq!(bought.placed.fill.as_ref().unwrap().net.price(), dec!(4.40));
    run.place(
        utc(14, 45, 0),
        request("market", None, None, &[(C5950, "sell to close", 1)]),
    )
    .unwrap();
    let account = run.at(utc(14, 45, 0));
    assert!(account.positions.is_empty());
    // Bought at the ask 4.40, sold at the bid 4.30.
    assert_eq!(account.financials.total.realized, dec!(-10));
    assert_eq!(account.financials.total.fees, dec!(1.72) + dec!(0.72));
}

#[test]
fn equity_options_deliver_shares() {
    let mut run = Run::new(dec!(100000));
    run.simulation.date = DAY;
    let call = "SPY   250115C00590000";
    run.market
        .quote(&instrument(call), utc(14, 31, 0), dec!(1.00), dec!(1.10));
    run.market.close_at(dec!(593.50));
    let desk_request = request("market", None, None, &[(call, "buy to open", 2)]);
    let order = desk_request.check().unwrap();
    let desk = Desk {
        simulation: &run.simulation,
        underlying: "SPY",
        ledger: &run.ledger,
        clock: utc(14, 35, 0),
        market: &run.market,
    };
    let placement = desk
        .place(Uuid::from_u128(7), order, Decimal::ZERO)
        .unwrap();
    run.ledger.push(placement.placed);
    let closed = run.at(utc(21, 0, 0));
    let [position] = closed.positions.as_slice() else {
        panic!("the shares remain: {:?}", closed.positions)
    };
    assert_eq!(position.instrument, Instrument::Equity("SPY".into()));
    assert_eq!(
        (position.direction, position.quantity),
        (Direction::Long, 200)
    );
    assert_eq!(
        position.cost_basis,
        dec!(118000),
        "200 shares bought at the 590 strike"
    );
}

#[test]
fn a_stop_on_shares_triggers_on_the_last_trade_and_fills_at_the_mid() {
    let mut run = Run::new(dec!(100000));
    let spy = Instrument::Equity("SPY".into());
    let at =
        |s: i64, millis: i64| Timestamp::from_nanos(utc(14, 30, s).as_nanos() + millis * 1_000_000);
    run.market
        .quote(&spy, utc(14, 31, 0), dec!(590.10), dec!(590.12));
    run.market
        .quote(&spy, utc(14, 44, 0), dec!(589.20), dec!(589.30));
    run.market.trade(&spy, utc(14, 31, 0), dec!(590.11));
    // Through the trigger for three tenths of a second, back above it before the second ends.
    run.market.trade(&spy, at(600, 500), dec!(589.40));
    run.market.trade(&spy, at(600, 800), dec!(590.00));
    run.market.trade(&spy, at(900, 200), dec!(589.30));
    let stop = |trigger: &str| OrderRequest {
        stop_trigger: Some(trigger.into()),
        ..request("stop", None, Some("debit"), &[("SPY", "buy to open", 10)])
    };
    let order = |trigger: &str| stop(trigger).check().unwrap();
    let desk = |clock| Desk {
        simulation: &run.simulation,
        underlying: "SPY",
        ledger: &[],
        clock,
        market: &run.market,
    };
    match desk(utc(14, 35, 0)).place(Uuid::nil(), order("590.50"), Decimal::ZERO) {
        Err(PlaceError::Refused(reason)) => {
            assert_eq!(
                reason.0, "stop order would execute immediately",
                "last trade 590.11"
            )
        }
        other => panic!("{other:?}"),
    }
    let placed = desk(utc(14, 35, 0))
        .place(Uuid::nil(), order("589.50"), Decimal::ZERO)
        .unwrap()
        .placed;
    let fill = placed
        .fill
        .expect("the trade of 14:45:00.2 reaches the trigger");
    assert_eq!(fill.at, utc(14, 45, 1));
    assert_eq!(
        fill.net,
        engine::fill::Net(dec!(589.25)),
        "the mid then, on the cent grid"
    );
    assert_eq!(fill.leg_prices, [dec!(589.25)]);
}

#[test]
fn options_of_another_underlying_or_already_expired_are_refused() {
    let mut run = Run::new(dec!(100000));
    assert_eq!(
        run.refusal(
            utc(14, 35, 0),
            request(
                "market",
                None,
                None,
                &[("SPY   250115C00590000", "buy to open", 1)]
            )
        ),
        "SPY   250115C00590000 is not an option on SPX"
    );
    assert_eq!(
        run.refusal(
            utc(14, 35, 0),
            request(
                "market",
                None,
                None,
                &[("SPXW  250114C05950000", "buy to open", 1)]
            )
        ),
        "SPXW  250114C05950000 expired before 2025-01-15"
    );
    assert_eq!(
        run.refusal(
            utc(14, 35, 0),
            request(
                "limit",
                Some("4.30"),
                Some("credit"),
                &[(C5950, "buy to open", 1)]
            )
        ),
        "price_effect credit does not match buy to open"
    );
}

#[test]
fn the_history_agrees_with_the_account_at_every_second() {
    let mut run = Run::new(dec!(100000));
    run.place(utc(14, 35, 0), debit_vertical()).unwrap();
    run.place(utc(14, 36, 0), credit_put_vertical()).unwrap();
    run.place(
        utc(14, 38, 20),
        request("market", None, None, &[(C5950, "buy to open", 2)]),
    )
    .unwrap();
    run.place(
        utc(15, 0, 0),
        request("market", None, None, &[(C5950, "sell to close", 1)]),
    )
    .unwrap();
    let (start, end) = (run.simulation.start, run.simulation.end);
    let samples =
        engine::history::history(&run.simulation, &run.ledger, start, end, 1, &run.market).unwrap();
    assert_eq!(samples.len(), 23_401, "09:30:00 to 16:00:00 inclusive");
    let interesting = [
        utc(14, 40, 0),
        utc(14, 50, 0),
        utc(14, 50, 1),
        utc(15, 0, 0),
        end,
    ];
    for sample in samples
        .iter()
        .step_by(13)
        .chain(samples.iter().filter(|s| interesting.contains(&s.at)))
    {
        let account = Account::at(&run.simulation, &run.ledger, sample.at, &run.market).unwrap();
        assert_eq!(sample.financials, account.financials, "at {}", sample.at);
    }
    let every_minute = engine::history::history(
        &run.simulation,
        &run.ledger,
        start,
        utc(14, 40, 30),
        60,
        &run.market,
    )
    .unwrap();
    assert_eq!(every_minute.len(), 11);
    assert_eq!(every_minute.last().unwrap().at, utc(14, 40, 0));
    assert_eq!(every_minute[10], samples[600]);
}

#[test]
fn an_order_that_never_filled_reserves_nothing_once_the_session_is_over() {
    let mut run = Run::new(dec!(500000));
    run.place(
        utc(14, 35, 0),
        request("market", None, None, &[(C5950, "buy to open", 1)]),
    )
    .unwrap();
    // The put's mid stays at 20.20: a 25.00 credit is never reached.
    run.place(
        utc(14, 36, 0),
        request(
            "limit",
            Some("25"),
            Some("credit"),
            &[(P5950, "sell to open", 1)],
        ),
    )
    .unwrap();
    let before = run.at(utc(20, 59, 59));
    assert_eq!(before.financials.total.maintenance, dec!(119000));
    let closed = run.at(utc(21, 0, 0));
    assert_eq!(
        run.ledger[1].status(utc(21, 0, 0), run.simulation.end),
        Status::Expired
    );
    assert_eq!(closed.financials.total.maintenance, dec!(0));
}

#[test]
fn a_pending_long_does_not_cover_another_orders_short() {
    let mut run = Run::new(dec!(10000));
    run.place(
        utc(14, 35, 0),
        request(
            "limit",
            Some("1.00"),
            Some("debit"),
            &[(P5950, "buy to open", 1)],
        ),
    )
    .unwrap();
    assert_eq!(
        run.refusal(
            utc(14, 35, 0),
            request(
                "limit",
                Some("3.50"),
                Some("credit"),
                &[(P5900, "sell to open", 1)]
            )
        ),
        "insufficient buying power"
    );
}

#[test]
fn no_order_is_placed_before_orders_already_placed() {
    let mut run = Run::new(dec!(100000));
    run.place(
        utc(14, 50, 0),
        request("market", None, None, &[(C5950, "buy to open", 1)]),
    )
    .unwrap();
    assert_eq!(
        run.refusal(
            utc(14, 40, 0),
            request("market", None, None, &[(C5970, "buy to open", 1)])
        ),
        "orders were placed later than the clock, up to 2025-01-15T14:50:00Z; place new orders \
         from then on, or delete the later orders first"
    );
}

#[test]
fn an_order_filled_before_later_orders_were_placed_cannot_be_deleted_before_them() {
    use engine::ledger::has_dependents;
    let mut run = Run::new(dec!(100000));
    run.place(utc(14, 35, 0), credit_put_vertical()).unwrap(); // fills at 14:50:01
    run.place(
        utc(14, 40, 0),
        request("market", None, None, &[(C5950, "buy to open", 1)]),
    )
    .unwrap();
    run.place(
        utc(14, 45, 0),
        request("market", None, None, &[(C5970, "sell to open", 1)]),
    )
    .unwrap();
    assert!(
        !has_dependents(&run.ledger, 0),
        "later orders saw it pending, not filled"
    );
    assert!(
        has_dependents(&run.ledger, 1),
        "the covered short leaned on the long call"
    );
    assert!(
        !has_dependents(&run.ledger, 2),
        "nothing came after the last"
    );
}

#[test]
fn the_effect_block_agrees_with_the_margin_the_account_then_shows() {
    let mut run = Run::new(dec!(500000));
    run.place(
        utc(14, 35, 0),
        request("market", None, None, &[(P5950, "sell to open", 1)]),
    )
    .unwrap();
    run.place(
        utc(14, 36, 0),
        request(
            "limit",
            Some("0.05"),
            Some("debit"),
            &[(P5900, "buy to open", 1)],
        ),
    )
    .unwrap();
    let placement = run
        .place(
            utc(14, 37, 0),
            request("market", None, None, &[(P5950, "buy to close", 1)]),
        )
        .unwrap();
    let after = run.at(utc(14, 37, 0));
    assert_eq!(placement.effect.new, after.financials.available);
}

#[test]
fn prices_beyond_any_market_are_refused_before_they_can_overflow() {
    let mut run = Run::new(dec!(100000));
    assert_eq!(
        run.refusal(
            utc(14, 35, 0),
            request(
                "limit",
                Some("79228162514264337593543950335"),
                Some("debit"),
                &[(C5950, "buy to open", 1)]
            )
        ),
        "price may be at most 1000000"
    );
    assert_eq!(
        run.refusal(
            utc(14, 35, 0),
            request(
                "limit",
                Some("1.05"),
                Some("debit"),
                &[(C5950, "buy to open", 97), (C5970, "sell to open", 101)]
            )
        ),
        "leg ratios may be at most 100: divide the quantities by a common factor"
    );
}

/// Orders a property test may place: the examples' structures at their limits.
fn any_order() -> impl Strategy<Value = OrderRequest> {
    prop_oneof![
        Just(debit_vertical()),
        Just(credit_put_vertical()),
        Just(request("market", None, None, &[(C5950, "buy to open", 1)])),
        Just(request(
            "limit",
            Some("20.20"),
            Some("credit"),
            &[(P5950, "sell to open", 1)]
        )),
        Just(request(
            "limit",
            Some("3.00"),
            Some("debit"),
            &[(P5900, "buy to open", 2)]
        )),
        Just(request(
            "market",
            None,
            None,
            &[(C5950, "sell to close", 1)]
        )),
        Just(request(
            "limit",
            Some("1.30"),
            Some("debit"),
            &[(P5900, "buy to close", 1), (P5880, "sell to close", 1)]
        )),
    ]
}

fn any_clock() -> impl Strategy<Value = Timestamp> {
    (0i64..=23_400).prop_map(|s| Timestamp::from_seconds(utc(14, 30, 0).as_seconds() + s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Placing orders at increasing clocks: every accepted order leaves buying power positive at
    /// its clock and at every clock after, whatever fills, the ledger only grows, and reading any
    /// clock twice, in any order, gives the same account.
    #[test]
    fn the_account_is_a_function_of_the_ledger_and_the_clock(
        capital in prop_oneof![Just(dec!(5000)), Just(dec!(100000)), Just(dec!(150000))],
        steps in prop::collection::vec((any_order(), 0i64..3600), 1..8),
        reads in prop::collection::vec(any_clock(), 1..6),
    ) {
        let mut run = Run::new(capital);
        let mut clock = utc(14, 31, 0);
        for (request, wait) in steps {
            clock = Timestamp::from_seconds((clock.as_seconds() + wait).min(utc(20, 59, 59).as_seconds()));
            let before = run.ledger.clone();
            match run.place(clock, request) {
                Ok(_) => {
                    prop_assert_eq!(&run.ledger[..before.len()], &before[..]);
                    prop_assert!(run.at(clock).financials.available >= Decimal::ZERO);
                }
                Err(PlaceError::Refused(_)) => prop_assert_eq!(&run.ledger, &before),
                Err(other) => panic!("{other}"),
            }
        }
        let first: Vec<Account> = reads.iter().map(|t| run.at(*t)).collect();
        // Whichever of the pending orders fill, by any clock.
        for account in &first {
            prop_assert!(
                account.financials.available >= Decimal::ZERO,
                "available {} at {}", account.financials.available, account.clock
            );
        }
        let again: Vec<Account> = reads.iter().rev().map(|t| run.at(*t)).collect();
        prop_assert!(first.iter().eq(again.iter().rev()));
    }

    /// A fill is never better for the trader than the mids allow: a debit pays at least the net
    /// mid, a credit receives at most it.
    #[test]
    fn fills_are_never_better_than_the_mid(request in any_order(), at in any_clock()) {
        let mut run = Run::new(dec!(1000000));
        let at = Timestamp::from_seconds(at.as_seconds().max(utc(14, 31, 0).as_seconds()).min(utc(20, 59, 59).as_seconds()));
        if let Ok(placement) = run.place(at, request)
            && let Some(fill) = &placement.placed.fill
        {
            use engine::market::Market;
            let legs = &placement.placed.order.legs;
            let quotes: Vec<_> = legs
                .iter()
                .map(|leg| run.market.quote(&leg.instrument, fill.at).unwrap().unwrap())
                .collect();
            let mid = engine::fill::net_mid(legs, &model::order::ratios(legs), &quotes);
            prop_assert!(fill.net.0 >= mid.0, "fill {:?} better than mid {:?}", fill.net, mid);
        }
    }
}
