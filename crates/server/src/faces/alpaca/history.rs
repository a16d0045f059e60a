//! `/v2/account/portfolio/history` (paper-trading spec §12.6): the current generation's stored
//! equity points read through Alpaca's windows. Each window shows the equity of the latest point
//! written by its end (points are written at the generation's start, at fills and at resets, so
//! the series steps); windows that end before the generation began are left out.
//!
//! Windows: `1D` is one per session, labelled at New York midnight of its date and ending at its
//! close; intraday timeframes step from each session's open to its close (`market_hours`), from
//! 04:00 to 20:00 New York (`extended_hours`), or around the clock (`continuous`). The range ends
//! at `end`, the end of `date_end`, or the market clock, never later; it starts at `start`, else
//! `period` (default `1M`) before its end: `nD` is the last n sessions, `nW`, `nM`, `nA` calendar
//! weeks, months and years. Profit and loss is against the first window, or, for intraday
//! timeframes with `pnl_reset=per_day` (the default), against the previous session's close.

use std::time::Duration;

use axum::Json;
use axum::extract::{Extension, State};
use jiff::civil::Date;
use model::Timestamp;
use model::calendar::{self, new_york_date, new_york_instant};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_accounts::{EquityPoint, Generations};

use super::account::load;
use crate::faces::paper::params;
use crate::http::numbers::number;
use crate::http::{PathParams, Problem, ProblemKind, QueryParams, Reply};
use crate::state::AppState;

/// Intraday timeframes cover at most this many calendar days (Alpaca's limit).
const MAX_INTRADAY_DAYS: i64 = 30;
/// `profit_loss_pct` is rounded half away from zero to this many decimals, like drawdowns.
const PCT_DECIMALS: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timeframe {
    Minutes(u64),
    Day,
}

impl Timeframe {
    fn parse(text: &str) -> Option<Timeframe> {
        Some(match text {
            "1Min" => Timeframe::Minutes(1),
            "5Min" => Timeframe::Minutes(5),
            "15Min" => Timeframe::Minutes(15),
            "1H" => Timeframe::Minutes(60),
            "1D" => Timeframe::Day,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Timeframe::Minutes(1) => "1Min",
            Timeframe::Minutes(5) => "5Min",
            Timeframe::Minutes(15) => "15Min",
            Timeframe::Minutes(_) => "1H",
            Timeframe::Day => "1D",
        }
    }

    /// Alpaca's default for a range of `days`: 1Min below a week, 15Min below 30 days, else 1D.
    fn default_for(days: i64) -> Timeframe {
        match days {
            ..7 => Timeframe::Minutes(1),
            7..30 => Timeframe::Minutes(15),
            _ => Timeframe::Day,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reporting {
    MarketHours,
    ExtendedHours,
    Continuous,
}

/// `period`: a count and a unit, `D` (sessions), `W`, `M` or `A` (years).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Period {
    count: u16,
    unit: u8,
}

impl Period {
    fn parse(text: &str) -> Option<Period> {
        if !text.is_ascii() {
            return None;
        }
        let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
        let unit = unit.as_bytes()[0].to_ascii_uppercase();
        let count: u16 = digits.parse().ok().filter(|n| *n >= 1)?;
        (digits.bytes().all(|b| b.is_ascii_digit()) && b"DWMA".contains(&unit))
            .then_some(Period { count, unit })
    }

    /// Its length in days, for the default timeframe.
    fn days(self) -> i64 {
        let n = i64::from(self.count);
        match self.unit {
            b'D' => n,
            b'W' => 7 * n,
            b'M' => 30 * n,
            _ => 365 * n,
        }
    }

    /// The first date of the period ending on `end`.
    fn first_date(self, end: Date) -> Option<Date> {
        let n = i64::from(self.count);
        if self.unit == b'D' {
            let mut day = match calendar::session(end) {
                Some(session) => session,
                None => calendar::previous_session(end)?,
            };
            for _ in 1..n {
                match calendar::previous_session(day.date) {
                    Some(earlier) => day = earlier,
                    None => break,
                }
            }
            return Some(day.date);
        }
        let span = match self.unit {
            b'W' => jiff::Span::new().weeks(n),
            b'M' => jiff::Span::new().months(n),
            _ => jiff::Span::new().years(n),
        };
        end.checked_sub(span).ok()?.tomorrow().ok()
    }
}

/// One window of the series: its label (its start), the instant whose equity it shows, and the
/// New York date it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    label: Timestamp,
    at: Timestamp,
    day: Date,
}

/// The windows of `[start, end]`.
fn windows(
    frame: Timeframe,
    reporting: Reporting,
    start: Timestamp,
    end: Timestamp,
) -> Vec<Window> {
    let last_nano = |t: Timestamp| t.minus(Duration::from_nanos(1));
    let (first_day, last_day) = (new_york_date(start), new_york_date(end));
    let mut out = Vec::new();
    let step = match frame {
        Timeframe::Day => {
            for session in calendar::sessions(first_day, last_day) {
                out.push(Window {
                    label: new_york_instant(session.date, 0, 0, 0),
                    at: last_nano(session.close).min(end),
                    day: session.date,
                });
            }
            return out;
        }
        Timeframe::Minutes(minutes) => Duration::from_secs(minutes * 60),
    };
    let mut span = |from: Timestamp, to: Timestamp| {
        let mut t = from;
        while t < to && t <= end {
            let next = t.plus(step).min(to);
            if next > start {
                out.push(Window {
                    label: t,
                    at: last_nano(next).min(end),
                    day: new_york_date(t),
                });
            }
            t = next;
        }
    };
    match reporting {
        Reporting::Continuous => {
            let seconds = step.as_secs() as i64;
            let aligned = Timestamp::from_seconds(start.as_seconds().div_euclid(seconds) * seconds);
            span(aligned, end.plus(step));
        }
        Reporting::MarketHours => {
            for session in calendar::sessions(first_day, last_day) {
                span(session.open, session.close);
            }
        }
        Reporting::ExtendedHours => {
            for session in calendar::sessions(first_day, last_day) {
                span(
                    new_york_instant(session.date, 4, 0, 0),
                    new_york_instant(session.date, 20, 0, 0),
                );
            }
        }
    }
    out
}

/// Equity points in time order (the order written among equal instants).
struct Series(Vec<EquityPoint>);

impl Series {
    fn new(mut points: Vec<EquityPoint>) -> Series {
        points.sort_by_key(|p| (p.at, p.seq));
        Series(points)
    }

    /// The equity of the latest point at or before `t`.
    fn at(&self, t: Timestamp) -> Option<Decimal> {
        let after = self.0.partition_point(|p| p.at <= t);
        after.checked_sub(1).map(|i| self.0[i].figures.equity)
    }

    fn first(&self) -> Option<&EquityPoint> {
        self.0.first()
    }
}

/// What the request asks for, read and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Request {
    frame: Timeframe,
    reporting: Reporting,
    per_day: bool,
    start: Timestamp,
    end: Timestamp,
}

fn read(pairs: &[(String, String)], now: Timestamp) -> Result<Request, Problem> {
    let frame = params::query(pairs, "timeframe")
        .map(|text| {
            Timeframe::parse(text).ok_or_else(|| {
                Problem::bad_request(format!(
                    "timeframe must be 1Min, 5Min, 15Min, 1H or 1D, not {text:?}"
                ))
            })
        })
        .transpose()?;
    let period = params::query(pairs, "period")
        .map(|text| {
            Period::parse(text).ok_or_else(|| {
                Problem::bad_request(format!(
                    "period must be a number and a unit D, W, M or A, such as 1M, not {text:?}"
                ))
            })
        })
        .transpose()?;
    let extended = params::boolean(pairs, "extended_hours", false)?;
    let reporting = match params::query(pairs, "intraday_reporting") {
        None if extended => Reporting::ExtendedHours,
        None | Some("market_hours") => Reporting::MarketHours,
        Some("extended_hours") => Reporting::ExtendedHours,
        Some("continuous") => Reporting::Continuous,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "intraday_reporting must be market_hours, extended_hours or continuous, not {other:?}"
            )));
        }
    };
    let per_day = match params::query(pairs, "pnl_reset") {
        None | Some("per_day") => true,
        Some("no_reset") => false,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "pnl_reset must be per_day or no_reset, not {other:?}"
            )));
        }
    };
    let date_end = params::query(pairs, "date_end")
        .map(|text| {
            text.parse::<Date>()
                .ok()
                .filter(|_| text.len() == 10)
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "date_end must be a date YYYY-MM-DD, not {text:?}"
                    ))
                })
        })
        .transpose()?;
    let end = match (params::instant(pairs, "end")?, date_end) {
        (Some(end), _) => end,
        (None, Some(day)) => new_york_instant(day, 24, 0, 0).minus(Duration::from_nanos(1)),
        (None, None) => now,
    }
    .min(now);
    // `start` wins over `period`; without either the period is a month.
    let (start, days) = match params::instant(pairs, "start")? {
        Some(start) => {
            let days = new_york_date(start)
                .until(new_york_date(end))
                .map(|span| i64::from(span.get_days()))
                .unwrap_or(i64::MAX);
            (start, days)
        }
        None => {
            let period = period.unwrap_or(Period {
                count: 1,
                unit: b'M',
            });
            let first = period
                .first_date(new_york_date(end))
                .ok_or_else(|| Problem::bad_request("period reaches before the calendar"))?;
            (new_york_instant(first, 0, 0, 0), period.days())
        }
    };
    if start > end {
        return Err(Problem::bad_request("start must not be after end"));
    }
    let frame = frame.unwrap_or(Timeframe::default_for(days));
    let span = new_york_date(start)
        .until(new_york_date(end))
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(i64::MAX);
    if frame != Timeframe::Day && span > MAX_INTRADAY_DAYS {
        return Err(Problem::new(
            ProblemKind::Unprocessable,
            format!(
                "intraday timeframes cover at most {MAX_INTRADAY_DAYS} days; use 1D or a shorter period"
            ),
        ));
    }
    Ok(Request {
        frame,
        reporting,
        per_day: per_day && frame != Timeframe::Day,
        start,
        end,
    })
}

/// Alpaca's PortfolioHistory of the series over the request's windows.
fn history(series: &Series, request: &Request) -> Value {
    let first = series.first().map(|p| p.at);
    let shown: Vec<(Window, Decimal)> =
        windows(request.frame, request.reporting, request.start, request.end)
            .into_iter()
            .filter_map(|w| series.at(w.at).map(|equity| (w, equity)))
            .collect();
    let opening = series.first().map_or(Decimal::ZERO, |p| p.figures.equity);
    // The previous session's close of a day, or the generation's start when it began later.
    let day_base = |day: Date| -> (Decimal, Date) {
        calendar::previous_session(day)
            .and_then(|s| series.at(s.close).map(|equity| (equity, s.date)))
            .unwrap_or((opening, first.map_or(day, new_york_date)))
    };
    let fixed = shown
        .first()
        .map(|(w, equity)| (*equity, w.day))
        .unwrap_or_else(|| {
            let latest = series.at(request.end).unwrap_or(opening);
            (latest, new_york_date(request.end))
        });
    let base_of = |w: &Window| {
        if request.per_day {
            day_base(w.day)
        } else {
            fixed
        }
    };
    let (mut timestamps, mut equities, mut pls, mut pcts) = (vec![], vec![], vec![], vec![]);
    for (window, equity) in &shown {
        let (base, _) = base_of(window);
        timestamps.push(json!(window.label.as_seconds()));
        equities.push(json!(number(*equity)));
        pls.push(json!(number(*equity - base)));
        pcts.push(if base.is_zero() {
            Value::Null
        } else {
            json!(number(
                (*equity / base - Decimal::ONE)
                    .round_dp_with_strategy(PCT_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
            ))
        });
    }
    let (base, asof) = shown.last().map_or(fixed, |(w, _)| base_of(w));
    json!({
        "timestamp": timestamps,
        "equity": equities,
        "profit_loss": pls,
        "profit_loss_pct": pcts,
        "base_value": number(base),
        "base_value_asof": asof.to_string(),
        "timeframe": request.frame.name(),
        "cashflow": {},
    })
}

/// Portfolio history
///
/// Alpaca's PortfolioHistory of the current generation: `period` (`1D`, `1W`, `1M` default,
/// `1A`), `timeframe` (`1Min`, `5Min`, `15Min`, `1H`, `1D`; default by the range), `start`,
/// `end`, `date_end`, `intraday_reporting`, `pnl_reset`, `extended_hours`; `cashflow_types` is
/// accepted and no cash flows are reported. Intraday timeframes cover at most 30 days (422).
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/account/portfolio/history",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses(
        (status = 200, description = "Alpaca PortfolioHistory"),
        (status = 400, description = "`{code: 40010000}`"),
        (status = 422, description = "`{code: 42210000}`: an intraday range over 30 days")
    )
)]
pub async fn portfolio_history(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let account = load(&state, &key, &id).await?;
    let request = read(&pairs, state.market_now())?;
    let points = state
        .store
        .paper_equity_points(key.user_id, account.id, Generations::Current)
        .await?
        .unwrap_or_default();
    Ok(Json(history(&Series::new(points), &request)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use model::paper_accounts::EquityFigures;
    use rust_decimal::dec;
    use store::paper_accounts::EquityTrigger;

    fn ny(day: Date, hour: i8, minute: i8) -> Timestamp {
        new_york_instant(day, hour, minute, 0)
    }

    fn point(seq: i64, at: Timestamp, equity: Decimal) -> EquityPoint {
        EquityPoint {
            seq,
            generation: 1,
            at,
            figures: EquityFigures::new(equity, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, None),
            trigger: EquityTrigger::Fill,
        }
    }

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    const WED: Date = date(2025, 1, 15);

    #[test]
    fn periods_and_default_timeframes() {
        assert_eq!(
            Period::parse("1M"),
            Some(Period {
                count: 1,
                unit: b'M'
            })
        );
        for refused in ["M", "0D", "1X", "1.5D", "-1D", ""] {
            assert_eq!(Period::parse(refused), None, "{refused}");
        }
        let days = |p: &str, end: Date| Period::parse(p).unwrap().first_date(end).unwrap();
        assert_eq!(days("1D", WED), WED);
        assert_eq!(
            days("1D", date(2025, 1, 18)),
            date(2025, 1, 17),
            "Saturday: Friday"
        );
        assert_eq!(days("3D", WED), date(2025, 1, 13));
        assert_eq!(days("1W", WED), date(2025, 1, 9));
        assert_eq!(days("1M", WED), date(2024, 12, 16));
        assert_eq!(days("1A", WED), date(2024, 1, 16));
        let now = ny(WED, 14, 0);
        let frame = |query: &[(&str, &str)]| read(&pairs(query), now).unwrap().frame;
        assert_eq!(frame(&[]), Timeframe::Day);
        assert_eq!(frame(&[("period", "1D")]), Timeframe::Minutes(1));
        assert_eq!(frame(&[("period", "1W")]), Timeframe::Minutes(15));
        let long = read(&pairs(&[("period", "2M"), ("timeframe", "1H")]), now).unwrap_err();
        assert_eq!(long.kind, ProblemKind::Unprocessable);
        assert!(read(&pairs(&[("timeframe", "2H")]), now).is_err());
        assert!(read(&pairs(&[("pnl_reset", "never")]), now).is_err());
    }

    #[test]
    fn intraday_windows_step_through_the_session_up_to_now() {
        let now = ny(WED, 10, 2);
        let request = read(&pairs(&[("period", "1D"), ("timeframe", "1Min")]), now).unwrap();
        let shown = windows(request.frame, request.reporting, request.start, request.end);
        assert_eq!(shown.len(), 33, "09:30 through the window holding 10:02");
        assert_eq!(shown[0].label, ny(WED, 9, 30));
        assert_eq!(shown[32].at, now);
        let continuous = windows(
            Timeframe::Minutes(60),
            Reporting::Continuous,
            ny(WED, 0, 30),
            now,
        );
        assert_eq!(continuous.len(), 11, "00:00 through 10:00");
        let extended = windows(
            Timeframe::Minutes(60),
            Reporting::ExtendedHours,
            ny(WED, 0, 0),
            now,
        );
        assert_eq!(extended[0].label, ny(WED, 4, 0));
    }

    #[test]
    fn windows_show_the_latest_point_and_pnl_against_the_base() {
        let start = ny(WED, 10, 0);
        let series = Series::new(vec![
            point(1, start, dec!(100000)),
            point(2, ny(WED, 10, 1), dec!(99999.75)),
            point(3, ny(WED, 10, 3), dec!(100010)),
        ]);
        let request = read(
            &pairs(&[("period", "1D"), ("timeframe", "1Min")]),
            ny(WED, 10, 4),
        )
        .unwrap();
        let body = history(&series, &request);
        assert_eq!(
            body["timestamp"].as_array().unwrap().len(),
            5,
            "10:00 to 10:04"
        );
        assert_eq!(
            body["equity"],
            json!([100000, 99999.75, 99999.75, 100010, 100010])
        );
        assert_eq!(body["base_value"], json!(100000), "the generation's start");
        assert_eq!(body["profit_loss"][1], json!(-0.25));
        assert_eq!(body["profit_loss_pct"][1], json!(-0.0000025));
        assert_eq!(body["base_value_asof"], "2025-01-15");
        assert_eq!(body["timeframe"], "1Min");

        let daily = read(&pairs(&[]), ny(date(2025, 1, 16), 12, 0)).unwrap();
        let body = history(&series, &daily);
        assert_eq!(
            body["timestamp"],
            json!([
                ny(WED, 0, 0).as_seconds(),
                ny(date(2025, 1, 16), 0, 0).as_seconds()
            ])
        );
        assert_eq!(body["equity"], json!([100010, 100010]));
        assert_eq!(body["base_value"], json!(100010), "the first window");
    }
}
