//! What a deployment decides: where it is reachable, how it sends e-mail, the plan tables.

use model::{ClockSetting, PlanBook, Timestamp};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Scheme, host and port clients use to reach this server, without a trailing slash. Absolute
    /// URLs in responses (`next_url`) are built on it.
    pub public_url: String,
    /// The data folder: database, outbox, demo credentials.
    pub data_dir: PathBuf,
    pub mail: MailSettings,
    pub plans: PlanBook,
    /// Also accept `Authorization: Bearer <token>` on the simulator face, whose documented form
    /// is the bare token.
    pub simulator_accepts_bearer: bool,
    /// Where "now" comes from for the market (see [`model::market_clock`]).
    pub market_clock: ClockSetting,
    /// Continuously compounded rate that discounts option premiums when snapshots compute
    /// implied volatility and Greeks (the carry itself comes from put-call parity).
    pub risk_free_rate: f64,
    pub column: ColumnSettings,
}

/// The column API's version lifecycle (spec A.10) and the longest date ranges it serves (A.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSettings {
    /// From this instant responses carry `Deprecation: @<unix seconds>`.
    pub deprecated_at: Option<Timestamp>,
    /// Announced in `Sunset`; from this instant every endpoint but health answers 410 `gone`.
    pub sunset_at: Option<Timestamp>,
    /// Sent as `Link: <url>; rel="successor-version"` once deprecated.
    pub successor_url: Option<String>,
    /// Longest `start_date`..=`end_date` in calendar days, both ends counted.
    pub eod_max_days: u32,
    pub intraday_max_days: u32,
    pub trades_max_days: u32,
}

impl Default for ColumnSettings {
    fn default() -> Self {
        ColumnSettings {
            deprecated_at: None,
            sunset_at: None,
            successor_url: None,
            eod_max_days: 3_660,
            intraday_max_days: 31,
            trades_max_days: 31,
        }
    }
}

/// The risk-free rate snapshots use unless configured: near the U.S. Treasury bill yields of
/// 2023-2026, and the rate the demo market is priced at.
pub const DEFAULT_RISK_FREE_RATE: f64 = 0.04;

#[derive(Clone, Debug, Default)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587` (STARTTLS) or `smtps://...` (TLS). Without it, messages are
    /// written to the outbox folder in the data folder and to the log.
    pub smtp_url: Option<String>,
    /// The sender address.
    pub from: String,
}

impl Settings {
    /// Settings for a data folder with everything else at its default.
    pub fn new(public_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        Settings {
            public_url: public_url.into().trim_end_matches('/').to_string(),
            data_dir: data_dir.into(),
            mail: MailSettings {
                smtp_url: None,
                from: "optiontape <noreply@optiontape.local>".to_string(),
            },
            plans: PlanBook::default(),
            simulator_accepts_bearer: false,
            market_clock: ClockSetting::Replay,
            risk_free_rate: DEFAULT_RISK_FREE_RATE,
            column: ColumnSettings::default(),
        }
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    pub fn tape_dir(&self) -> PathBuf {
        tape_dir(&self.data_dir)
    }
}

/// The market data of a data folder: its `tape` folder.
pub fn tape_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("tape")
}
