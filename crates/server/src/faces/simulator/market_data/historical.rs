//! `GET /market-data/historical/{date}` (§5.5): index series of one session, a row per second
//! (or per `interval`) of its recorded data.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use model::Timestamp;
use model::money::canonical;
use serde::Serialize;
use tape::records::px_to_decimal;

use super::caller::Caller;
use super::days::{Day, Market};
use super::params::{Query, format_instant, parse_date, parse_interval};
use super::series::{self, Columns, Wanted};
use crate::http::{PathParams, Problem, Reply};
use crate::state::{AppState, read_tape};

/// A series as the query names it (camelCase, case-sensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    Spx,
    Vix,
    ExpectedMove,
    OtmBids,
    Extrinsic,
}

impl Series {
    const ALL: [Series; 5] = [
        Series::Spx,
        Series::Vix,
        Series::ExpectedMove,
        Series::OtmBids,
        Series::Extrinsic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Series::Spx => "spx",
            Series::Vix => "vix",
            Series::ExpectedMove => "spxExpectedMove",
            Series::OtmBids => "spxOTMBids",
            Series::Extrinsic => "spxExtrinsic",
        }
    }
}

/// `series=`: a comma-separated list of names; `spx,spxExpectedMove` when absent.
pub fn parse_series(text: Option<&str>) -> Result<Wanted, Problem> {
    let text = text.unwrap_or("spx,spxExpectedMove");
    let mut wanted = Wanted::default();
    for name in text.split(',') {
        let series = Series::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Series::ALL.iter().map(|s| s.name()).collect();
                if name.is_empty() {
                    Problem::bad_request(format!(
                        "series must be a comma-separated list of {}; it has an empty name",
                        names.join(", ")
                    ))
                } else {
                    Problem::bad_request(format!(
                        "unknown series: {name}; series are {} (case-sensitive)",
                        names.join(", ")
                    ))
                }
            })?;
        match series {
            Series::Spx => wanted.spot = true,
            Series::Vix => wanted.vix = true,
            Series::ExpectedMove => wanted.expected_move = true,
            Series::OtmBids => wanted.otm_bids = true,
            Series::Extrinsic => wanted.extrinsic = true,
        }
    }
    Ok(wanted)
}

/// One row: unrequested series are left out, requested ones without a value are `null`.
#[derive(Serialize)]
struct Row {
    datetime: String,
    #[serde(rename = "datetimeUnix")]
    datetime_unix: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    spx: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vix: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spx_expected_move: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spx_otm_bids: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spx_extrinsic: Option<Option<String>>,
}

/// The seconds of the day's data span on the grid of `interval` counted from the open, so rows
/// every 60 s fall on New York's minutes and a visitor's every 30 s on the half minutes.
pub fn grid(day: &Day, interval: u32) -> Vec<Timestamp> {
    let Some((first, last)) = day.data else {
        return Vec::new();
    };
    let step = i64::from(interval);
    let open = day.open.as_seconds();
    let offset = (first.as_seconds() - open).max(0);
    let mut at = open + (offset + step - 1) / step * step;
    let mut out = Vec::new();
    while at <= last.as_seconds() {
        out.push(Timestamp::from_seconds(at));
        at += step;
    }
    out
}

fn column<T: Copy>(
    wanted: bool,
    values: &[Option<T>],
    i: usize,
    text: impl Fn(T) -> String,
) -> Option<Option<String>> {
    wanted.then(|| values.get(i).copied().flatten().map(text))
}

fn rows(instants: &[Timestamp], columns: &Columns, wanted: Wanted) -> Vec<Row> {
    let price = |px| canonical(px_to_decimal(px));
    instants
        .iter()
        .enumerate()
        .map(|(i, at)| Row {
            datetime: format_instant(*at),
            datetime_unix: at.as_seconds(),
            spx: column(wanted.spot, &columns.spot, i, price),
            vix: column(wanted.vix, &columns.vix, i, price),
            spx_expected_move: column(wanted.expected_move, &columns.expected_move, i, |m| {
                canonical(series::round_move(m))
            }),
            spx_otm_bids: column(wanted.otm_bids, &columns.otm_bids, i, price),
            spx_extrinsic: column(wanted.extrinsic, &columns.extrinsic, i, canonical),
        })
        .collect()
}

/// Index series of a session
///
/// One row per second of the session's recorded data (every `interval` seconds, counted from the
/// open), oldest first: `datetime` (RFC 3339 UTC), `datetimeUnix`, and per requested series a
/// decimal string (`null` where its inputs are missing). `series` (case-sensitive, default
/// `spx,spxExpectedMove`): `spx` the underlying's value; `vix` the VIX index; `spxExpectedMove`
/// the at-the-money straddle's mid over the spot, a fraction; `spxOTMBids` (experimental) the
/// sum of the bids of the out-of-the-money contracts of the day's expiration; `spxExtrinsic`
/// (experimental) the straddle's mid less its intrinsic value. The series keep their SPX names
/// for any `underlying`. Visitors: the current session, and the most recent completed one every
/// 30 seconds. 10 credits.
#[utoipa::path(
    get,
    path = "/market-data/historical/{date}",
    tag = "market-data",
    security((), ("session" = [])),
    params(
        ("date" = String, Path, description = "Session date, YYYY-MM-DD", example = "2025-01-15"),
        ("series" = Option<String>, Query, description = "Comma-separated: spx, vix, spxExpectedMove, spxOTMBids, spxExtrinsic"),
        ("interval" = Option<u32>, Query, description = "Seconds between rows, 1 to 3600; default 1 (30 for visitors on the most recent completed session)"),
        ("underlying" = Option<String>, Query, description = "Default SPX"),
    ),
    responses(
        (status = 200, description = "Rows, oldest first", content_type = "application/json",
            example = json!([{"datetime": "2025-01-15T14:31:00Z", "datetimeUnix": 1736951460, "spx": "5949.57", "spx_expected_move": "0.0048"}])),
        (status = 400, description = "An unknown series or a malformed date or interval", content_type = "text/plain"),
        (status = 403, description = "A visitor asking for a restricted session", content_type = "text/plain"),
        (status = 404, description = "No such session or underlying", content_type = "text/plain"),
    )
)]
pub async fn historical(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(date): PathParams<String>,
    RawQuery(query): RawQuery,
) -> Reply<Response> {
    let query = Query::parse(query.as_deref(), &["underlying", "series", "interval"])?;
    let date = parse_date(&date, "date")?;
    let underlying = query.underlying()?;
    let wanted = parse_series(query.get("series"))?;
    let interval = query.get("interval").map(parse_interval).transpose()?;
    let body = read_tape(&state, move |state| {
        let market = Market::load(state, &underlying)?;
        let day = market.day(date)?;
        let resolution = market.admit(caller, day)?;
        let interval = interval.unwrap_or(resolution);
        if interval % resolution != 0 {
            return Err(Problem::forbidden(format!(
                "visitors see this session every {resolution} seconds: use an interval that is a \
                 multiple of {resolution}, or register for 1-second data"
            )));
        }
        let instants = grid(day, interval);
        let session = state
            .tape
            .session(&underlying, date)?
            .ok_or_else(|| Problem::not_found(format!("no {underlying} session on {date}")))?;
        let vix = if wanted.vix {
            state.tape.session(series::VIX, date)?
        } else {
            None
        };
        let columns = series::compute(&session, vix.as_deref(), day.open, &instants, wanted)?;
        serde_json::to_vec(&rows(&instants, &columns, wanted)).map_err(Problem::internal)
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::super::days::Status;
    use super::*;

    #[test]
    fn series_names_are_case_sensitive() {
        let default = parse_series(None).unwrap();
        assert!(default.spot && default.expected_move);
        assert!(!(default.vix || default.otm_bids || default.extrinsic));
        let all = parse_series(Some("spx,vix,spxExpectedMove,spxOTMBids,spxExtrinsic")).unwrap();
        assert!(all.spot && all.vix && all.expected_move && all.otm_bids && all.extrinsic);
        assert_eq!(
            parse_series(Some("vix,vix")).unwrap(),
            Wanted {
                vix: true,
                ..Wanted::default()
            }
        );
        let unknown = parse_series(Some("spx,VIX")).unwrap_err();
        assert_eq!(unknown.status(), 400);
        assert!(
            unknown.message.starts_with("unknown series: VIX;"),
            "{}",
            unknown.message
        );
        assert!(
            parse_series(Some("spx,"))
                .unwrap_err()
                .message
                .contains("empty name")
        );
        assert!(
            parse_series(Some(""))
                .unwrap_err()
                .message
                .contains("empty name")
        );
        assert!(
            parse_series(Some(" spx"))
                .unwrap_err()
                .message
                .starts_with("unknown series:  spx")
        );
    }

    #[test]
    fn rows_fall_on_the_interval_counted_from_the_open() {
        let open = Timestamp::from_seconds(1_736_951_400); // 14:30:00Z
        let day = |first: i64, last: i64| Day {
            date: jiff::civil::date(2025, 1, 15),
            open,
            close: Timestamp::from_seconds(1_736_974_800),
            data: Some((
                Timestamp::from_seconds(1_736_951_400 + first),
                Timestamp::from_seconds(1_736_951_400 + last),
            )),
            status: Status::Completed,
        };
        let seconds = |v: Vec<Timestamp>| -> Vec<i64> {
            v.into_iter()
                .map(|t| t.as_seconds() - 1_736_951_400)
                .collect()
        };
        assert_eq!(seconds(grid(&day(60, 63), 1)), vec![60, 61, 62, 63]);
        assert_eq!(seconds(grid(&day(61, 150), 30)), vec![90, 120, 150]);
        assert_eq!(seconds(grid(&day(61, 89), 30)), Vec::<i64>::new());
        assert_eq!(grid(&day(0, 23_400), 1).len(), 23_401);
    }
}
