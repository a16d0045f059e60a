//! Alpaca's wire shapes over paper trading's (paper-trading spec §12.4, §12.7). Orders and
//! positions are the native objects (alpaca-py ignores the extra fields) with Alpaca's option
//! symbols, without `O:`; instants of the clock carry New York's offset; refusals take Alpaca's
//! statuses and codes.

use model::Timestamp;
use model::calendar;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use store::paper_orders::OrderRow;

use crate::faces::paper::positions::Marked;
use crate::faces::paper::wire::order_body;
use crate::http::{Problem, ProblemKind};

/// Alpaca's spelling of a native symbol: an option without `O:`, a stock unchanged.
pub fn symbol(native: &str) -> &str {
    native.strip_prefix("O:").unwrap_or(native)
}

/// An Order (§12.4): the native order with Alpaca's symbol.
pub fn order(row: &OrderRow) -> Value {
    let mut body = order_body(row);
    body["symbol"] = json!(symbol(&row.symbol));
    body
}

/// A Position (§12.4): the native position with Alpaca's symbol. Yesterday's mark is not kept,
/// so the figures relative to it are `null` (optional in alpaca-py's model).
pub fn position(marked: &Marked, open_sells: Decimal) -> Value {
    let mut body = marked.body(open_sells);
    body["symbol"] = json!(symbol(&marked.position.symbol));
    body["asset_marginable"] = json!(false);
    for unknown in [
        "lastday_price",
        "change_today",
        "unrealized_intraday_pl",
        "unrealized_intraday_plpc",
    ] {
        body[unknown] = Value::Null;
    }
    body
}

/// An instant on New York's wall clock with its offset and six fractional digits
/// (`2025-01-15T14:00:00.000000-05:00`), the way Alpaca's clock writes its times.
pub fn eastern(t: Timestamp) -> String {
    // Truncated to microseconds like every other paper instant.
    let micros = Timestamp::from_nanos(t.as_nanos().div_euclid(1_000) * 1_000);
    let zoned = micros.to_jiff().to_zoned(calendar::new_york().clone());
    let offset = zoned.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.unsigned_abs() / 60;
    format!(
        "{:.6}{sign}{:02}:{:02}",
        zoned.datetime(),
        minutes / 60,
        minutes % 60
    )
}

/// Alpaca's code for a duplicate `client_order_id` (§12.7), which Alpaca answers with 422.
pub const DUPLICATE_CLIENT_ORDER_ID: &str = "40010001";

/// A native refusal as `/v2` answers it (§12.7): a duplicate client order id is 422 with
/// Alpaca's code, a write on an archived account 403; the rest keep their status, whose
/// Alpaca code (`42210000`, `40410000`, ...) the face derives.
pub fn problem(problem: Problem) -> Problem {
    match problem.code {
        Some("duplicate_client_order_id") => {
            Problem::new(ProblemKind::Unprocessable, problem.message)
                .with_code(DUPLICATE_CLIENT_ORDER_ID)
        }
        Some("account_archived") => Problem::forbidden(problem.message),
        _ => problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eastern_instants_carry_new_yorks_offset() {
        let winter = Timestamp::parse_rfc3339("2025-01-15T19:00:00.1234567Z").unwrap();
        assert_eq!(eastern(winter), "2025-01-15T14:00:00.123456-05:00");
        let summer = Timestamp::parse_rfc3339("2025-07-01T13:30:00Z").unwrap();
        assert_eq!(eastern(summer), "2025-07-01T09:30:00.000000-04:00");
    }

    #[test]
    fn option_symbols_lose_their_prefix() {
        assert_eq!(symbol("O:SPY250117C00600000"), "SPY250117C00600000");
        assert_eq!(symbol("SPY"), "SPY");
    }

    #[test]
    fn refusals_take_alpacas_statuses() {
        let duplicate = problem(
            Problem::new(ProblemKind::Conflict, "taken").with_code("duplicate_client_order_id"),
        );
        assert_eq!(
            (duplicate.kind, duplicate.code),
            (ProblemKind::Unprocessable, Some(DUPLICATE_CLIENT_ORDER_ID))
        );
        let archived =
            problem(Problem::new(ProblemKind::Conflict, "old").with_code("account_archived"));
        assert_eq!(archived.kind, ProblemKind::Forbidden);
        let other = problem(Problem::not_found("gone"));
        assert_eq!(other.kind, ProblemKind::NotFound);
    }
}
