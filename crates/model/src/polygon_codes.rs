//! Polygon/Massive venue and condition IDs, mapped into the codes the tape stores (ThetaData's
//! numbering, see [`crate::venues`]) for importers, and back out for the faces that speak
//! Polygon's numbering (CuteMarkets, the Polygon-style aliases).
//!
//! Sources, read in 2026 and written down here as tables rather than fetched at run time:
//!
//! - **Polygon IDs.** Polygon publishes its numbering through its reference endpoints,
//!   `GET /v3/reference/exchanges?asset_class=options|stocks` and
//!   `GET /v3/reference/conditions?asset_class=options|stocks&data_type=trade`. The option venue
//!   IDs are 300 plus the position of the venue's OPRA participant letter in the alphabet
//!   (300 = A NYSE American ... 325 = Z Cboe BZX); the stock IDs follow the CTA/UTP participant
//!   list (1 = A NYSE American, 10 = N NYSE, 12 = Q Nasdaq, ...), with FINRA's trade reporting
//!   facilities told apart by `trf_id` (201 NYSE TRF, 202 and 203 Nasdaq TRF Carteret and
//!   Chicago). The options conditions endpoint returns 33 IDs: 201-210 (cancels, late reports,
//!   automatic execution, reopening), 219 (intermarket sweep) and 227-248, which follow OPRA's
//!   trade-condition letters `a` through `v` in order (SLAN ... EXHT); real files carry mostly
//!   209, 227 and 232. The stock condition IDs 0-57 are Polygon's sale-condition list (its
//!   client libraries carry the same numbering as an enum: 0 regular, 12 Form T, 14 intermarket
//!   sweep, 37 odd lot, ...).
//! - **Our codes.** ThetaData's exchange list (docs.thetadata.us, "Exchanges": 1 Nasdaq, 3 NYSE,
//!   4 NYSE American, 5 Cboe, ..., 46 MIAX Emerald, 47 Nasdaq BX, 57/59 the Nasdaq and NYSE
//!   TRFs, 60 Cboe BZX, 63 BYX, 64 EDGA, 65 EDGX, 68 IEX, 69 MIAX Pearl, 73 MEMX, 75 LTSE,
//!   76 MIAX Sapphire, 77 24X) and its trade-condition list ("Trade Conditions": 0 regular ...
//!   148 extended-hours trade, the OPRA multi-leg family at 125-147).
//!
//! Anything not in a table maps to `venue::UNKNOWN` or `condition::UNKNOWN`; the original ID is
//! not kept. Where several Polygon IDs map to one of our codes, our code maps back to the first
//! of them. Update these tables when Polygon adds an ID (its endpoints list them all).

use crate::venues::{Condition, Venue, condition, venue};

/// Polygon option venue ID → our venue, with the venue's name for reference.
const OPTION_VENUES: &[(i64, Venue, &str)] = &[
    (300, venue::NYSE_AMERICAN, "NYSE American Options (A)"),
    (301, venue::BOX, "BOX Options (B)"),
    (302, venue::CBOE, "Cboe Options (C)"),
    (303, 46, "MIAX Emerald (D)"),
    (304, venue::CBOE_EDGX, "Cboe EDGX Options (E)"),
    (307, venue::ISE_GEMINI, "Nasdaq GEMX (H)"),
    (308, venue::ISE, "Nasdaq ISE (I)"),
    (309, venue::ISE_MERCURY, "Nasdaq MRX (J)"),
    (312, venue::MIAX, "MIAX Options (M)"),
    (313, venue::NYSE_ARCA, "NYSE Arca Options (N)"),
    (314, venue::OPRA, "OPRA itself (O)"),
    (315, venue::MIAX_PEARL, "MIAX Pearl Options (P)"),
    (316, venue::NASDAQ, "Nasdaq Options Market (Q)"),
    (318, 76, "MIAX Sapphire (S)"),
    (319, venue::NASDAQ_BX, "Nasdaq BX Options (T)"),
    (320, venue::MEMX, "MEMX Options (U)"),
    (322, venue::CBOE_C2, "Cboe C2 (W)"),
    (323, venue::PHLX, "Nasdaq PHLX (X)"),
    (325, venue::CBOE_BZX, "Cboe BZX Options (Z)"),
];

/// Polygon stock venue ID → our venue.
const STOCK_VENUES: &[(i64, Venue, &str)] = &[
    (1, venue::NYSE_AMERICAN, "NYSE American (A)"),
    (2, venue::NASDAQ_BX, "Nasdaq BX (B)"),
    (
        3,
        8,
        "NYSE National (C), formerly the National Stock Exchange",
    ),
    (
        4,
        2,
        "FINRA Alternative Display Facility (D) when no trf_id says otherwise",
    ),
    (6, venue::ISE, "Nasdaq ISE (I)"),
    (7, 64, "Cboe EDGA (J)"),
    (8, venue::CBOE_EDGX, "Cboe EDGX (K)"),
    (
        9,
        17,
        "NYSE Chicago (M), formerly the Chicago Stock Exchange",
    ),
    (10, venue::NYSE, "New York Stock Exchange (N)"),
    (11, venue::NYSE_ARCA, "NYSE Arca (P)"),
    (12, venue::NASDAQ, "Nasdaq (Q)"),
    (14, 75, "Long-Term Stock Exchange (L)"),
    (15, venue::IEX, "Investors Exchange (V)"),
    (16, venue::CBOE, "Cboe Stock Exchange (W)"),
    (17, venue::PHLX, "Nasdaq PSX (X)"),
    (18, 63, "Cboe BYX (Y)"),
    (19, venue::CBOE_BZX, "Cboe BZX (Z)"),
    (20, venue::MIAX_PEARL, "MIAX Pearl Equities (H)"),
    (21, venue::MEMX, "Members Exchange (U)"),
    (22, 77, "24X National Exchange"),
    (62, 62, "OTC equity securities"),
];

/// FINRA trade reporting facilities, by Polygon `trf_id`.
const TRFS: &[(i64, Venue, &str)] = &[
    (201, 59, "FINRA NYSE TRF"),
    (202, venue::FINRA_NASDAQ_TRF, "FINRA Nasdaq TRF Carteret"),
    (203, venue::FINRA_NASDAQ_TRF, "FINRA Nasdaq TRF Chicago"),
];

/// Polygon option trade condition ID → our condition (OPRA letter and mnemonic noted).
const OPTION_CONDITIONS: &[(i64, Condition, &str)] = &[
    (201, condition::CANCELLED, "A CANC cancelled"),
    (
        202,
        condition::OUT_OF_SEQUENCE,
        "B OSEQ late and out of sequence",
    ),
    (203, 41, "C CNCL last and cancelled"),
    (204, 13, "D LATE late, in sequence"),
    (205, 42, "E CNCO opening trade and cancelled"),
    (206, 6, "F OPEN opening trade, late and out of sequence"),
    (207, 43, "G CNOL only trade and cancelled"),
    (
        208,
        condition::OPEN_REPORT_LATE,
        "H OPNL opening trade and late",
    ),
    (209, condition::AUTO_EXECUTION, "I AUTO automatic execution"),
    (210, 21, "J REOP reopening trade"),
    (
        219,
        condition::INTERMARKET_SWEEP,
        "S ISOI intermarket sweep order",
    ),
    (
        227,
        condition::SINGLE_LEG_AUCTION,
        "a SLAN single-leg auction, non-ISO",
    ),
    (228, 126, "b SLAI single-leg auction, ISO"),
    (
        229,
        condition::SINGLE_LEG_CROSS,
        "c SLCN single-leg cross, non-ISO",
    ),
    (230, 128, "d SLCI single-leg cross, ISO"),
    (
        231,
        condition::SINGLE_LEG_FLOOR,
        "e SLFT single-leg floor trade",
    ),
    (
        232,
        condition::MULTI_LEG_ELECTRONIC,
        "f MLET multi-leg auto-electronic",
    ),
    (
        233,
        condition::MULTI_LEG_AUCTION,
        "g MLAT multi-leg auction",
    ),
    (234, condition::MULTI_LEG_CROSS, "h MLCT multi-leg cross"),
    (
        235,
        condition::MULTI_LEG_FLOOR,
        "i MLFT multi-leg floor trade",
    ),
    (
        236,
        134,
        "j MESL multi-leg auto-electronic against single legs",
    ),
    (237, 135, "k TLAT stock-options auction"),
    (238, 136, "l MASL multi-leg auction against single legs"),
    (239, 137, "m MFSL multi-leg floor trade against single legs"),
    (
        240,
        condition::STOCK_OPTION_ELECTRONIC,
        "n TLET stock-options auto-electronic",
    ),
    (241, 139, "o TLCT stock-options cross"),
    (242, 140, "p TLFT stock-options floor trade"),
    (
        243,
        141,
        "q TESL stock-options auto-electronic against single legs",
    ),
    (244, 142, "r TASL stock-options auction against single legs"),
    (
        245,
        143,
        "s TFSL stock-options floor trade against single legs",
    ),
    (
        246,
        144,
        "t CBMO multi-leg floor trade of proprietary products",
    ),
    (
        247,
        147,
        "u MCTP multilateral compression trade of proprietary products",
    ),
    (248, 148, "v EXHT extended-hours trade"),
];

/// Polygon stock trade condition ID → our condition.
const STOCK_CONDITIONS: &[(i64, Condition, &str)] = &[
    (0, condition::REGULAR, "regular sale"),
    (1, 22, "acquisition"),
    (2, 3, "average price trade"),
    (3, condition::AUTO_EXECUTION, "automatic execution"),
    (4, 10, "bunched trade"),
    (5, 15, "bunched sold trade"),
    (6, 99, "CAP election"),
    (7, 11, "cash sale"),
    (8, 98, "closing prints"),
    (9, 45, "cross trade"),
    (10, 96, "derivatively priced"),
    (11, 30, "distribution"),
    (12, condition::FORM_T, "Form T / extended hours"),
    (13, 65, "extended hours, sold out of sequence"),
    (14, condition::INTERMARKET_SWEEP, "intermarket sweep"),
    (15, 51, "market center official close"),
    (16, 66, "market center official open"),
    (17, 62, "market center opening trade"),
    (18, 97, "market center reopening trade"),
    (19, 98, "market center closing trade"),
    (20, 9, "next day"),
    (21, 104, "price variation trade"),
    (22, 8, "prior reference price"),
    (23, 29, "Rule 155 trade (NYSE American)"),
    (24, 14, "Rule 127 trade (NYSE)"),
    (25, 62, "opening prints"),
    (27, 55, "stopped stock, regular trade"),
    (28, 97, "reopening prints"),
    (29, 12, "seller"),
    (30, 13, "sold last"),
    (31, 56, "sold last and stopped stock"),
    (32, condition::OUT_OF_SEQUENCE, "sold out of sequence"),
    (33, 57, "sold out of sequence and stopped stock"),
    (34, 31, "split trade"),
    (35, 105, "stock option / contingent"),
    (36, 79, "yellow flag regular trade"),
    (37, condition::ODD_LOT, "odd lot trade"),
    (38, 117, "corrected consolidated close"),
    (41, 108, "trade-through exempt"),
    (44, condition::CANCELLED, "cancelled"),
    (52, 105, "contingent trade"),
    (53, 124, "qualified contingent trade"),
];

fn lookup(table: &[(i64, u16, &str)], id: i64, unknown: u16) -> u16 {
    table
        .binary_search_by_key(&id, |(polygon, _, _)| *polygon)
        .map_or(unknown, |i| table[i].1)
}

/// Polygon's ID for one of our codes: the first that maps to it.
fn reverse(table: &[(i64, u16, &str)], code: u16) -> Option<i64> {
    table
        .iter()
        .find(|(_, ours, _)| *ours == code)
        .map(|(polygon, _, _)| *polygon)
}

/// Our venue for a Polygon option venue ID (0, "no venue", stays 0).
pub fn option_venue(id: i64) -> Venue {
    lookup(OPTION_VENUES, id, venue::UNKNOWN)
}

/// Our venue for a Polygon stock venue ID; `trf_id` names the FINRA facility of ID 4 prints.
pub fn stock_venue(id: i64, trf_id: Option<i64>) -> Venue {
    if id == 4
        && let Some(trf) = trf_id.filter(|t| *t != 0)
    {
        return lookup(TRFS, trf, venue::UNKNOWN);
    }
    lookup(STOCK_VENUES, id, venue::UNKNOWN)
}

pub fn option_condition(id: i64) -> Condition {
    lookup(OPTION_CONDITIONS, id, condition::UNKNOWN)
}

pub fn stock_condition(id: i64) -> Condition {
    lookup(STOCK_CONDITIONS, id, condition::UNKNOWN)
}

/// Polygon's option venue ID for one of our venues, if it has one.
pub fn polygon_option_venue(venue: Venue) -> Option<i64> {
    reverse(OPTION_VENUES, venue)
}

/// Polygon's option trade condition ID for one of our conditions, if it has one.
pub fn polygon_option_condition(condition: Condition) -> Option<i64> {
    reverse(OPTION_CONDITIONS, condition)
}

/// Polygon's stock venue ID for one of our venues, and the `trf_id` when it is one of FINRA's
/// trade reporting facilities (reported under ID 4).
pub fn polygon_stock_venue(venue: Venue) -> Option<(i64, Option<i64>)> {
    if let Some(trf) = reverse(TRFS, venue) {
        return Some((4, Some(trf)));
    }
    reverse(STOCK_VENUES, venue).map(|id| (id, None))
}

/// Polygon's stock sale condition ID for one of our conditions, if it has one.
pub fn polygon_stock_condition(condition: Condition) -> Option<i64> {
    reverse(STOCK_CONDITIONS, condition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        for table in [
            OPTION_VENUES,
            STOCK_VENUES,
            TRFS,
            OPTION_CONDITIONS,
            STOCK_CONDITIONS,
        ] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn known_ids_map_and_others_are_unknown() {
        assert_eq!(option_venue(302), venue::CBOE);
        assert_eq!(option_venue(316), venue::NASDAQ);
        assert_eq!(option_venue(0), venue::UNKNOWN);
        assert_eq!(option_venue(399), venue::UNKNOWN);
        assert_eq!(stock_venue(12, None), venue::NASDAQ);
        assert_eq!(stock_venue(4, Some(202)), venue::FINRA_NASDAQ_TRF);
        assert_eq!(stock_venue(4, Some(201)), 59);
        assert_eq!(stock_venue(4, Some(0)), 2);
        assert_eq!(option_condition(209), condition::AUTO_EXECUTION);
        assert_eq!(option_condition(232), condition::MULTI_LEG_ELECTRONIC);
        assert_eq!(option_condition(999), condition::UNKNOWN);
        assert_eq!(stock_condition(37), condition::ODD_LOT);
        assert_eq!(stock_condition(12), condition::FORM_T);
        assert_eq!(stock_condition(-1), condition::UNKNOWN);
    }

    #[test]
    fn our_codes_map_back_to_polygons() {
        for (id, ours, _) in OPTION_VENUES {
            assert_eq!(
                option_venue(polygon_option_venue(*ours).unwrap()),
                *ours,
                "{id}"
            );
        }
        for (id, ours, _) in OPTION_CONDITIONS {
            assert_eq!(
                option_condition(polygon_option_condition(*ours).unwrap()),
                *ours,
                "{id}"
            );
        }
        assert_eq!(polygon_option_venue(venue::CBOE), Some(302));
        assert_eq!(
            polygon_option_condition(condition::AUTO_EXECUTION),
            Some(209)
        );
        assert_eq!(polygon_option_venue(venue::UNKNOWN), None);
    }

    #[test]
    fn stock_codes_map_back_to_polygons() {
        for (id, ours, _) in STOCK_VENUES.iter().chain(TRFS) {
            let (back, trf) = polygon_stock_venue(*ours).unwrap();
            assert_eq!(stock_venue(back, trf), *ours, "{id}");
        }
        for (id, ours, _) in STOCK_CONDITIONS {
            assert_eq!(
                stock_condition(polygon_stock_condition(*ours).unwrap()),
                *ours,
                "{id}"
            );
        }
        assert_eq!(polygon_stock_venue(venue::NASDAQ), Some((12, None)));
        assert_eq!(
            polygon_stock_venue(venue::FINRA_NASDAQ_TRF),
            Some((4, Some(202)))
        );
        assert_eq!(polygon_stock_condition(condition::ODD_LOT), Some(37));
        assert_eq!(polygon_stock_venue(venue::UNKNOWN), None);
    }
}
