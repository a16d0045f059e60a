//! A paper order as submitted (§5.7), checked in the order of §7.2 steps 3 to 6: the symbol, the
//! v1 feature gate, the fields, the contract's expiration. The first failure decides, so the
//! code a client sees is deterministic.

use jiff::civil::Date;
use model::money::parse_decimal;
use model::order::Instrument;
use model::symbol::{OptionSymbol, is_ticker};
use rust_decimal::Decimal;

/// The request's fields as they arrive, prices and quantities as text (JSON numbers are passed
/// on as written, never through a float).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaperOrderRequest {
    pub symbol: Option<String>,
    pub qty: Option<String>,
    pub side: Option<String>,
    /// `type`, or `order_type` when `type` is absent.
    pub order_type: Option<String>,
    pub time_in_force: Option<String>,
    pub limit_price: Option<String>,
    pub position_intent: Option<String>,
    pub client_order_id: Option<String>,
    pub extended_hours: bool,
    pub order_class: Option<String>,
    /// Fields v1 refuses when present (not null): their names.
    pub present: Vec<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Market,
    Limit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Market => "market",
            Kind::Limit => "limit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeInForce {
    Day,
    Gtc,
}

impl TimeInForce {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Day => "day",
            TimeInForce::Gtc => "gtc",
        }
    }
}

/// The intents v1 supports: long-only positions are opened by buys and closed by sells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    BuyToOpen,
    SellToClose,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::BuyToOpen => "buy_to_open",
            Intent::SellToClose => "sell_to_close",
        }
    }
}

/// An order that passed the request checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperOrder {
    pub instrument: Instrument,
    pub qty: Decimal,
    pub side: Side,
    pub kind: Kind,
    pub time_in_force: TimeInForce,
    pub limit_price: Option<Decimal>,
    /// Set for options (from the side when not given), for stocks only when given.
    pub intent: Option<Intent>,
    pub client_order_id: Option<String>,
}

impl PaperOrder {
    /// Dollars per unit of price: 100 for an option, 1 for a share.
    pub fn multiplier(&self) -> Decimal {
        Decimal::from(self.instrument.multiplier())
    }

    /// The symbol in the native form: `AAPL`, `O:SPY260620C00500000`.
    pub fn symbol(&self) -> String {
        native_symbol(&self.instrument)
    }
}

/// A stock's ticker, or an option in Polygon's `O:` form.
pub fn native_symbol(instrument: &Instrument) -> String {
    match instrument {
        Instrument::Option(symbol) => symbol.polygon(),
        Instrument::Equity(ticker) => ticker.clone(),
    }
}

/// Why a request is refused: the HTTP status, the stable code, a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn bad_request<T>(message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        status: 400,
        code: "bad_request",
        message: message.into(),
    })
}

fn unprocessable<T>(code: &'static str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        status: 422,
        code,
        message: message.into(),
    })
}

/// The longest client order id.
pub const MAX_CLIENT_ORDER_ID: usize = 128;

/// Decimals a share quantity may have.
const QTY_DECIMALS: u32 = 9;

/// Reads a stock ticker or an option contract (`O:` or without it), upper-cased.
pub fn parse_symbol(text: &str) -> Option<Instrument> {
    let upper = text.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("O:").unwrap_or(&upper);
    let looks_like_option = bare.len() > 15
        && bare[bare.len() - 15..].bytes().enumerate().all(|(i, b)| {
            if i == 6 {
                b == b'C' || b == b'P'
            } else {
                b.is_ascii_digit()
            }
        });
    if upper.starts_with("O:") || looks_like_option {
        if bare.contains(' ') {
            return None;
        }
        return OptionSymbol::parse(&format!("O:{bare}"))
            .ok()
            .map(Instrument::Option);
    }
    let first_is_letter = upper.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    (first_is_letter && upper.len() <= 10 && is_ticker(&upper)).then_some(Instrument::Equity(upper))
}

impl PaperOrderRequest {
    /// Steps 3 to 6 of §7.2. `today` is the New York date of the market clock and
    /// `closed_today` whether today's regular session is over: a contract expiring today cannot
    /// be traded after its close.
    pub fn check(&self, today: Date, closed_today: bool) -> Result<PaperOrder, Refusal> {
        // 3. The symbol fixes the asset class.
        let Some(symbol) = self.symbol.as_deref().filter(|s| !s.trim().is_empty()) else {
            return bad_request("symbol is required");
        };
        let Some(instrument) = parse_symbol(symbol) else {
            return unprocessable(
                "invalid_symbol",
                format!("{symbol} is neither a stock ticker nor an O: option contract"),
            );
        };
        let option = matches!(instrument, Instrument::Option(_));
        // 4. What v1 does not trade.
        self.gate(option)?;
        // 5. Fields.
        let side = match self.side.as_deref() {
            None => return bad_request("side is required"),
            Some("buy") => Side::Buy,
            Some("sell") => Side::Sell,
            Some(other) => return bad_request(format!("side must be buy or sell, not {other}")),
        };
        let kind = match self.order_type.as_deref() {
            None => return bad_request("type is required"),
            Some("market") => Kind::Market,
            Some("limit") => Kind::Limit,
            Some(other) => {
                return bad_request(format!("type must be market or limit, not {other}"));
            }
        };
        let time_in_force = match self.time_in_force.as_deref() {
            None => return bad_request("time_in_force is required"),
            Some("day") => TimeInForce::Day,
            Some("gtc") => TimeInForce::Gtc,
            Some(other) => return bad_request(format!("unknown time_in_force {other}")),
        };
        let qty = self.quantity(option)?;
        let limit_price = match (kind, &self.limit_price) {
            (Kind::Limit, None) => return bad_request("limit_price is required for limit orders"),
            (Kind::Market, Some(_)) => {
                return bad_request("limit_price must be absent for market orders");
            }
            (Kind::Limit, Some(text)) => Some(limit_price(text, option)?),
            (Kind::Market, None) => None,
        };
        let intent = match (self.position_intent.as_deref(), side) {
            (None, Side::Buy) => option.then_some(Intent::BuyToOpen),
            (None, Side::Sell) => option.then_some(Intent::SellToClose),
            (Some("buy_to_open"), Side::Buy) => Some(Intent::BuyToOpen),
            (Some("sell_to_close"), Side::Sell) => Some(Intent::SellToClose),
            (Some(intent @ ("buy_to_open" | "sell_to_close")), _) => {
                return unprocessable(
                    "unsupported_position_intent",
                    format!(
                        "position_intent {intent} does not match side {}",
                        side.as_str()
                    ),
                );
            }
            (Some(other), _) => return bad_request(format!("unknown position_intent {other}")),
        };
        let client_order_id = match &self.client_order_id {
            None => None,
            Some(id)
                if !id.is_empty()
                    && id.len() <= MAX_CLIENT_ORDER_ID
                    && id.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
            {
                Some(id.clone())
            }
            Some(_) => {
                return bad_request(format!(
                    "client_order_id must be 1 to {MAX_CLIENT_ORDER_ID} printable ASCII characters"
                ));
            }
        };
        // 6. The contract must still trade.
        if let Instrument::Option(symbol) = &instrument
            && (symbol.expiration < today || (symbol.expiration == today && closed_today))
        {
            return unprocessable(
                "contract_expired",
                format!("{} expired on {}", symbol.polygon(), symbol.expiration),
            );
        }
        Ok(PaperOrder {
            instrument,
            qty,
            side,
            kind,
            time_in_force,
            limit_price,
            intent,
            client_order_id,
        })
    }

    /// §7.3: order types, classes, notional, fractional contracts, time in force, extended hours,
    /// intents that would open shorts.
    fn gate(&self, option: bool) -> Result<(), Refusal> {
        let stop_like = matches!(
            self.order_type.as_deref(),
            Some("stop" | "stop_limit" | "trailing_stop")
        );
        if stop_like
            || self
                .present
                .iter()
                .any(|f| matches!(*f, "stop_price" | "trail_price" | "trail_percent"))
        {
            return unprocessable(
                "unsupported_order_type",
                "only market and limit orders are supported",
            );
        }
        let simple = matches!(self.order_class.as_deref(), None | Some("" | "simple"));
        if !simple
            || self
                .present
                .iter()
                .any(|f| matches!(*f, "legs" | "take_profit" | "stop_loss"))
        {
            return unprocessable(
                "unsupported_order_class",
                "only simple single-leg orders are supported",
            );
        }
        if self.present.contains(&"notional") {
            return unprocessable(
                "notional_not_supported",
                "give qty: notional orders are not supported",
            );
        }
        if option
            && let Some(qty) = self.qty.as_deref().and_then(|q| parse_decimal(q).ok())
            && !qty.fract().is_zero()
        {
            return unprocessable(
                "fractional_option_quantity",
                format!("option quantities are whole contracts, not {qty}"),
            );
        }
        match (option, self.time_in_force.as_deref()) {
            (true, Some(tif)) if tif != "day" => {
                return unprocessable(
                    "unsupported_time_in_force",
                    format!("options take time_in_force day, not {tif}"),
                );
            }
            (false, Some(tif @ ("opg" | "cls" | "ioc" | "fok"))) => {
                return unprocessable(
                    "unsupported_time_in_force",
                    format!("stocks take time_in_force day or gtc, not {tif}"),
                );
            }
            _ => {}
        }
        if self.extended_hours {
            return unprocessable(
                "extended_hours_not_supported",
                "orders fill in the regular session only",
            );
        }
        if let Some(intent @ ("sell_to_open" | "buy_to_close")) = self.position_intent.as_deref() {
            return unprocessable(
                "unsupported_position_intent",
                format!("{intent} is not supported: positions are long only"),
            );
        }
        Ok(())
    }

    fn quantity(&self, option: bool) -> Result<Decimal, Refusal> {
        let Some(text) = self.qty.as_deref() else {
            return bad_request("qty is required");
        };
        let Ok(qty) = parse_decimal(text) else {
            return bad_request(format!("qty must be a decimal, not {text}"));
        };
        if qty <= Decimal::ZERO {
            return bad_request("qty must be greater than 0");
        }
        if !option && qty.normalize().scale() > QTY_DECIMALS {
            return bad_request(format!("qty may have at most {QTY_DECIMALS} decimals"));
        }
        if qty > Decimal::from(1_000_000_000u64) {
            return bad_request("qty may be at most 1000000000");
        }
        Ok(qty.normalize())
    }
}

/// A limit price: above 0, at most a million, with the decimals the asset allows (options and
/// shares from $1: cents; shares under $1: four places).
fn limit_price(text: &str, option: bool) -> Result<Decimal, Refusal> {
    let Ok(price) = parse_decimal(text) else {
        return bad_request(format!("limit_price must be a decimal, not {text}"));
    };
    if price <= Decimal::ZERO {
        return bad_request("limit_price must be greater than 0");
    }
    if price > Decimal::from(1_000_000) {
        return bad_request("limit_price may be at most 1000000");
    }
    let decimals = if !option && price < Decimal::ONE {
        4
    } else {
        2
    };
    if price.normalize().scale() > decimals {
        return bad_request(format!(
            "limit_price {text} has more than {decimals} decimals"
        ));
    }
    Ok(price.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 5, 18);

    fn request(symbol: &str, side: &str, kind: &str, qty: &str) -> PaperOrderRequest {
        PaperOrderRequest {
            symbol: Some(symbol.into()),
            qty: Some(qty.into()),
            side: Some(side.into()),
            order_type: Some(kind.into()),
            time_in_force: Some("day".into()),
            ..Default::default()
        }
    }

    fn code(request: &PaperOrderRequest) -> (u16, &'static str) {
        let refusal = request.check(TODAY, false).unwrap_err();
        (refusal.status, refusal.code)
    }

    #[test]
    fn symbols_are_tickers_or_o_contracts() {
        assert_eq!(
            parse_symbol("aapl"),
            Some(Instrument::Equity("AAPL".into()))
        );
        assert_eq!(
            parse_symbol("BRK.B"),
            Some(Instrument::Equity("BRK.B".into()))
        );
        let option = parse_symbol("O:SPY260620C00500000").unwrap();
        assert_eq!(parse_symbol("SPY260620C00500000"), Some(option.clone()));
        assert_eq!(native_symbol(&option), "O:SPY260620C00500000");
        for bad in [
            "",
            "1ABC",
            "O:SPY",
            "AAPL$",
            "O:SPY 260620C00500000",
            "ABCDEFGHIJK",
        ] {
            assert_eq!(parse_symbol(bad), None, "{bad}");
        }
    }

    #[test]
    fn scenario_9_and_the_feature_gate() {
        let mut stop = request("AAPL", "buy", "stop", "1");
        assert_eq!(code(&stop), (422, "unsupported_order_type"));
        stop.order_type = Some("market".into());
        stop.present = vec!["notional"];
        assert_eq!(code(&stop), (422, "notional_not_supported"));
        let mut gtc = request("O:SPY260620C00500000", "buy", "market", "1");
        gtc.time_in_force = Some("gtc".into());
        assert_eq!(code(&gtc), (422, "unsupported_time_in_force"));
        let mut extended = request("O:SPY260620C00500000", "buy", "market", "1");
        extended.extended_hours = true;
        assert_eq!(code(&extended), (422, "extended_hours_not_supported"));
        let mut bracket = request("AAPL", "buy", "market", "1");
        bracket.order_class = Some("bracket".into());
        assert_eq!(code(&bracket), (422, "unsupported_order_class"));
    }

    #[test]
    fn scenario_8_options_are_whole_contracts_bought_to_open_and_sold_to_close() {
        let option = "O:SPY260620C00500000";
        assert_eq!(
            code(&request(option, "buy", "market", "1.5")),
            (422, "fractional_option_quantity")
        );
        let one = request(option, "buy", "market", "1.0")
            .check(TODAY, false)
            .unwrap();
        assert_eq!(
            (one.qty, one.intent),
            (Decimal::ONE, Some(Intent::BuyToOpen))
        );
        let mut naked = request(option, "sell", "market", "1");
        naked.position_intent = Some("sell_to_open".into());
        assert_eq!(code(&naked), (422, "unsupported_position_intent"));
        let mut mismatched = request(option, "buy", "market", "1");
        mismatched.position_intent = Some("sell_to_close".into());
        assert_eq!(code(&mismatched), (422, "unsupported_position_intent"));
    }

    #[test]
    fn fields_are_checked_with_clear_messages() {
        let cases = [
            (
                request("AAPL", "hold", "market", "1"),
                "side must be buy or sell, not hold",
            ),
            (
                request("AAPL", "buy", "market", "0"),
                "qty must be greater than 0",
            ),
            (
                request("AAPL", "buy", "market", "1e3"),
                "qty must be a decimal, not 1e3",
            ),
            (
                request("AAPL", "buy", "market", "0.0000000001"),
                "qty may have at most 9 decimals",
            ),
            (
                request("AAPL", "buy", "limit", "1"),
                "limit_price is required for limit orders",
            ),
        ];
        for (request, message) in cases {
            let refusal = request.check(TODAY, false).unwrap_err();
            assert_eq!((refusal.status, refusal.message.as_str()), (400, message));
        }
        let mut priced = request("AAPL", "buy", "limit", "1");
        for (price, ok) in [
            ("190.05", true),
            ("190.055", false),
            ("0.5123", true),
            ("0.51234", false),
            ("0", false),
        ] {
            priced.limit_price = Some(price.into());
            assert_eq!(priced.check(TODAY, false).is_ok(), ok, "{price}");
        }
        let mut option = request("O:SPY260620C00500000", "buy", "limit", "1");
        option.limit_price = Some("0.125".into());
        assert_eq!(code(&option), (400, "bad_request"));
        let mut market = request("AAPL", "buy", "market", "1");
        market.limit_price = Some("1".into());
        assert_eq!(code(&market), (400, "bad_request"));
        let mut id = request("AAPL", "buy", "market", "1");
        id.client_order_id = Some("x".repeat(129));
        assert_eq!(code(&id), (400, "bad_request"));
    }

    #[test]
    fn expired_contracts_are_refused() {
        let order = request("O:SPY260515C00500000", "buy", "market", "1");
        assert_eq!(code(&order), (422, "contract_expired"));
        let today = request("O:SPY260518C00500000", "buy", "market", "1");
        assert!(today.check(TODAY, false).is_ok());
        assert_eq!(
            today.check(TODAY, true).unwrap_err().code,
            "contract_expired"
        );
    }

    #[test]
    fn a_missing_symbol_is_a_bad_request_and_a_malformed_one_invalid() {
        let mut order = request("AAPL", "buy", "market", "1");
        order.symbol = None;
        assert_eq!(code(&order), (400, "bad_request"));
        order.symbol = Some("$$$".into());
        assert_eq!(code(&order), (422, "invalid_symbol"));
    }
}
