//! Maintenance margin of a book of options, by structure (simulator spec §11).
//!
//! | Structure | Requirement |
//! |---|---|
//! | Long option | 0: the premium was paid from cash |
//! | Short covered by a same-type long (long call strike ≤ short call strike; long put strike ≥ short put strike) | 0 |
//! | Credit vertical | spread width × 100 a contract |
//! | Iron condor | max(call side, put side), not the sum |
//! | Naked short | strike × 0.20 × 100 a contract |
//!
//! So a naked 5950 put reserves $119,000 and a $20-wide credit vertical $2,000. The credit
//! received is not netted in. Shares are not passed here: long stock needs no maintenance.
//!
//! Shorts are paired with longs of the same root, expiration and right: a long call never covers
//! a short put, and SPX (AM-settled) never covers SPXW (PM-settled) of the same date. Within one
//! root and expiration the calls' spread margin and the puts' combine as max(call, put), the
//! iron-condor rule (it can lose on one side only); naked margins add on top.
//!
//! # Pairing and what it guarantees
//!
//! Each side (root, expiration, right) is paired for the least margin of its own, spread plus
//! naked, over every way of giving its short contracts distinct longs or leaving them naked;
//! among equally cheap pairings, the one with the least naked margin, because spread margin may
//! be absorbed by the other side's under max(call, put) and naked margin never is. A short
//! stays naked beside an unused long only when the pair would cost more than the naked
//! requirement (a long put below 80% of the short strike, a long call above 120%). Which
//! contracts to match is a min-cost flow over the side's strikes, so it works on contract counts
//! rather than unit contracts; the matched longs and shorts are then paired in strike order,
//! which never costs more because a pair's margin is a convex function of the strike distance.
//!
//! The margin of a root and expiration is then max(call spread, put spread) + naked. That is the
//! least the rules allow whenever the side with the smaller spread margin is left with the least
//! naked margin any pairing of it can reach: verticals, iron condors, naked shorts, books with
//! shorts on one side only. Otherwise a pairing that takes on more spread margin on the smaller
//! side, where max() absorbs it, in exchange for less naked margin can total less (see
//! `each_side_is_paired_for_itself_even_where_max_would_absorb_more_spread`). We do not search
//! for it: that is a subset-sum problem in general, and the cheap partial searches let buying a
//! long raise the margin. Pairing each side for itself never does that: adding a long or closing
//! part of a short never raises the margin.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::ops::{Add, Mul, Neg, Sub};

use model::roots::root_info;
use model::symbol::{OptionSymbol, Right};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, dec};

/// The share of the strike a naked short reserves.
const NAKED_RATE: Decimal = dec!(0.20);

/// An option position for margin: the contract and its signed quantity (+ long, − short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    pub symbol: OptionSymbol,
    pub quantity: i64,
}

/// How shorts were matched: each short's contracts either paired with a long or left naked.
///
/// Exact about counts, because settlement nets a covered short against its long: for every
/// netted short, its pairs and its naked entry add up to its quantity; no long is paired for
/// more contracts than it holds. Both lists are sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairing {
    /// (long, short, contracts): shorts covered by a long of the same root, expiry and right.
    pub pairs: Vec<(OptionSymbol, OptionSymbol, u64)>,
    /// (short, contracts) with no long to pair with.
    pub naked: Vec<(OptionSymbol, u64)>,
}

/// Nets holdings of the same contract, then pairs shorts with longs per root, expiry and right.
///
/// See the [module documentation](self) for which pairing is chosen. A netted quantity beyond
/// `u64::MAX` contracts saturates.
pub fn pair(holdings: &[Holding]) -> Pairing {
    let mut net = BTreeMap::<OptionSymbol, i128>::new();
    for holding in holdings {
        *net.entry(holding.symbol).or_default() += i128::from(holding.quantity);
    }
    let net: Vec<(OptionSymbol, i128)> = net.into_iter().filter(|&(_, q)| q != 0).collect();

    let mut pairing = Pairing::default();
    // The map's order is (root, expiration, right, strike): each side is a run, by strike.
    for side in net.chunk_by(|(a, _), (b, _)| same_side(a, b)) {
        let contracts = |q: i128| u64::try_from(q.unsigned_abs()).unwrap_or(u64::MAX);
        let longs: Vec<(OptionSymbol, u64)> = side
            .iter()
            .filter(|(_, q)| *q > 0)
            .map(|&(symbol, q)| (symbol, contracts(q)))
            .collect();
        let shorts: Vec<(OptionSymbol, u64)> = side
            .iter()
            .filter(|(_, q)| *q < 0)
            .map(|&(symbol, q)| (symbol, contracts(q)))
            .collect();
        pair_side(side[0].0.right, &longs, &shorts, &mut pairing);
    }
    pairing.pairs.sort();
    pairing.naked.sort();
    pairing
}

/// The margin one pair of contracts needs: 0 when the long fully covers the short, else the
/// strike distance × the multiplier (100).
///
/// Meant for a long and a short of the same root, expiry and right, which is all [`pair`]
/// produces; the short's right says which way covers.
pub fn pair_margin(long: &OptionSymbol, short: &OptionSymbol) -> Decimal {
    let (long_strike, short_strike) = (long.strike.to_decimal(), short.strike.to_decimal());
    let uncovered = match short.right {
        Right::Call => long_strike - short_strike,
        Right::Put => short_strike - long_strike,
    };
    (uncovered.max(Decimal::ZERO) * multiplier(short)).normalize()
}

/// The margin of one naked short contract: strike × 0.20 × the multiplier (100).
pub fn naked_margin(short: &OptionSymbol) -> Decimal {
    (short.strike.to_decimal() * NAKED_RATE * multiplier(short)).normalize()
}

/// Dollars per point of the class's contracts.
fn multiplier(symbol: &OptionSymbol) -> Decimal {
    Decimal::from(root_info(symbol.root.as_str()).multiplier)
}

/// Maintenance margin of a book of option holdings, in dollars.
///
/// Per root and expiration, max(call spread margin, put spread margin), plus every naked
/// short's margin.
pub fn maintenance_margin(holdings: &[Holding]) -> Decimal {
    let pairing = pair(holdings);
    // Per (root, expiration): [call spread margin, put spread margin].
    let mut spreads = BTreeMap::<_, [Decimal; 2]>::new();
    for (long, short, contracts) in &pairing.pairs {
        let sides = spreads.entry((short.root, short.expiration)).or_default();
        let side = match short.right {
            Right::Call => &mut sides[0],
            Right::Put => &mut sides[1],
        };
        *side += pair_margin(long, short) * Decimal::from(*contracts);
    }
    let spread: Decimal = spreads.values().map(|[call, put]| (*call).max(*put)).sum();
    let naked: Decimal = pairing
        .naked
        .iter()
        .map(|(short, contracts)| naked_margin(short) * Decimal::from(*contracts))
        .sum();
    (spread + naked).normalize()
}

/// Whether two contracts may pair: the same root, expiration and right.
fn same_side(a: &OptionSymbol, b: &OptionSymbol) -> bool {
    (a.root, a.expiration, a.right) == (b.root, b.expiration, b.right)
}

/// Pairs one side's shorts with its longs (each list by strike, all contracts distinct).
fn pair_side(
    right: Right,
    longs: &[(OptionSymbol, u64)],
    shorts: &[(OptionSymbol, u64)],
    pairing: &mut Pairing,
) {
    let (used, naked) = if longs.is_empty() || shorts.is_empty() {
        (
            vec![0; longs.len()],
            shorts.iter().map(|&(_, n)| n).collect(),
        )
    } else {
        choose(right, longs, shorts)
    };
    for (&(short, _), &n) in shorts.iter().zip(&naked) {
        if n > 0 {
            pairing.naked.push((short, n));
        }
    }
    // In strike order: the i-th matched long with the i-th matched short.
    let mut longs = longs
        .iter()
        .zip(&used)
        .map(|(&(long, _), &n)| (long, n))
        .filter(|&(_, n)| n > 0);
    let mut shorts = shorts
        .iter()
        .zip(&naked)
        .map(|(&(short, count), &n)| (short, count - n))
        .filter(|&(_, n)| n > 0);
    let (mut long, mut short) = (longs.next(), shorts.next());
    while let (Some((l, ln)), Some((s, sn))) = (long, short) {
        let n = ln.min(sn);
        pairing.pairs.push((l, s, n));
        long = if ln > n {
            Some((l, ln - n))
        } else {
            longs.next()
        };
        short = if sn > n {
            Some((s, sn - n))
        } else {
            shorts.next()
        };
    }
}

/// Which contracts of one side to match: how many of each long to use and how many of each
/// short to leave naked, for the least (margin, naked margin).
///
/// A min-cost flow over the strikes, which sit on a line: a unit of flow enters at a long and
/// travels along the line to the short it covers, for free in the covering direction (up to a
/// higher call strike, down to a lower put strike) and at the pair's margin per point the other
/// way; or it enters a short's own node as that short's naked requirement. Every short must be
/// served, one way or the other.
fn choose(
    right: Right,
    longs: &[(OptionSymbol, u64)],
    shorts: &[(OptionSymbol, u64)],
) -> (Vec<u64>, Vec<u64>) {
    // Nodes: longs, shorts, each short's demand, the source and the sink.
    let (a, b) = (longs.len(), shorts.len());
    let (source, sink) = (a + 2 * b, a + 2 * b + 1);
    let mut network = Network::with_nodes(a + 2 * b + 2);
    let demand: u128 = shorts.iter().map(|&(_, n)| u128::from(n)).sum();

    let mut line: Vec<(u32, usize)> = longs
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.strike.thousandths(), i))
        .chain(
            shorts
                .iter()
                .enumerate()
                .map(|(j, (s, _))| (s.strike.thousandths(), a + j)),
        )
        .collect();
    line.sort_unstable();
    // A call is covered by a long at or below its strike, a put by one at or above.
    let (up, down) = match right {
        Right::Call => (Cost::default(), Cost::spread_per_thousandth(&shorts[0].0)),
        Right::Put => (Cost::spread_per_thousandth(&shorts[0].0), Cost::default()),
    };
    for step in line.windows(2) {
        let ((low, from), (high, to)) = (step[0], step[1]);
        let gap = i128::from(high - low);
        network.add_edge(from, to, demand, up * gap);
        network.add_edge(to, from, demand, down * gap);
    }

    let used: Vec<_> = longs
        .iter()
        .enumerate()
        .map(|(i, &(_, n))| network.add_edge(source, i, n.into(), Cost::default()))
        .collect();
    let naked: Vec<_> = shorts
        .iter()
        .enumerate()
        .map(|(j, &(symbol, n))| {
            let served = a + b + j;
            network.add_edge(a + j, served, n.into(), Cost::default());
            network.add_edge(served, sink, n.into(), Cost::default());
            network.add_edge(source, served, n.into(), Cost::naked(&symbol))
        })
        .collect();

    network.send(source, sink, demand);
    // Each flow is bounded by a capacity that came from a u64.
    let read = |edges: &[EdgeRef]| -> Vec<u64> {
        edges
            .iter()
            .map(|&e| u64::try_from(network.flow(e)).unwrap_or(u64::MAX))
            .collect()
    };
    (read(&used), read(&naked))
}

/// A per-contract cost in hundredths of a cent, compared by margin first and naked margin
/// second.
///
/// Strikes are whole thousandths of a dollar, so a thousandth of strike distance and a naked
/// requirement (0.20 of a strike) are whole numbers of hundredths of a cent for any whole
/// multiplier; the flow's arithmetic stays in integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Cost {
    margin: i128,
    naked: i128,
}

impl Cost {
    /// A thousandth of a dollar of strike distance between a pair of `symbol`'s class.
    fn spread_per_thousandth(symbol: &OptionSymbol) -> Cost {
        Cost {
            margin: units(multiplier(symbol) / dec!(1000)),
            naked: 0,
        }
    }

    fn naked(short: &OptionSymbol) -> Cost {
        let units = units(naked_margin(short));
        Cost {
            margin: units,
            naked: units,
        }
    }
}

/// Dollars in hundredths of a cent (exact for the amounts above).
fn units(dollars: Decimal) -> i128 {
    (dollars * dec!(10000))
        .trunc()
        .to_i128()
        .unwrap_or(i128::MAX)
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, other: Cost) -> Cost {
        Cost {
            margin: self.margin + other.margin,
            naked: self.naked + other.naked,
        }
    }
}

impl Sub for Cost {
    type Output = Cost;
    fn sub(self, other: Cost) -> Cost {
        self + -other
    }
}

impl Neg for Cost {
    type Output = Cost;
    fn neg(self) -> Cost {
        Cost {
            margin: -self.margin,
            naked: -self.naked,
        }
    }
}

impl Mul<i128> for Cost {
    type Output = Cost;
    fn mul(self, factor: i128) -> Cost {
        Cost {
            margin: self.margin * factor,
            naked: self.naked * factor,
        }
    }
}

/// Where an edge sits: its tail node and its index there.
type EdgeRef = (usize, usize);

struct Edge {
    to: usize,
    /// Residual capacity.
    capacity: u128,
    cost: Cost,
    /// The index of the reverse edge at `to`.
    reverse: usize,
}

/// A flow network solved by successive shortest paths.
struct Network {
    edges: Vec<Vec<Edge>>,
}

impl Network {
    fn with_nodes(nodes: usize) -> Network {
        Network {
            edges: (0..nodes).map(|_| Vec::new()).collect(),
        }
    }

    fn add_edge(&mut self, from: usize, to: usize, capacity: u128, cost: Cost) -> EdgeRef {
        let (forward, reverse) = (self.edges[from].len(), self.edges[to].len());
        self.edges[from].push(Edge {
            to,
            capacity,
            cost,
            reverse,
        });
        self.edges[to].push(Edge {
            to: from,
            capacity: 0,
            cost: -cost,
            reverse: forward,
        });
        (from, forward)
    }

    /// What has been sent through an edge: its reverse's residual capacity.
    fn flow(&self, (from, index): EdgeRef) -> u128 {
        let edge = &self.edges[from][index];
        self.edges[edge.to][edge.reverse].capacity
    }

    /// Sends `amount` from `source` to `sink` at the least total cost.
    ///
    /// Dijkstra on costs reduced by node potentials, which keeps them non-negative once the
    /// starting costs are (ours are); the flow after each augmentation is the cheapest for its
    /// size. Ties are broken by node and edge order, so the result is deterministic.
    fn send(&mut self, source: usize, sink: usize, mut amount: u128) {
        let nodes = self.edges.len();
        let mut potential = vec![Cost::default(); nodes];
        while amount > 0 {
            let mut distance: Vec<Option<Cost>> = vec![None; nodes];
            let mut via: Vec<EdgeRef> = vec![(usize::MAX, 0); nodes];
            let mut queue = BinaryHeap::new();
            distance[source] = Some(Cost::default());
            queue.push(Reverse((Cost::default(), source)));
            while let Some(Reverse((reached, node))) = queue.pop() {
                if distance[node] != Some(reached) {
                    continue;
                }
                for (index, edge) in self.edges[node].iter().enumerate() {
                    if edge.capacity == 0 {
                        continue;
                    }
                    let next = reached + edge.cost + potential[node] - potential[edge.to];
                    if distance[edge.to].is_none_or(|known| next < known) {
                        distance[edge.to] = Some(next);
                        via[edge.to] = (node, index);
                        queue.push(Reverse((next, edge.to)));
                    }
                }
            }
            if distance[sink].is_none() {
                // Unreachable in our networks: every short can always go naked.
                return;
            }
            for (p, d) in potential.iter_mut().zip(&distance) {
                if let Some(d) = d {
                    *p = *p + *d;
                }
            }
            let mut push = amount;
            let mut node = sink;
            while node != source {
                let (from, index) = via[node];
                push = push.min(self.edges[from][index].capacity);
                node = from;
            }
            let mut node = sink;
            while node != source {
                let (from, index) = via[node];
                let edge = &mut self.edges[from][index];
                edge.capacity -= push;
                let (to, reverse) = (edge.to, edge.reverse);
                self.edges[to][reverse].capacity += push;
                node = from;
            }
            amount -= push;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn option(text: &str) -> OptionSymbol {
        OptionSymbol::parse(text).unwrap()
    }

    fn put(strike: u32) -> OptionSymbol {
        option(&format!("SPXW250115P{:08}", strike * 1000))
    }

    fn call(strike: u32) -> OptionSymbol {
        option(&format!("SPXW250115C{:08}", strike * 1000))
    }

    fn book(positions: &[(OptionSymbol, i64)]) -> Vec<Holding> {
        positions
            .iter()
            .map(|&(symbol, quantity)| Holding { symbol, quantity })
            .collect()
    }

    fn margin(positions: &[(OptionSymbol, i64)]) -> Decimal {
        maintenance_margin(&book(positions))
    }

    #[test]
    fn a_naked_short_reserves_a_fifth_of_its_strike() {
        assert_eq!(margin(&[(put(5950), -1)]), dec!(119000));
        assert_eq!(margin(&[(call(5950), -3)]), dec!(357000));
        assert_eq!(naked_margin(&put(5950)), dec!(119000));
        assert_eq!(naked_margin(&option("SPY250117P00022500")), dec!(450));
    }

    #[test]
    fn a_credit_vertical_reserves_its_width() {
        assert_eq!(margin(&[(put(5900), -1), (put(5880), 1)]), dec!(2000));
        assert_eq!(margin(&[(put(5900), -2), (put(5880), 2)]), dec!(4000));
        assert_eq!(margin(&[(call(5950), -1), (call(5970), 1)]), dec!(2000));
        assert_eq!(pair_margin(&put(5880), &put(5900)), dec!(2000));
        assert_eq!(pair_margin(&call(5970), &call(5950)), dec!(2000));
    }

    #[test]
    fn a_covered_short_reserves_nothing() {
        // Debit verticals, and the boundary: a long at the short's own strike of another date
        // is a different group, so use a same-strike pair through pair_margin directly.
        assert_eq!(margin(&[(call(5950), 1), (call(5970), -1)]), dec!(0));
        assert_eq!(margin(&[(put(5920), 1), (put(5900), -1)]), dec!(0));
        assert_eq!(pair_margin(&call(5950), &call(5970)), dec!(0));
        assert_eq!(pair_margin(&put(5900), &put(5900)), dec!(0));
    }

    #[test]
    fn an_iron_condor_reserves_its_wider_side_not_both() {
        let condor = [
            (put(5880), 1),
            (put(5900), -1),
            (call(6000), -1),
            (call(6020), 1),
        ];
        assert_eq!(margin(&condor), dec!(2000));
        let lopsided = [
            (put(5890), 1),
            (put(5900), -1),
            (call(6000), -1),
            (call(6020), 1),
        ];
        assert_eq!(margin(&lopsided), dec!(2000));
    }

    #[test]
    fn only_the_same_root_expiry_and_right_cover() {
        // A long call never covers a short put.
        assert_eq!(margin(&[(call(5900), 1), (put(5900), -1)]), dec!(118000));
        // SPX (AM-settled) and SPXW (PM-settled) on the same date are different contracts.
        let spx = option("SPX250115P05880000");
        assert_eq!(margin(&[(spx, 1), (put(5900), -1)]), dec!(118000));
        // Nor does another expiration.
        let later = option("SPXW250116P05920000");
        let pairing = pair(&book(&[(later, 1), (put(5900), -1)]));
        assert_eq!(pairing.pairs, vec![]);
        assert_eq!(pairing.naked, vec![(put(5900), 1)]);
    }

    #[test]
    fn long_options_alone_need_nothing() {
        assert_eq!(margin(&[]), dec!(0));
        assert_eq!(
            margin(&[
                (call(6000), 5),
                (put(5800), 2),
                (option("SPY250117C00600000"), 1)
            ]),
            dec!(0)
        );
    }

    #[test]
    fn a_naked_short_adds_its_margin_to_a_vertical() {
        let positions = [(put(5900), -1), (put(5880), 1), (call(6000), -1)];
        assert_eq!(margin(&positions), dec!(2000) + dec!(120000));
    }

    #[test]
    fn two_shorts_against_one_long_are_one_pair_and_one_naked() {
        let pairing = pair(&book(&[(put(5900), -2), (put(5880), 1)]));
        assert_eq!(pairing.pairs, vec![(put(5880), put(5900), 1)]);
        assert_eq!(pairing.naked, vec![(put(5900), 1)]);
        assert_eq!(margin(&[(put(5900), -2), (put(5880), 1)]), dec!(120000));
    }

    #[test]
    fn holdings_of_one_contract_net_first() {
        let positions = [(put(5950), 1), (put(5950), -1)];
        assert_eq!(pair(&book(&positions)), Pairing::default());
        assert_eq!(margin(&positions), dec!(0));
        // Netting to a short: −3 + 1 is two naked contracts, not one covered.
        let positions = [(put(5950), -3), (put(5950), 1)];
        assert_eq!(pair(&book(&positions)).naked, vec![(put(5950), 2)]);
    }

    #[test]
    fn the_cheapest_short_is_the_one_left_naked() {
        // The long covers either short for free; the lower strike is the cheaper naked one.
        let calls = [(call(5900), -1), (call(5950), -1), (call(5880), 1)];
        assert_eq!(pair(&book(&calls)).naked, vec![(call(5900), 1)]);
        assert_eq!(margin(&calls), dec!(118000));
        let puts = [(put(5900), -1), (put(5950), -1), (put(5960), 1)];
        assert_eq!(pair(&book(&puts)).naked, vec![(put(5900), 1)]);
        assert_eq!(margin(&puts), dec!(118000));
    }

    #[test]
    fn between_equally_cheap_pairings_the_one_with_less_naked_wins() {
        // 5920P covers 5900P for free leaving 5925P naked (118500), or takes 5925P for 500
        // leaving 5900P naked (500 + 118000): a tie for the puts alone.
        let puts = [(put(5900), -1), (put(5925), -1), (put(5920), 1)];
        let pairing = pair(&book(&puts));
        assert_eq!(pairing.pairs, vec![(put(5920), put(5925), 1)]);
        assert_eq!(pairing.naked, vec![(put(5900), 1)]);
        assert_eq!(margin(&puts), dec!(118500));
        // The spread half of the tie is what a call vertical's spread absorbs.
        let mut condor = puts.to_vec();
        condor.extend([(call(6000), -1), (call(6005), 1)]);
        assert_eq!(margin(&condor), dec!(118500));
    }

    #[test]
    fn covering_fully_first_is_not_always_cheapest() {
        // Taking 5920C to cover 5950C fully would leave 5900C against 5970C: 70 points. Pairing
        // in strike order costs 20 + 20.
        let positions = [
            (call(5900), -1),
            (call(5950), -1),
            (call(5920), 1),
            (call(5970), 1),
        ];
        assert_eq!(margin(&positions), dec!(4000));
        assert_eq!(
            pair(&book(&positions)).pairs,
            vec![(call(5920), call(5900), 1), (call(5970), call(5950), 1)]
        );
    }

    #[test]
    fn a_long_too_far_away_is_left_unused() {
        // 5900P against 4700P would reserve 120000; naked it reserves 118000.
        let positions = [(put(5900), -1), (put(4700), 1)];
        assert_eq!(margin(&positions), dec!(118000));
        assert_eq!(pair(&book(&positions)).pairs, vec![]);
        // Just inside 20% the pair is cheaper: 5900P against 4800P reserves 110000.
        assert_eq!(margin(&[(put(5900), -1), (put(4800), 1)]), dec!(110000));
    }

    /// The documented limit of the pairing.
    #[test]
    fn each_side_is_paired_for_itself_even_where_max_would_absorb_more_spread() {
        let positions = [
            (put(5900), -1),
            (put(5950), -1),
            (put(5925), 1),
            (call(6000), -1),
            (call(6025), 1),
        ];
        // Alone, the puts are cheapest with 5925P covering 5900P and 5950P naked: 119000. With
        // the calls' 2500 of spread that is 121500.
        let pairing = pair(&book(&positions));
        assert_eq!(pairing.naked, vec![(put(5950), 1)]);
        assert_eq!(margin(&positions), dec!(121500));
        // 5925P against 5950P instead costs the puts 2500 of spread, which max() absorbs, and
        // leaves the cheaper 5900P naked: 120500.
        let (units_long, units_short) = units(&book(&positions));
        assert_eq!(exhaustive(&units_long, &units_short), dec!(120500));
    }

    #[test]
    fn counts_are_not_expanded_into_contracts() {
        // A million lots of a ladder of forty 20-wide put verticals, 50 apart.
        let mut positions = Vec::new();
        for k in 0..40 {
            positions.push((put(5000 + 50 * k), -1_000_000));
            positions.push((put(4980 + 50 * k), 1_000_000));
        }
        let ladder = dec!(40) * dec!(2000) * dec!(1_000_000);
        assert_eq!(margin(&positions), ladder);
        assert_eq!(pair(&book(&positions)).pairs.len(), 40);

        // Seven more short 5010P. Naked they would reserve 7 × 100200; instead each rung's long
        // moves down one rung (5030P covers 5010P, 5080P covers 5050P, …) and the top short,
        // 6950P, goes naked: 39 spreads of 2000 saved, 139000 − 100200 more naked.
        positions.push((put(5010), -7));
        // And a ragged call vertical, whose spread the puts' spread absorbs.
        positions.push((call(6000), -1_000_003));
        positions.push((call(6005), 999_999));
        let pairing = pair(&book(&positions));
        assert_counts_are_exact(&book(&positions), &pairing);
        assert_eq!(pairing.naked, vec![(call(6000), 4), (put(6950), 7)]);
        assert_eq!(
            margin(&positions),
            ladder - dec!(7) * dec!(39) * dec!(2000)
                + dec!(7) * dec!(139000)
                + dec!(4) * dec!(120000)
        );
    }

    // ---------------------------------------------------------------------------------------
    // Exhaustive search, to check the pairing against.

    /// The book as unit contracts: (longs, shorts).
    fn units(holdings: &[Holding]) -> (Vec<OptionSymbol>, Vec<OptionSymbol>) {
        let mut net = BTreeMap::<OptionSymbol, i64>::new();
        for h in holdings {
            *net.entry(h.symbol).or_default() += h.quantity;
        }
        let (mut longs, mut shorts) = (Vec::new(), Vec::new());
        for (symbol, q) in net {
            let list = if q > 0 { &mut longs } else { &mut shorts };
            list.extend(std::iter::repeat_n(symbol, q.unsigned_abs() as usize));
        }
        (longs, shorts)
    }

    /// Every (spread, naked) that some pairing of one side's unit contracts reaches.
    fn side_outcomes(
        longs: &[OptionSymbol],
        shorts: &[OptionSymbol],
    ) -> BTreeSet<(Decimal, Decimal)> {
        fn walk(
            longs: &[OptionSymbol],
            shorts: &[OptionSymbol],
            used: &mut Vec<bool>,
            spread: Decimal,
            naked: Decimal,
            out: &mut BTreeSet<(Decimal, Decimal)>,
        ) {
            let Some((short, rest)) = shorts.split_first() else {
                out.insert((spread.normalize(), naked.normalize()));
                return;
            };
            walk(longs, rest, used, spread, naked + naked_margin(short), out);
            for (i, long) in longs.iter().enumerate() {
                if !used[i] {
                    used[i] = true;
                    walk(
                        longs,
                        rest,
                        used,
                        spread + pair_margin(long, short),
                        naked,
                        out,
                    );
                    used[i] = false;
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(
            longs,
            shorts,
            &mut vec![false; longs.len()],
            Decimal::ZERO,
            Decimal::ZERO,
            &mut out,
        );
        out
    }

    /// The units of one side.
    fn of_side(
        units: &[OptionSymbol],
        root_expiry_right: (OptionSymbol, Right),
    ) -> Vec<OptionSymbol> {
        let (like, right) = root_expiry_right;
        units
            .iter()
            .copied()
            .filter(|s| s.root == like.root && s.expiration == like.expiration && s.right == right)
            .collect()
    }

    /// Per root and expiration, the outcomes of the call side and the put side.
    fn outcomes_by_group(
        longs: &[OptionSymbol],
        shorts: &[OptionSymbol],
    ) -> Vec<[BTreeSet<(Decimal, Decimal)>; 2]> {
        let mut groups: Vec<OptionSymbol> = longs.iter().chain(shorts).copied().collect();
        groups.sort_by_key(|s| (s.root, s.expiration));
        groups.dedup_by_key(|s| (s.root, s.expiration));
        groups
            .into_iter()
            .map(|like| {
                [Right::Call, Right::Put].map(|right| {
                    side_outcomes(
                        &of_side(longs, (like, right)),
                        &of_side(shorts, (like, right)),
                    )
                })
            })
            .collect()
    }

    /// The least margin any pairing of the whole book reaches.
    fn exhaustive(longs: &[OptionSymbol], shorts: &[OptionSymbol]) -> Decimal {
        outcomes_by_group(longs, shorts)
            .iter()
            .map(|[calls, puts]| {
                let mut best: Option<Decimal> = None;
                for (cs, cn) in calls {
                    for (ps, pn) in puts {
                        let total = (*cs).max(*ps) + cn + pn;
                        best = Some(best.map_or(total, |b| b.min(total)));
                    }
                }
                best.unwrap_or_default()
            })
            .sum::<Decimal>()
            .normalize()
    }

    /// What our pairing reaches on one side: (spread, naked).
    fn our_side(pairing: &Pairing, like: OptionSymbol, right: Right) -> (Decimal, Decimal) {
        let same = |s: &OptionSymbol| {
            s.root == like.root && s.expiration == like.expiration && s.right == right
        };
        let spread: Decimal = pairing
            .pairs
            .iter()
            .filter(|(_, s, _)| same(s))
            .map(|(l, s, n)| pair_margin(l, s) * Decimal::from(*n))
            .sum();
        let naked: Decimal = pairing
            .naked
            .iter()
            .filter(|(s, _)| same(s))
            .map(|(s, n)| naked_margin(s) * Decimal::from(*n))
            .sum();
        (spread.normalize(), naked.normalize())
    }

    fn assert_counts_are_exact(holdings: &[Holding], pairing: &Pairing) {
        let mut net = BTreeMap::<OptionSymbol, i128>::new();
        for h in holdings {
            *net.entry(h.symbol).or_default() += i128::from(h.quantity);
        }
        let mut paired = BTreeMap::<OptionSymbol, i128>::new();
        for &(long, short, n) in &pairing.pairs {
            assert!(n > 0);
            assert_eq!(
                (long.root, long.expiration, long.right),
                (short.root, short.expiration, short.right)
            );
            *paired.entry(long).or_default() += i128::from(n);
            *paired.entry(short).or_default() -= i128::from(n);
        }
        for &(short, n) in &pairing.naked {
            assert!(n > 0);
            *paired.entry(short).or_default() -= i128::from(n);
        }
        for (symbol, q) in &paired {
            let held = net.get(symbol).copied().unwrap_or(0);
            if *q < 0 {
                assert_eq!(
                    *q, held,
                    "{symbol}: every short contract is paired or naked"
                );
            } else {
                assert!(
                    0 < *q && *q <= held,
                    "{symbol}: a long pairs for at most what it holds"
                );
            }
        }
        for (symbol, q) in &net {
            if *q < 0 {
                assert_eq!(paired.get(symbol), Some(q), "{symbol} is accounted for");
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Properties.

    /// Strikes 4700 and 7200 are beyond 20% of the others, where a pair costs more than naked.
    const STRIKES: [u32; 7] = [4700, 5880, 5900, 5920, 5925, 5950, 7200];

    /// A symbol from a small pool, so that books pair often. `roots` of SPXW, SPX; `dates` of
    /// the 15th, the 16th.
    fn symbol(roots: usize, dates: usize) -> impl Strategy<Value = OptionSymbol> {
        (0..roots, 0..dates, any::<bool>(), 0..STRIKES.len()).prop_map(|(r, d, is_call, k)| {
            let root = ["SPXW", "SPX"][r];
            let date = ["250115", "250116"][d];
            let right = if is_call { 'C' } else { 'P' };
            option(&format!("{root}{date}{right}{:08}", STRIKES[k] * 1000))
        })
    }

    fn holdings(roots: usize, dates: usize, max: usize) -> impl Strategy<Value = Vec<Holding>> {
        prop::collection::vec(
            (symbol(roots, dates), -2i64..=2)
                .prop_map(|(symbol, quantity)| Holding { symbol, quantity }),
            0..max,
        )
    }

    proptest! {
        /// Never negative, and never more than leaving every short naked.
        #[test]
        fn margin_is_between_zero_and_all_naked(book in holdings(2, 2, 10)) {
            let m = maintenance_margin(&book);
            let (_, shorts) = units(&book);
            let all_naked: Decimal = shorts.iter().map(naked_margin).sum();
            prop_assert!(m >= Decimal::ZERO);
            prop_assert!(m <= all_naked, "{m} > {all_naked}");
        }

        /// Buying a long, including buying back part of a short, never raises the margin.
        #[test]
        fn adding_a_long_never_raises_the_margin(
            book in holdings(2, 2, 10),
            extra in symbol(2, 2),
            quantity in 1i64..=3,
        ) {
            let before = maintenance_margin(&book);
            let mut after = book.clone();
            after.push(Holding { symbol: extra, quantity });
            prop_assert!(maintenance_margin(&after) <= before);
        }

        /// The pairing accounts for every short contract exactly once and depends only on the
        /// netted book, not on how the holdings are listed or split.
        #[test]
        fn the_pairing_is_exact_and_order_free(book in holdings(2, 2, 10), seed in any::<u64>()) {
            let pairing = pair(&book);
            assert_counts_are_exact(&book, &pairing);
            let mut shuffled = book.clone();
            // A deterministic shuffle, then one holding split in two.
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (state >> 33) as usize % (i + 1));
            }
            if let Some(first) = shuffled.first().copied() {
                shuffled[0].quantity = 1;
                shuffled.push(Holding { symbol: first.symbol, quantity: first.quantity - 1 });
            }
            prop_assert_eq!(pair(&shuffled), pairing);
        }

        /// Each side's pairing is the cheapest for that side alone, and among those the one
        /// with the least naked margin; the book's margin is at least the exhaustive optimum and
        /// equal to it whenever the documented condition holds.
        #[test]
        fn pairing_matches_exhaustive_search(book in holdings(2, 1, 9)) {
            let pairing = pair(&book);
            let (longs, shorts) = units(&book);
            let mut groups: Vec<OptionSymbol> = longs.iter().chain(&shorts).copied().collect();
            groups.sort_by_key(|s| (s.root, s.expiration));
            groups.dedup_by_key(|s| (s.root, s.expiration));
            let mut condition_holds = true;
            for (like, outcomes) in groups.iter().zip(outcomes_by_group(&longs, &shorts)) {
                let ours = [Right::Call, Right::Put].map(|right| our_side(&pairing, *like, right));
                for (side, possible) in ours.iter().zip(&outcomes) {
                    let best = possible.iter().min_by_key(|(s, n)| (*s + *n, *n)).unwrap();
                    prop_assert_eq!(side, best);
                }
                // A side with the smaller spread must have the least naked it can reach.
                let least_naked = |side: usize| {
                    ours[side].1 == outcomes[side].iter().map(|(_, n)| *n).min().unwrap()
                };
                condition_holds &= (ours[0].0 <= ours[1].0 && least_naked(0))
                    || (ours[1].0 <= ours[0].0 && least_naked(1));
            }
            let ours = maintenance_margin(&book);
            let optimum = exhaustive(&longs, &shorts);
            prop_assert!(ours >= optimum);
            if condition_holds {
                prop_assert_eq!(ours, optimum);
            }
        }
    }
}
