//! The per-second index series of §5.5, computed for a list of instants of one session: the
//! underlying's value, VIX, the expected move, the out-of-the-money bids and the at-the-money
//! extrinsic value. Every input is a record in force at the instant (the last one at or before
//! it, never from before the open).
//!
//! Each series is read once, in time order, against the instants (or, where the instants are
//! few next to the records, by an as-of look-up per instant), so a whole session at one second is
//! one pass over the contracts that matter rather than a look-up per contract per second.

use model::Timestamp;
use model::symbol::{Right, Strike};
use rust_decimal::{Decimal, RoundingStrategy};
use tape::{IndexValue, Owner, PRICE_SCALE, Px, Quote, Record, SessionFile, TapeError, Trade};

use super::contracts::{Chain, Listed};

/// The underlying of the `vix` series.
pub const VIX: &str = "VIX";

/// Decimals of `spx_expected_move` (a fraction of the index: 0.004812 is 0.48 %).
pub const EXPECTED_MOVE_DECIMALS: u32 = 6;

/// A series is read by look-ups when it has this many times more records than instants asked.
const SPARSE: u64 = 16;

/// Which columns to compute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub spot: bool,
    pub vix: bool,
    pub expected_move: bool,
    pub otm_bids: bool,
    pub extrinsic: bool,
}

/// The columns, one value per instant (`None` where an input is missing); unwanted ones empty.
#[derive(Debug, Default)]
pub struct Columns {
    pub spot: Vec<Option<Px>>,
    pub vix: Vec<Option<Px>>,
    /// Unrounded: the average over sessions is taken before rounding.
    pub expected_move: Vec<Option<Decimal>>,
    pub otm_bids: Vec<Option<Px>>,
    pub extrinsic: Vec<Option<Decimal>>,
}

/// The columns of `wanted` at `instants` (ascending) of `session`, whose exchange session opens
/// at `open`. `vix` is the VIX session of the same day, when the tape has one.
pub fn compute(
    session: &SessionFile,
    vix: Option<&SessionFile>,
    open: Timestamp,
    instants: &[Timestamp],
    wanted: Wanted,
) -> Result<Columns, TapeError> {
    let mut columns = Columns::default();
    let options = wanted.expected_move || wanted.otm_bids || wanted.extrinsic;
    if !(wanted.spot || options || wanted.vix) {
        return Ok(columns);
    }
    if wanted.vix {
        columns.vix = match vix {
            Some(vix) => underlying_prices(vix, open, instants)?,
            None => vec![None; instants.len()],
        };
    }
    if !(wanted.spot || options) {
        return Ok(columns);
    }
    let spot = underlying_prices(session, open, instants)?;
    if options {
        // An underlying without options has none of the option series.
        let chain = Chain::of(session, None).ok();
        if wanted.expected_move || wanted.extrinsic {
            let (moves, extrinsic) = at_the_money(session, chain.as_ref(), open, instants, &spot)?;
            if wanted.expected_move {
                columns.expected_move = moves;
            }
            if wanted.extrinsic {
                columns.extrinsic = extrinsic;
            }
        }
        if wanted.otm_bids {
            columns.otm_bids = otm_bids(session, chain.as_ref(), open, instants, &spot)?;
        }
    }
    if wanted.spot {
        columns.spot = spot;
    }
    Ok(columns)
}

/// For each instant, the last record of the series at or before it and not before `from`.
fn sample<R: Record>(
    session: &SessionFile,
    owner: Owner,
    from: Timestamp,
    instants: &[Timestamp],
) -> Result<Vec<Option<R>>, TapeError> {
    let Some(last) = instants.last() else {
        return Ok(Vec::new());
    };
    let end = Timestamp::from_nanos(last.as_nanos().saturating_add(1));
    let positions = session.positions::<R>(owner, from, end)?;
    let records = positions.end - positions.start;
    if records == 0 {
        return Ok(vec![None; instants.len()]);
    }
    if (instants.len() as u64).saturating_mul(SPARSE) < records {
        return instants
            .iter()
            .map(|t| Ok(session.at::<R>(owner, *t)?.filter(|r| r.ts() >= from)))
            .collect();
    }
    let mut out: Vec<Option<R>> = Vec::with_capacity(instants.len());
    let mut current = None;
    session.visit::<R>(owner, from, end, |chunk| {
        for record in chunk {
            while out.len() < instants.len() && instants[out.len()] < record.ts() {
                out.push(current);
            }
            current = Some(*record);
        }
    })?;
    out.resize(instants.len(), current);
    Ok(out)
}

/// The underlying's price at each instant as the tape's chains take it: its index value, else
/// its quote's midpoint, else its last trade.
fn underlying_prices(
    session: &SessionFile,
    open: Timestamp,
    instants: &[Timestamp],
) -> Result<Vec<Option<Px>>, TapeError> {
    let values = sample::<IndexValue>(session, Owner::Underlying, open, instants)?;
    let quotes = sample::<Quote>(session, Owner::Underlying, open, instants)?;
    let trades = sample::<Trade>(session, Owner::Underlying, open, instants)?;
    Ok(values
        .into_iter()
        .zip(quotes)
        .zip(trades)
        .map(|((value, quote), trade)| {
            value
                .map(|v| v.value)
                .or_else(|| quote.and_then(|q| q.mid()))
                .or_else(|| trade.map(|t| t.price))
        })
        .collect())
}

fn strike_px(strike: Strike) -> Px {
    i64::from(strike.thousandths()) * (PRICE_SCALE / 1000)
}

/// The at-the-money strike for `spot`: the nearest strike that lists both a call and a put, the
/// lower one on a tie. `strikes` ascending; returns an index into it.
pub fn nearest(strikes: &[Px], spot: Px) -> Option<usize> {
    let above = strikes.partition_point(|k| *k < spot);
    match (above.checked_sub(1), strikes.get(above)) {
        (None, None) => None,
        (Some(below), None) => Some(below),
        (None, Some(_)) => Some(above),
        (Some(below), Some(k)) => Some(if k - spot < spot - strikes[below] {
            above
        } else {
            below
        }),
    }
}

/// The at-the-money straddle's midpoint, per share: half the sum of both quotes' bids and asks.
/// `None` unless both are two-sided.
fn straddle(call: &Quote, put: &Quote) -> Option<Decimal> {
    if !(call.is_two_sided() && put.is_two_sided()) {
        return None;
    }
    let sum =
        i128::from(call.bid) + i128::from(call.ask) + i128::from(put.bid) + i128::from(put.ask);
    Some(Decimal::from_i128_with_scale(sum, 9) / Decimal::TWO)
}

/// The expected move as a fraction of the index: the straddle's mid over the spot, unrounded.
pub fn expected_move(call: &Quote, put: &Quote, spot: Px) -> Option<Decimal> {
    if spot <= 0 {
        return None;
    }
    Some(straddle(call, put)? / Decimal::new(spot, 9))
}

/// The straddle's value above its intrinsic value `|spot − strike|`, in index points.
pub fn extrinsic(call: &Quote, put: &Quote, spot: Px, strike: Px) -> Option<Decimal> {
    Some(straddle(call, put)? - Decimal::new((spot - strike).abs(), 9))
}

/// `spx_expected_move` as written: six decimals, half away from zero.
pub fn round_move(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(
        EXPECTED_MOVE_DECIMALS,
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// One value per instant, `None` where it has none.
type Column<T> = Vec<Option<T>>;

/// Expected move and extrinsic value at each instant. Each strike's call and put are read only
/// at the instants where that strike is at the money.
fn at_the_money(
    session: &SessionFile,
    chain: Option<&Chain>,
    open: Timestamp,
    instants: &[Timestamp],
    spot: &[Option<Px>],
) -> Result<(Column<Decimal>, Column<Decimal>), TapeError> {
    let mut moves = vec![None; instants.len()];
    let mut extrinsics = vec![None; instants.len()];
    let Some(chain) = chain else {
        return Ok((moves, extrinsics));
    };
    let pairs: Vec<(Strike, Listed, Listed)> = chain.pairs().collect();
    let strikes: Vec<Px> = pairs.iter().map(|(k, _, _)| strike_px(*k)).collect();
    // The instants at which each pair is at the money.
    let mut at: Vec<Vec<usize>> = vec![Vec::new(); pairs.len()];
    for (i, spot) in spot.iter().enumerate() {
        if let Some(pair) = spot.and_then(|s| nearest(&strikes, s)) {
            at[pair].push(i);
        }
    }
    for (pair, indices) in at.iter().enumerate() {
        if indices.is_empty() {
            continue;
        }
        let (_, call, put) = pairs[pair];
        let times: Vec<Timestamp> = indices.iter().map(|i| instants[*i]).collect();
        let calls = sample::<Quote>(session, call.owner, open, &times)?;
        let puts = sample::<Quote>(session, put.owner, open, &times)?;
        for ((i, call), put) in indices.iter().zip(calls).zip(puts) {
            let (Some(call), Some(put), Some(spot)) = (call, put, spot[*i]) else {
                continue;
            };
            moves[*i] = expected_move(&call, &put, spot);
            extrinsics[*i] = extrinsic(&call, &put, spot, strikes[pair]);
        }
    }
    Ok((moves, extrinsics))
}

/// The sum of the bids of every out-of-the-money contract of the chain at each instant (calls
/// above the spot, puts below it; a strike at the spot is neither), per share. `None` before
/// the spot is known or while no contract of the chain has a quote.
fn otm_bids(
    session: &SessionFile,
    chain: Option<&Chain>,
    open: Timestamp,
    instants: &[Timestamp],
    spot: &[Option<Px>],
) -> Result<Vec<Option<Px>>, TapeError> {
    let mut sums: Vec<Px> = vec![0; instants.len()];
    let mut quoted = vec![false; instants.len()];
    if let Some(chain) = chain {
        for row in &chain.rows {
            let strike = strike_px(row.strike);
            for right in [Right::Call, Right::Put] {
                let Some(listed) = row.side(right) else {
                    continue;
                };
                let quotes = sample::<Quote>(session, listed.owner, open, instants)?;
                for (i, quote) in quotes.iter().enumerate() {
                    let (Some(quote), Some(spot)) = (quote, spot[i]) else {
                        continue;
                    };
                    quoted[i] = true;
                    let out_of_the_money = match right {
                        Right::Call => strike > spot,
                        Right::Put => strike < spot,
                    };
                    if out_of_the_money {
                        sums[i] += quote.bid;
                    }
                }
            }
        }
    }
    Ok(sums
        .into_iter()
        .zip(quoted)
        .zip(spot)
        .map(|((sum, quoted), spot)| (quoted && spot.is_some()).then_some(sum))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(bid: &str, ask: &str) -> Quote {
        let px = |t: &str| tape::records::px_from_decimal(t.parse().unwrap()).unwrap();
        Quote {
            bid: px(bid),
            ask: px(ask),
            ..Default::default()
        }
    }

    #[test]
    fn the_nearest_strike_wins_and_ties_go_down() {
        let strikes = [5_940, 5_945, 5_950, 5_955].map(|k| k * PRICE_SCALE);
        assert_eq!(nearest(&strikes, 5_951 * PRICE_SCALE), Some(2));
        assert_eq!(
            nearest(&strikes, 5_947 * PRICE_SCALE + PRICE_SCALE / 2),
            Some(1)
        );
        assert_eq!(nearest(&strikes, 5_948 * PRICE_SCALE), Some(2));
        assert_eq!(nearest(&strikes, 1), Some(0));
        assert_eq!(nearest(&strikes, 9_999 * PRICE_SCALE), Some(3));
        assert_eq!(nearest(&[], 1), None);
    }

    #[test]
    fn the_straddle_gives_move_and_extrinsic_exactly() {
        let (call, put) = (quote("4.2", "4.4"), quote("3.1", "3.3"));
        let spot = 5_950 * PRICE_SCALE;
        let raw = expected_move(&call, &put, spot).unwrap();
        // 7.5 / 5950 = 0.00126050...
        assert_eq!(round_move(raw).to_string(), "0.001261");
        assert_eq!(
            extrinsic(&call, &put, 5_951 * PRICE_SCALE, spot)
                .unwrap()
                .normalize()
                .to_string(),
            "6.5"
        );
        assert_eq!(expected_move(&quote("0", "4.4"), &put, spot), None);
        assert_eq!(expected_move(&call, &put, 0), None);
    }
}
