//! A simulation's financials second by second, from the open to the clock.
//!
//! What the ledger settled (cash, fees, realized P&L, margin) changes only at the seconds orders
//! were placed or filled and at the close; in between only the marks of the open positions
//! move. So the account is worked out once per stretch between such seconds, and within a
//! stretch the positions are re-marked as their quotes change, walking the quotes in time order
//! rather than looking each second up.

use crate::account::{Account, Financials, Simulation, financials, settled_measures};
use crate::fill::LegQuote;
use crate::ledger::Placed;
use crate::market::{Market, MarketError, any_range};
use model::Timestamp;

/// The financials at one second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at: Timestamp,
    pub financials: Financials,
}

const SECOND: i64 = 1_000_000_000;

/// Samples at `from`, `from + step`, … through `to` (whole seconds; `step` at least 1).
pub fn history(
    simulation: &Simulation<'_>,
    ledger: &[Placed],
    from: Timestamp,
    to: Timestamp,
    step: u32,
    market: &dyn Market,
) -> Result<Vec<Sample>, MarketError> {
    let step = i64::from(step.max(1)) * SECOND;
    if to < from {
        return Ok(Vec::new());
    }
    // Seconds at which what the ledger settled may change.
    let mut breaks: Vec<Timestamp> = ledger
        .iter()
        .flat_map(|placed| [Some(placed.placed_at), placed.fill.as_ref().map(|f| f.at)])
        .flatten()
        .chain([simulation.end])
        .filter(|t| *t > from && *t <= to)
        .collect();
    breaks.push(from);
    breaks.sort();
    breaks.dedup();
    let count = (to.as_nanos() - from.as_nanos()) / step + 1;
    let mut samples = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut next_sample = from;
    for (i, start) in breaks.iter().enumerate() {
        // The stretch [start, end): to the next break, or through `to` for the last.
        let end = breaks
            .get(i + 1)
            .copied()
            .unwrap_or(Timestamp::from_nanos(to.as_nanos() + 1));
        if next_sample >= end {
            continue;
        }
        let account = Account::at(simulation, ledger, *start, market)?;
        let settled = settled_measures(
            &account.transactions,
            &account.book,
            account.financials.total.maintenance,
        );
        let mut positions = account.positions;
        let instruments: Vec<_> = positions.iter().map(|p| p.instrument.clone()).collect();
        let mut changes: Vec<(Timestamp, Vec<Option<LegQuote>>)> = Vec::new();
        let last = Timestamp::from_nanos(end.as_nanos() - 1);
        market.first_second(
            &instruments,
            *start,
            last,
            &mut any_range,
            &mut |at, quotes| {
                changes.push((at, quotes.to_vec()));
                false
            },
        )?;
        let mut changes = changes.into_iter().peekable();
        let mut current = account.financials;
        let mut marked: Vec<Option<LegQuote>> = Vec::new();
        for instrument in &instruments {
            marked.push(market.quote(instrument, *start)?);
        }
        while next_sample < end {
            let mut moved = false;
            while let Some((_, quotes)) = changes.next_if(|(at, _)| *at <= next_sample) {
                for ((position, quote), was) in positions.iter_mut().zip(&quotes).zip(&mut marked) {
                    if quote != was {
                        position.mark_at(quote.map(|q| q.mid()));
                        *was = *quote;
                        moved = true;
                    }
                }
            }
            if moved {
                current = financials(simulation.starting_capital, settled, &positions);
            }
            samples.push(Sample {
                at: next_sample,
                financials: current,
            });
            next_sample = Timestamp::from_nanos(next_sample.as_nanos() + step);
        }
    }
    Ok(samples)
}
