//! ThetaData's exchange and trade-condition numbering, in and out.
//!
//! The tape stores ThetaData's numbering (see [`crate::venues`]), so the mapping is the identity
//! on the codes ThetaData defines. What this module settles is the edge: which codes are defined,
//! what an importer does with a code outside them, and what the column API (which emits
//! ThetaData's numbers) sends for a venue or condition the numbering has no code for.
//!
//! - **Exchanges.** The codes below are the ones ThetaData's exchange list gives the U.S. option
//!   and stock venues optiontape meets (the same list `polygon_codes` maps Polygon's IDs onto).
//!   Anything else is 0, "unknown / composite", in both directions.
//! - **Conditions.** ThetaData numbers trade conditions densely from 0 (regular sale) to 148
//!   (the last code of its list); anything outside that range is 10000, ThetaData's "unknown".
//!   A trade that carries no condition at all (Databento trades, Polygon prints with an empty
//!   list) is a regular sale, as a blank OPRA condition means, and goes out as 0.

use crate::venues::{Condition, Venue, condition, venue};

/// ThetaData exchange codes optiontape knows, ascending, with the venue each names.
const EXCHANGES: &[(Venue, &str)] = &[
    (venue::NASDAQ, "Nasdaq (options: Nasdaq Options Market)"),
    (2, "FINRA Alternative Display Facility"),
    (venue::NYSE, "New York Stock Exchange"),
    (venue::NYSE_AMERICAN, "NYSE American"),
    (venue::CBOE, "Cboe Options / Cboe Stock Exchange"),
    (venue::ISE, "Nasdaq ISE"),
    (venue::NYSE_ARCA, "NYSE Arca"),
    (8, "NYSE National"),
    (venue::PHLX, "Nasdaq PHLX / PSX"),
    (venue::OPRA, "OPRA, the consolidated options feed"),
    (venue::BOX, "BOX Options"),
    (17, "NYSE Chicago"),
    (venue::ISE_MERCURY, "Nasdaq MRX (ISE Mercury)"),
    (venue::ISE_GEMINI, "Nasdaq GEMX (ISE Gemini)"),
    (venue::CBOE_C2, "Cboe C2"),
    (venue::MIAX, "MIAX Options"),
    (46, "MIAX Emerald"),
    (venue::NASDAQ_BX, "Nasdaq BX"),
    (venue::FINRA_NASDAQ_TRF, "FINRA Nasdaq TRF"),
    (59, "FINRA NYSE TRF"),
    (venue::CBOE_BZX, "Cboe BZX"),
    (62, "OTC equity securities"),
    (63, "Cboe BYX"),
    (64, "Cboe EDGA"),
    (venue::CBOE_EDGX, "Cboe EDGX"),
    (venue::IEX, "Investors Exchange"),
    (venue::MIAX_PEARL, "MIAX Pearl"),
    (venue::MEMX, "Members Exchange"),
    (75, "Long-Term Stock Exchange"),
    (76, "MIAX Sapphire"),
    (77, "24X National Exchange"),
];

/// The last code of ThetaData's trade-condition list.
pub const LAST_CONDITION: Condition = 148;

fn is_exchange(code: Venue) -> bool {
    EXCHANGES.binary_search_by_key(&code, |(c, _)| *c).is_ok()
}

/// The name of a ThetaData exchange code, for listings and logs.
pub fn exchange_name(code: Venue) -> Option<&'static str> {
    EXCHANGES
        .binary_search_by_key(&code, |(c, _)| *c)
        .ok()
        .map(|i| EXCHANGES[i].1)
}

/// Our venue for an exchange code read from a ThetaData file (0 when it defines none).
pub fn venue_from_thetadata(code: i64) -> Venue {
    Venue::try_from(code)
        .ok()
        .filter(|c| is_exchange(*c))
        .unwrap_or(venue::UNKNOWN)
}

/// The ThetaData exchange code of one of our venues (0 when it has none).
pub fn thetadata_exchange(venue: Venue) -> u16 {
    if is_exchange(venue) {
        venue
    } else {
        venue::UNKNOWN
    }
}

/// Our condition for a condition code read from a ThetaData file.
pub fn condition_from_thetadata(code: i64) -> Condition {
    Condition::try_from(code)
        .ok()
        .filter(|c| *c <= LAST_CONDITION)
        .unwrap_or(condition::UNKNOWN)
}

/// The one ThetaData condition code of a trade: its most significant condition, 0 when it has
/// none, 10000 when ThetaData's list has no code for it.
pub fn thetadata_condition(conditions: &[Condition]) -> u16 {
    match conditions.iter().find(|c| **c != condition::NONE) {
        None => condition::REGULAR,
        Some(c) if *c <= LAST_CONDITION => *c,
        Some(_) => condition::UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exchange_table_is_sorted_and_holds_every_named_venue() {
        assert!(EXCHANGES.windows(2).all(|w| w[0].0 < w[1].0));
        for v in venue::OPTION_EXCHANGES.iter().chain(venue::STOCK_EXCHANGES) {
            assert!(is_exchange(*v), "{v}");
        }
        assert!(is_exchange(venue::OPRA));
        assert_eq!(exchange_name(venue::CBOE_C2), Some("Cboe C2"));
        assert_eq!(exchange_name(12), None);
    }

    #[test]
    fn known_codes_pass_both_ways_and_others_become_unknown() {
        for (code, _) in EXCHANGES {
            assert_eq!(
                thetadata_exchange(venue_from_thetadata(i64::from(*code))),
                *code
            );
        }
        for code in [0, 12, 99, 65_535, -1, 1 << 40] {
            assert_eq!(venue_from_thetadata(code), venue::UNKNOWN, "{code}");
        }
        assert_eq!(thetadata_exchange(12), 0);
        for code in 0..=LAST_CONDITION {
            assert_eq!(
                thetadata_condition(&[condition_from_thetadata(i64::from(code))]),
                code
            );
        }
        for code in [149, 10_000, -3, i64::MAX] {
            assert_eq!(condition_from_thetadata(code), condition::UNKNOWN, "{code}");
        }
        assert_eq!(thetadata_condition(&[condition::UNKNOWN]), 10_000);
    }

    #[test]
    fn a_trade_without_conditions_is_a_regular_sale() {
        assert_eq!(
            thetadata_condition(&[condition::NONE; 4]),
            condition::REGULAR
        );
        assert_eq!(thetadata_condition(&[]), condition::REGULAR);
        assert_eq!(
            thetadata_condition(&[condition::INTERMARKET_SWEEP, condition::ODD_LOT]),
            condition::INTERMARKET_SWEEP
        );
    }
}
