//! The symbology, reference data, calendar and expiration rules used together, as a caller
//! outside the crate sees them.

use jiff::civil::date;
use model::calendar::{self, Session};
use model::expirations::{last_trading_day, monthly_expiration, settlement_instant};
use model::{Decimal, OptionSymbol, Right, Settlement, Timestamp, root_info};

fn utc(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[test]
fn an_spx_monthly_from_symbol_to_settlement() {
    let symbol: OptionSymbol = "SPX   250417P05000000".parse().unwrap();
    assert_eq!(symbol.expiration, monthly_expiration(2025, 4));
    assert_eq!(symbol.right, Right::Put);
    assert_eq!(symbol.strike.to_decimal(), Decimal::new(5000, 0));

    let info = root_info(symbol.root.as_str());
    assert_eq!(info.settlement, Settlement::Am);
    assert_eq!(info.underlying, "SPX");

    let last = last_trading_day(symbol.root.as_str(), symbol.expiration).unwrap();
    assert_eq!(last, date(2025, 4, 16));
    let last_session: Session = calendar::session(last).unwrap();
    assert_eq!(
        last_session.extended_options_close(),
        utc("2025-04-16T20:15:00Z")
    );
    assert_eq!(
        settlement_instant(symbol.root.as_str(), symbol.expiration),
        Some(utc("2025-04-17T13:30:00Z"))
    );
}

#[test]
fn a_zero_dte_spxw_settles_at_the_close_it_trades_in() {
    let symbol = OptionSymbol::parse("O:SPXW251128C06800000").unwrap();
    assert_eq!(symbol.osi(), "SPXW  251128C06800000");
    let session = calendar::session(symbol.expiration).unwrap();
    assert!(session.early_close);
    let settles = settlement_instant("SPXW", symbol.expiration).unwrap();
    assert_eq!(settles, session.close);
    assert!(!session.contains(settles));
    assert!(session.contains(settles.minus(std::time::Duration::from_nanos(1))));
    assert_eq!(calendar::ms_of_day(settles), 46_800_000);
}
