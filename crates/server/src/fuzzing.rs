//! The checks behind the fuzz targets in `fuzz/`.
//!
//! Each check takes arbitrary bytes, feeds them to a parser of outside input and panics on a
//! finding: a panic inside the parser, a value that does not survive rendering and parsing
//! again, a page token accepted without being issued. They live in the crate's normal build so
//! that the stable test suite (`tests/fuzz_corpus.rs`) runs the committed seeds through the very
//! same code as the fuzzers; only the fuzz crate itself needs nightly.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderValue, header};
use model::Timestamp;
use model::identity::{Email, check_password, is_code_shaped};
use model::market_clock::{ClockSetting, MarketClock};
use model::money::{DecimalError, canonical, parse_decimal, parse_non_negative, parse_stored};
use model::symbol::{OptionSymbol, Right, Root, Strike};

use crate::faces::cutemarkets::query::{
    Condition, Op, Params, instant_range, instants, number, option_ticker, parse_date,
};
use crate::http::ProblemKind;
use crate::http::path::canonical_path;
use crate::pages::{PageSigner, PageState, TOKEN_LIFETIME_SECS};

/// A check: panics on a finding.
pub type Check = fn(&[u8]);

/// Every check, named as its fuzz target and its seed folder (`fuzz/seeds/<name>/`).
pub const TARGETS: &[(&str, Check)] = &[
    ("option_symbol", option_symbol),
    ("money", money),
    ("query", query),
    ("page_token", page_token),
    ("page_round_trip", page_round_trip),
    ("market_clock", market_clock),
    ("request_parts", request_parts),
    ("order", order),
];

/// Text as the server sees it: query values and paths reach the parsers decoded lossily.
fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Option symbols in every accepted form, and their parts (roots, rights, strikes).
pub fn option_symbol(data: &[u8]) {
    let text = text(data);
    if let Ok(symbol) = OptionSymbol::parse(&text) {
        let forms = [symbol.osi(), symbol.unpadded(), symbol.polygon()];
        for form in forms.iter().chain([&symbol.to_string()]) {
            assert_eq!(
                OptionSymbol::parse(form),
                Ok(symbol),
                "{form:?} from {text:?}"
            );
        }
        assert_eq!(symbol.osi().len(), 21, "{text:?}");
        // Case is the only freedom the parser allows: what it accepted is one of the forms.
        let upper = text.to_ascii_uppercase();
        assert!(forms.contains(&upper), "{text:?} parsed as {symbol:?}");
    }
    if let Ok(root) = Root::new(&text) {
        assert_eq!(root.as_str(), text.to_ascii_uppercase());
        assert_eq!(Root::new(root.as_str()), Ok(root));
    }
    if let Ok(right) = text.parse::<Right>() {
        assert_eq!(right.to_string().parse::<Right>(), Ok(right));
    }
    if let Ok(strike) = text.parse::<Strike>() {
        assert_eq!(strike.to_string().parse::<Strike>(), Ok(strike), "{text:?}");
        assert_eq!(Strike::from_decimal(strike.to_decimal()), Ok(strike));
        assert_eq!(strike.to_string(), canonical(strike.to_decimal()));
        // Exact: the strike is the number written, never a rounding of it.
        assert_eq!(
            parse_decimal(&text).map(|v| v == strike.to_decimal()),
            Ok(true)
        );
    }
}

/// Decimal text from the wire: exact parsing and canonical rendering.
pub fn money(data: &[u8]) {
    let text = text(data);
    let _ = parse_stored(&text);
    let Ok(value) = parse_decimal(&text) else {
        return;
    };
    let shown = canonical(value);
    assert_eq!(
        shown,
        plain_canonical(&text),
        "{text:?} parsed as {value:?}"
    );
    assert_eq!(parse_decimal(&shown), Ok(value), "{text:?}");
    assert_eq!(parse_stored(&shown), Ok(value), "{text:?}");
    match parse_non_negative(&text) {
        Ok(non_negative) => {
            assert_eq!(non_negative, value);
            assert!(!non_negative.is_sign_negative(), "{text:?}");
        }
        Err(DecimalError::Negative) => assert!(value.is_sign_negative() && !value.is_zero()),
        Err(other) => panic!("{text:?} parsed, yet parse_non_negative says {other}"),
    }
}

/// The canonical rendering of plain decimal text, worked out on the text alone: no sign for
/// zero, no leading zeros before the point, no trailing zeros after it.
fn plain_canonical(text: &str) -> String {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    if whole.is_empty() && fraction.is_empty() {
        return "0".into();
    }
    let sign = if negative { "-" } else { "" };
    let whole = if whole.is_empty() { "0" } else { whole };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// A CuteMarkets query string, read as the server reads it, through every value parser and
/// operator of the query grammar with the field names the endpoints use.
pub fn query(data: &[u8]) {
    let params = Params::new(form_urlencoded::parse(data).into_owned().collect());

    for field in ["timestamp", "published_utc"] {
        if let Ok(conditions) = params.conditions(field, "a time", instants) {
            check_instant_range(&conditions);
        }
    }
    let _ = params.conditions("strike_price", "a number", number);
    let _ = params.conditions("expiration_date", "a date", |t| parse_date("", t).ok());
    let _ = params.conditions("underlying_ticker", "a ticker", |t| Some(t.to_string()));

    for (name, default) in [("expired", false), ("adjusted", true)] {
        if let Ok(value) = params.boolean(name, default) {
            let given = params.get(name);
            assert!(given.is_none() || matches!(given, Some("true" | "1" | "false" | "0")));
            assert!(given.is_some() || value == default);
        }
    }
    for (name, choices) in [
        ("order", &["asc", "desc"][..]),
        ("sort", &["ticker", "expiration_date", "strike_price"][..]),
        ("timeframe", &["live", "delayed"][..]),
    ] {
        if let Ok(choice) = params.choice(name, choices) {
            assert!(choices.contains(&choice));
        }
    }
    for (default, max) in [(10, 1000), (100, 50_000), (1, 1)] {
        if let Ok(limit) = params.limit(default, max) {
            assert!(
                (1..=max).contains(&limit),
                "limit {limit} outside 1..={max}"
            );
        }
    }

    for (_, value) in params.pairs() {
        check_value(value);
    }
}

/// One query value through each value parser on its own.
fn check_value(value: &str) {
    if let Some((start, end)) = instants(value) {
        // Empty only where both ends saturate, outside the years an i64 of nanoseconds holds.
        assert!(start <= end, "{value:?} reads as {start:?}..{end:?}");
    }
    if let Ok(day) = parse_date("date", value) {
        assert_eq!(
            day.to_string(),
            value,
            "a date is only ever written one way"
        );
    }
    if let Some(n) = number(value) {
        // Where both parsers read the text, they agree.
        if let Ok(exact) = parse_decimal(value) {
            assert_eq!(n, exact, "{value:?}");
        }
    }
    if let Ok(symbol) = option_ticker(value) {
        assert_eq!(symbol.polygon(), value.to_ascii_uppercase(), "{value:?}");
    }
}

/// `instant_range` leaves exactly the instants at which every condition holds, with each value
/// standing for its span `[start, end)`.
fn check_instant_range(conditions: &[Condition<(Timestamp, Timestamp)>]) {
    let (from, to) = instant_range(conditions);
    let holds = |x: i64| {
        conditions.iter().all(|c| {
            let (start, end) = (c.value.0.as_nanos(), c.value.1.as_nanos());
            match c.op {
                Op::Eq => start <= x && x < end,
                Op::Gte => x >= start,
                Op::Gt => x >= end,
                Op::Lt => x < start,
                Op::Lte => x < end,
            }
        })
    };
    let mut probes = vec![from.as_nanos(), to.as_nanos()];
    for c in conditions {
        probes.extend([c.value.0.as_nanos(), c.value.1.as_nanos()]);
    }
    for x in probes.clone() {
        probes.extend([x.saturating_sub(1), x.saturating_add(1)]);
    }
    // The range is half-open, so i64::MAX itself is never inside it.
    for x in probes.into_iter().filter(|x| *x != i64::MAX) {
        let inside = from.as_nanos() <= x && x < to.as_nanos();
        assert_eq!(holds(x), inside, "instant {x} with range {from:?}..{to:?}");
    }
}

/// The key the page-token checks sign with; any fixed key does.
const PAGE_KEY: [u8; 32] = *b"optiontape fuzzing page key 0001";
const PAGE_ROUTE: &str = "/v1/options/contracts";
const PAGE_OWNER: &str = "user/options";

/// Arbitrary bytes sent as a `page` token are refused, never opened.
pub fn page_token(data: &[u8]) {
    let token = text(data);
    let signer = PageSigner::with_key(PAGE_KEY);
    let now = Timestamp::from_seconds(1_736_951_400);
    match signer.open(&token, PAGE_ROUTE, PAGE_OWNER, now) {
        Ok(state) => panic!("forged token {token:?} accepted as {state:?}"),
        Err(problem) => assert_eq!(problem.kind, ProblemKind::InvalidPageToken),
    }
}

/// A signed state opens as itself while fresh, on its own route and owner only; an altered token
/// never opens.
pub fn page_round_trip(data: &[u8]) {
    let mut input = Reader(data);
    let mode = input.byte();
    let state = PageState {
        route: input.text(),
        owner: input.text(),
        query: (0..input.byte() % 4)
            .map(|_| (input.text(), input.text()))
            .collect(),
        offset: input.u64(),
        issued: 0,
    };
    let now = Timestamp::from_nanos(input.i64());
    // Mostly near `now`, so that the lifetime's edges get explored; sometimes anything at all.
    let issued = if mode & 1 == 0 {
        now.as_seconds()
            .wrapping_sub(i64::from(i32::from_le_bytes(input.array())))
    } else {
        input.i64()
    };
    let state = PageState { issued, ..state };
    let signer = PageSigner::with_key(PAGE_KEY);
    let token = signer.sign(&state);

    let age = i128::from(now.as_seconds()) - i128::from(issued);
    let fresh = (0..=i128::from(TOKEN_LIFETIME_SECS)).contains(&age);
    match signer.open(&token, &state.route, &state.owner, now) {
        Ok(opened) => {
            assert!(fresh, "token issued {issued} still open at {now:?}");
            assert_eq!(opened, state);
        }
        Err(problem) => {
            assert!(!fresh, "fresh token refused: {}", problem.message);
            assert_eq!(problem.kind, ProblemKind::InvalidPageToken);
        }
    }

    let refused = |token: &str, route: &str, owner: &str| {
        let result = signer.open(token, route, owner, now);
        assert!(
            result.is_err(),
            "{token:?} opened on {route:?} by {owner:?}"
        );
    };
    refused(&token, &format!("{}/", state.route), &state.owner);
    refused(&token, &state.route, &format!("{}x", state.owner));
    let mut altered = token.clone().into_bytes();
    let at = usize::from(input.u16()) % altered.len();
    altered[at] = input.byte();
    let altered = text(&altered).into_owned();
    if altered != token {
        refused(&altered, &state.route, &state.owner);
    }
    refused(&token[..at], &state.route, &state.owner);
}

/// The market clock setting (`replay`, `fixed:<instant>`) from flags or a config file.
pub fn market_clock(data: &[u8]) {
    let text = text(data);
    let Ok(setting) = text.parse::<ClockSetting>() else {
        return;
    };
    let shown = setting.to_string();
    assert_eq!(shown.parse::<ClockSetting>(), Ok(setting), "{text:?}");
    // Walls inside the calendar's years, where replay always finds a session.
    for wall in [1_736_951_400, 978_307_200, 4_070_908_800] {
        let wall = Timestamp::from_seconds(wall);
        let clock = MarketClock::new(setting, None, wall);
        assert_eq!(clock.setting(), setting);
        let _ = clock.now(wall);
        let _ = clock.session();
    }
}

/// The small parsers in front of every face: path normalisation, the `Authorization` header,
/// e-mail addresses, passwords and codes.
pub fn request_parts(data: &[u8]) {
    let text = text(data);
    let path = canonical_path(&text);
    assert!(path.len() <= text.len());
    assert!(!path.contains("%3A") && !path.contains("%3a"), "{path:?}");

    if let Ok(email) = Email::parse(&text) {
        let shown = email.as_str();
        assert_eq!(shown, shown.trim());
        assert_eq!(shown, shown.to_ascii_lowercase());
        assert_eq!(Email::parse(shown).as_ref(), Ok(&email));
    }
    let _ = check_password(&text);
    let _ = is_code_shaped(&text);

    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        match crate::auth::bearer(&headers) {
            Ok(Some(token)) => assert!(!token.is_empty() && token == token.trim()),
            Ok(None) => panic!("a present header read as absent"),
            Err(problem) => assert_eq!(problem.kind, ProblemKind::Unauthorized),
        }
    }
}

/// A simulator order body: the face's reading of the JSON, then the engine's market-free checks
/// (shape, fields, ticks, maximum profit). Whatever is accepted is an order the engine can
/// price: one to eight distinct legs of positive quantities, one leg unless a limit, a price
/// and a trigger on the order's grid, and a price stored and read back unchanged.
pub fn order(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(request) = crate::faces::simulator::orders::order_request(&body) else {
        return;
    };
    let Ok(order) = request.check() else {
        return;
    };
    let legs = &order.legs;
    assert!(
        (1..=engine::order::MAX_LEGS).contains(&legs.len()),
        "{body}"
    );
    assert!(legs.len() == 1 || order.order_type == model::order::OrderType::Limit);
    assert!(legs.iter().all(|leg| leg.quantity >= 1));
    for (i, leg) in legs.iter().enumerate() {
        assert!(
            legs[..i]
                .iter()
                .all(|other| other.instrument != leg.instrument),
            "duplicate instrument accepted: {body}"
        );
        let shown = leg.instrument.to_string();
        assert_eq!(
            engine::order::parse_instrument(&shown).as_ref(),
            Some(&leg.instrument)
        );
    }
    let grid = model::grid::Grid::of_order(legs);
    for (price, _) in order.price.iter().chain(&order.stop_trigger) {
        assert!(
            *price > rust_decimal::Decimal::ZERO && grid.contains(*price),
            "{body}"
        );
    }
    let again = engine::order::OrderRequest {
        order_type: order.order_type.as_str().to_string(),
        price: order.price.as_ref().map(|(_, text)| text.clone()),
        price_effect: order.price_effect.map(|e| e.as_str().to_string()),
        stop_trigger: order.stop_trigger.as_ref().map(|(_, text)| text.clone()),
        legs: legs
            .iter()
            .map(|leg| engine::order::LegRequest {
                instrument: leg.instrument.to_string(),
                quantity: leg.quantity.to_string(),
                action: leg.action.as_str().to_string(),
            })
            .collect(),
    };
    assert_eq!(again.check().as_ref(), Ok(&order), "{body}");
}

/// Reads structured input from fuzz bytes; past the end it reads zeros, so every input is valid.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.array())
    }

    /// Up to 31 bytes of text, its length first.
    fn text(&mut self) -> String {
        let len = usize::from(self.byte() % 32).min(self.0.len());
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8_lossy(taken).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_canonical_matches_the_renderings_of_money() {
        for (text, shown) in [
            ("0", "0"),
            ("-0.000", "0"),
            ("007", "7"),
            ("10.50", "10.5"),
            ("-0.0008", "-0.0008"),
            ("100", "100"),
        ] {
            assert_eq!(plain_canonical(text), shown, "{text}");
        }
    }

    #[test]
    fn reader_reads_zeros_past_the_end() {
        let mut input = Reader(&[3, b'a', b'b']);
        assert_eq!(input.text(), "ab");
        assert_eq!(input.i64(), 0);
    }
}
