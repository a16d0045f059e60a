//! Configuration: flags, then `OPTIONTAPE_*` environment variables, then an optional TOML file,
//! then defaults.

use anyhow::{Context, bail};
use clap::Args;
use model::plans::{ColumnPlan, MarketDataPlan};
use model::{ClockSetting, Plan, PlanBook, Product, Timestamp};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Options shared by every command.
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalOptions {
    /// Data folder: database, outbox, demo credentials [default: ./data]
    #[arg(long, global = true, env = "OPTIONTAPE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the data folder]
    #[arg(
        long,
        global = true,
        env = "OPTIONTAPE_DATABASE_URL",
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// TOML configuration file; flags and environment variables override it
    #[arg(long, global = true, env = "OPTIONTAPE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `serve`.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeOptions {
    /// Address to listen on [default: 127.0.0.1:8000]
    #[arg(long, env = "OPTIONTAPE_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// URL clients use to reach the server, for absolute links [default: derived from --bind]
    #[arg(long, env = "OPTIONTAPE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// SMTP server for e-mail: smtp://USER:PASS@HOST:587 or smtps://... [default: outbox folder]
    #[arg(long, env = "OPTIONTAPE_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Sender address of e-mail
    #[arg(long, env = "OPTIONTAPE_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// Market clock: `replay` (wall-clock time replayed on the latest recorded session) or
    /// `fixed:<RFC 3339 instant>` [default: replay]
    #[arg(long, env = "OPTIONTAPE_MARKET_CLOCK", value_name = "CLOCK")]
    pub market_clock: Option<ClockSetting>,
    /// Sessions of demo market to generate when the data folder has no market data; 0 for none
    /// [default: 20]
    #[arg(long, env = "OPTIONTAPE_DEMO_SESSIONS", value_name = "N")]
    pub demo_sessions: Option<usize>,
    /// Underlyings of the demo market, comma separated [default: SPX,VIX,SPY,QQQ,AAPL,NFLX,TSLA]
    #[arg(
        long,
        env = "OPTIONTAPE_DEMO_UNDERLYINGS",
        value_name = "LIST",
        value_delimiter = ','
    )]
    pub demo_underlyings: Option<Vec<String>>,
}

/// The TOML file. Every key is optional.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<SocketAddr>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub mail: MailFile,
    #[serde(default)]
    pub simulator: SimulatorFile,
    #[serde(default)]
    pub plans: PlansFile,
    /// `replay` or `fixed:<RFC 3339 instant>`.
    pub market_clock: Option<String>,
    #[serde(default)]
    pub demo: DemoFile,
    #[serde(default)]
    pub pricing: PricingFile,
    #[serde(default)]
    pub column: ColumnFile,
}

/// The column API: deprecation of its version and the longest date ranges it serves.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ColumnFile {
    /// RFC 3339 instants.
    pub deprecated_at: Option<String>,
    pub sunset_at: Option<String>,
    pub successor_url: Option<String>,
    pub eod_max_days: Option<u32>,
    pub intraday_max_days: Option<u32>,
    pub trades_max_days: Option<u32>,
}

impl ColumnFile {
    /// The settings this section gives, over the defaults.
    pub fn settings(&self) -> anyhow::Result<server::ColumnSettings> {
        let instant = |name: &str, text: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
            text.as_deref()
                .map(|t| {
                    Timestamp::parse_rfc3339(t).with_context(|| {
                        format!("the config file's column.{name} must be an RFC 3339 instant")
                    })
                })
                .transpose()
        };
        let defaults = server::ColumnSettings::default();
        let days = |name: &str, value: Option<u32>, default: u32| -> anyhow::Result<u32> {
            match value {
                Some(0) => bail!("the config file's column.{name} must be at least 1"),
                Some(days) => Ok(days),
                None => Ok(default),
            }
        };
        Ok(server::ColumnSettings {
            deprecated_at: instant("deprecated_at", &self.deprecated_at)?,
            sunset_at: instant("sunset_at", &self.sunset_at)?,
            successor_url: self.successor_url.clone(),
            eod_max_days: days("eod_max_days", self.eod_max_days, defaults.eod_max_days)?,
            intraday_max_days: days(
                "intraday_max_days",
                self.intraday_max_days,
                defaults.intraday_max_days,
            )?,
            trades_max_days: days(
                "trades_max_days",
                self.trades_max_days,
                defaults.trades_max_days,
            )?,
        })
    }
}

/// Inputs of the implied volatility and Greeks in snapshots.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PricingFile {
    /// Continuously compounded risk-free rate, as a decimal (0.04 is 4 %).
    pub risk_free_rate: Option<f64>,
}

/// The demo market `serve` generates into an empty data folder.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct DemoFile {
    pub sessions: Option<usize>,
    pub underlyings: Option<Vec<String>>,
    pub seed: Option<u64>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct MailFile {
    pub smtp_url: Option<String>,
    pub from: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct SimulatorFile {
    /// Also accept `Authorization: Bearer <token>` on the simulator face.
    #[serde(default)]
    pub accept_bearer: bool,
}

/// Whole plan rows replacing the defaults, e.g. `[plans.options.free]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PlansFile {
    #[serde(default)]
    pub options: BTreeMap<Plan, MarketDataPlan>,
    #[serde(default)]
    pub stocks: BTreeMap<Plan, MarketDataPlan>,
    #[serde(default)]
    pub column: BTreeMap<Plan, ColumnPlan>,
}

impl PlansFile {
    pub fn apply(&self, book: &mut PlanBook) {
        for (product, rows) in [
            (Product::Options, &self.options),
            (Product::Stocks, &self.stocks),
        ] {
            for (plan, row) in rows {
                book.set_market_data(product, *plan, row.clone());
            }
        }
        for (plan, row) in &self.column {
            book.set_column(*plan, row.clone());
        }
    }
}

pub fn load_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is invalid", path.display()))
}

/// Where the data lives, resolved.
pub struct Storage {
    pub data_dir: PathBuf,
    pub database_url: String,
}

pub fn storage(global: &GlobalOptions, file: &FileConfig) -> anyhow::Result<Storage> {
    let data_dir = global
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("data"));
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data folder {}", data_dir.display()))?;
    let database_url = global
        .database_url
        .clone()
        .or_else(|| file.database_url.clone())
        .unwrap_or_else(|| store::Store::sqlite_url_in(&data_dir));
    Ok(Storage {
        data_dir,
        database_url,
    })
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

pub fn market_clock(serve: &ServeOptions, file: &FileConfig) -> anyhow::Result<ClockSetting> {
    if let Some(clock) = serve.market_clock {
        return Ok(clock);
    }
    match &file.market_clock {
        Some(text) => text.parse().context("in the config file's market_clock"),
        None => Ok(ClockSetting::Replay),
    }
}

/// What `serve` generates when the tape is empty.
pub struct DemoMarket {
    pub sessions: usize,
    pub underlyings: Vec<String>,
    pub seed: u64,
}

pub const DEFAULT_DEMO_SESSIONS: usize = 20;
pub const DEFAULT_SEED: u64 = 42;

pub fn demo_market(serve: &ServeOptions, file: &FileConfig) -> DemoMarket {
    DemoMarket {
        sessions: serve
            .demo_sessions
            .or(file.demo.sessions)
            .unwrap_or(DEFAULT_DEMO_SESSIONS),
        underlyings: serve
            .demo_underlyings
            .clone()
            .or_else(|| file.demo.underlyings.clone())
            .unwrap_or_else(|| {
                synth::default_symbols()
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }),
        seed: file.demo.seed.unwrap_or(DEFAULT_SEED),
    }
}

pub fn bind(serve: &ServeOptions, file: &FileConfig) -> SocketAddr {
    serve
        .bind
        .or(file.bind)
        .unwrap_or_else(|| DEFAULT_BIND.parse().expect("default bind address parses"))
}

/// The public URL: as configured, else `http://` and the address actually bound (an unspecified
/// address such as 0.0.0.0 becomes loopback, which at least works on this machine).
pub fn public_url(
    serve: &ServeOptions,
    file: &FileConfig,
    bound: SocketAddr,
) -> anyhow::Result<String> {
    if let Some(url) = serve.public_url.clone().or_else(|| file.public_url.clone()) {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("public URL {url:?} must start with http:// or https://");
        }
        return Ok(url.trim_end_matches('/').to_string());
    }
    let host = match bound.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    Ok(format!("http://{host}:{}", bound.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_follows_the_bound_address() {
        let none = ServeOptions::default();
        let file = FileConfig::default();
        let url = |addr: &str| public_url(&none, &file, addr.parse().unwrap()).unwrap();
        assert_eq!(url("127.0.0.1:8000"), "http://127.0.0.1:8000");
        assert_eq!(url("0.0.0.0:9000"), "http://127.0.0.1:9000");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000");
        let given = ServeOptions {
            public_url: Some("https://lab.example.com/".into()),
            ..Default::default()
        };
        assert_eq!(
            public_url(&given, &file, "127.0.0.1:1".parse().unwrap()).unwrap(),
            "https://lab.example.com"
        );
        let bad = ServeOptions {
            public_url: Some("lab.example.com".into()),
            ..Default::default()
        };
        assert!(public_url(&bad, &file, "127.0.0.1:1".parse().unwrap()).is_err());
    }

    #[test]
    fn config_files_are_strict_and_override_plans() {
        let file: FileConfig = toml::from_str(
            r#"
            bind = "0.0.0.0:9000"
            [plans.column.free]
            monthly = 50
            per_minute = 6
            burst = 2
            [plans.options.free]
            per_minute = 100
            per_day = 1000
            lookback_years = 3
            delayed = true
            quotes = false
            websockets = false
            commercial_use = false
            "#,
        )
        .unwrap();
        let mut book = PlanBook::default();
        file.plans.apply(&mut book);
        assert_eq!(book.column(Plan::Free).unwrap().burst, 2);
        assert_eq!(
            book.market_data(Product::Options, Plan::Free)
                .unwrap()
                .per_minute,
            Some(100)
        );
        let typo = toml::from_str::<FileConfig>("bnd = \"0.0.0.0:1\"").unwrap_err();
        assert!(typo.to_string().contains("unknown field `bnd`"), "{typo}");
    }

    #[test]
    fn the_column_section_sets_deprecation_and_span_limits() {
        let file: FileConfig = toml::from_str(
            r#"
            [column]
            deprecated_at = "2026-01-01T00:00:00Z"
            sunset_at = "2026-07-01T00:00:00Z"
            successor_url = "https://lab.example.com/docs#v2"
            intraday_max_days = 5
            "#,
        )
        .unwrap();
        let column = file.column.settings().unwrap();
        assert_eq!(column.deprecated_at.unwrap().as_seconds(), 1_767_225_600);
        assert_eq!(column.sunset_at.unwrap().as_seconds(), 1_782_864_000);
        assert_eq!(
            column.successor_url.as_deref(),
            Some("https://lab.example.com/docs#v2")
        );
        assert_eq!(
            (
                column.eod_max_days,
                column.intraday_max_days,
                column.trades_max_days
            ),
            (3_660, 5, 31)
        );
        assert_eq!(
            FileConfig::default().column.settings().unwrap(),
            server::ColumnSettings::default()
        );
        let bad = |text: &str| {
            let file: FileConfig = toml::from_str(text).unwrap();
            file.column.settings().unwrap_err().to_string()
        };
        assert!(bad("[column]\nsunset_at = \"July\"").contains("column.sunset_at"));
        assert!(bad("[column]\ntrades_max_days = 0").contains("at least 1"));
    }
}
