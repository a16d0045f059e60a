//! Venue and trade-condition codes.
//!
//! Vendors number venues and conditions differently (Polygon, Databento publishers, ThetaData,
//! OPRA letters). optiontape stores one numbering, ThetaData's, because the column API emits it
//! unchanged; each importer maps its vendor's codes into it and each face maps out of it.

/// A venue code: ThetaData's exchange numbering. 0 is "unknown / composite".
pub type Venue = u16;

pub mod venue {
    use super::Venue;

    pub const UNKNOWN: Venue = 0;
    pub const NASDAQ: Venue = 1;
    pub const NYSE: Venue = 3;
    pub const NYSE_AMERICAN: Venue = 4;
    pub const CBOE: Venue = 5;
    pub const ISE: Venue = 6;
    pub const NYSE_ARCA: Venue = 7;
    pub const PHLX: Venue = 9;
    /// Consolidated options feed (OPRA), for records with no single venue.
    pub const OPRA: Venue = 10;
    pub const BOX: Venue = 11;
    pub const ISE_MERCURY: Venue = 22;
    pub const ISE_GEMINI: Venue = 31;
    pub const CBOE_C2: Venue = 42;
    pub const MIAX: Venue = 43;
    pub const NASDAQ_BX: Venue = 47;
    pub const FINRA_NASDAQ_TRF: Venue = 57;
    pub const CBOE_BZX: Venue = 60;
    pub const CBOE_EDGX: Venue = 65;
    pub const IEX: Venue = 68;
    pub const MIAX_PEARL: Venue = 69;
    pub const MEMX: Venue = 73;

    /// U.S. options exchanges, for generators and validation.
    pub const OPTION_EXCHANGES: &[Venue] = &[
        NASDAQ,
        NYSE_AMERICAN,
        CBOE,
        ISE,
        NYSE_ARCA,
        PHLX,
        BOX,
        ISE_MERCURY,
        ISE_GEMINI,
        CBOE_C2,
        MIAX,
        NASDAQ_BX,
        CBOE_BZX,
        CBOE_EDGX,
        MIAX_PEARL,
        MEMX,
    ];

    /// U.S. stock exchanges and the main off-exchange reporting facility.
    pub const STOCK_EXCHANGES: &[Venue] = &[
        NASDAQ,
        NYSE,
        NYSE_AMERICAN,
        NYSE_ARCA,
        NASDAQ_BX,
        FINRA_NASDAQ_TRF,
        CBOE_BZX,
        CBOE_EDGX,
        IEX,
        MEMX,
    ];
}

/// A trade condition: ThetaData's numbering.
pub type Condition = u16;

pub mod condition {
    use super::Condition;

    /// An empty slot in a trade's condition list.
    pub const NONE: Condition = u16::MAX;
    pub const REGULAR: Condition = 0;
    pub const FORM_T: Condition = 1;
    pub const OUT_OF_SEQUENCE: Condition = 2;
    pub const OPEN_REPORT_LATE: Condition = 5;
    pub const AUTO_EXECUTION: Condition = 18;
    pub const CANCELLED: Condition = 40;
    pub const INTERMARKET_SWEEP: Condition = 95;
    pub const ODD_LOT: Condition = 115;
    pub const SINGLE_LEG_AUCTION: Condition = 125;
    pub const SINGLE_LEG_CROSS: Condition = 127;
    pub const SINGLE_LEG_FLOOR: Condition = 129;
    pub const MULTI_LEG_ELECTRONIC: Condition = 130;
    pub const MULTI_LEG_AUCTION: Condition = 131;
    pub const MULTI_LEG_CROSS: Condition = 132;
    pub const MULTI_LEG_FLOOR: Condition = 133;
    pub const STOCK_OPTION_ELECTRONIC: Condition = 138;
    /// A vendor code with no mapping.
    pub const UNKNOWN: Condition = 10_000;
}
