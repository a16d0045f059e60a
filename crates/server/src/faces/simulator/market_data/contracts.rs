//! The contracts a session's chain shows: one expiration (the session's own day when options
//! expire then, else the nearest later one), one contract per strike and right.

use std::collections::BTreeMap;

use jiff::civil::Date;
use model::roots::{Settlement, root_info};
use model::symbol::{OptionSymbol, Right, Strike};
use tape::{Owner, SessionFile};

use crate::http::Problem;

/// A contract of the chain and its series in the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    pub symbol: OptionSymbol,
    pub owner: Owner,
}

/// One strike of the chain: its call and put, when listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub strike: Strike,
    pub call: Option<Listed>,
    pub put: Option<Listed>,
}

impl Row {
    pub fn side(&self, right: Right) -> Option<Listed> {
        match right {
            Right::Call => self.call,
            Right::Put => self.put,
        }
    }
}

/// The chain of one expiration, ascending by strike.
#[derive(Clone, Debug)]
pub struct Chain {
    pub expiration: Date,
    pub rows: Vec<Row>,
}

impl Chain {
    /// The contracts of `session` expiring on `expiration`, or when `None` on the nearest
    /// expiration on or after the session's date (the day itself for SPX, whose dailies expire
    /// every session). Where two roots list a strike on the same date (SPX's AM-settled monthly
    /// and SPXW on a third Friday), the PM-settled contract is the one shown: it trades all day.
    pub fn of(session: &SessionFile, expiration: Option<Date>) -> Result<Chain, Problem> {
        let day = session.date();
        let expiration = match expiration {
            Some(date) => date,
            None => session
                .contracts()
                .iter()
                .map(|c| c.symbol.expiration)
                .filter(|e| *e >= day)
                .min()
                .ok_or_else(|| {
                    Problem::not_found(format!(
                        "no {} options are listed on {day}",
                        session.underlying()
                    ))
                })?,
        };
        let mut rows: BTreeMap<Strike, Row> = BTreeMap::new();
        for (i, contract) in session.contracts().iter().enumerate() {
            let symbol = contract.symbol;
            if symbol.expiration != expiration {
                continue;
            }
            let listed = Listed {
                symbol,
                owner: Owner::Contract(i as u32),
            };
            let row = rows.entry(symbol.strike).or_insert(Row {
                strike: symbol.strike,
                call: None,
                put: None,
            });
            let slot = match symbol.right {
                Right::Call => &mut row.call,
                Right::Put => &mut row.put,
            };
            if slot.is_none_or(|kept| preference(&listed) < preference(&kept)) {
                *slot = Some(listed);
            }
        }
        if rows.is_empty() {
            return Err(Problem::not_found(format!(
                "no {} options expiring {expiration} are listed on {day}",
                session.underlying()
            )));
        }
        Ok(Chain {
            expiration,
            rows: rows.into_values().collect(),
        })
    }

    /// Strikes that list both a call and a put: the candidates for the at-the-money strike.
    pub fn pairs(&self) -> impl Iterator<Item = (Strike, Listed, Listed)> + '_ {
        self.rows
            .iter()
            .filter_map(|row| Some((row.strike, row.call?, row.put?)))
    }
}

/// PM-settled roots first, then by root name, so the choice never depends on listing order.
fn preference(listed: &Listed) -> (bool, &str) {
    let root = listed.symbol.root.as_str();
    (root_info(root).settlement != Settlement::Pm, root)
}

/// The strike a chain key or list shows: integers without decimals, `5952.5` otherwise.
pub fn strike_text(strike: Strike) -> String {
    strike.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(text: &str) -> Listed {
        Listed {
            symbol: OptionSymbol::parse(text).unwrap(),
            owner: Owner::Contract(0),
        }
    }

    #[test]
    fn pm_settled_roots_are_preferred() {
        let am = listed("SPX250117C05950000");
        let pm = listed("SPXW250117C05950000");
        assert!(preference(&pm) < preference(&am));
        assert!(preference(&listed("SPY250117C00590000")) < preference(&am));
    }

    #[test]
    fn strikes_drop_trailing_zeros() {
        let strike = |t: u32| Strike::from_thousandths(t).unwrap();
        assert_eq!(strike_text(strike(5_950_000)), "5950");
        assert_eq!(strike_text(strike(5_952_500)), "5952.5");
        assert_eq!(strike_text(strike(22_050)), "22.05");
    }
}
