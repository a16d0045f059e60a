//! Technical indicators over a series of bar values, oldest first. Each returns one entry per
//! input value: `None` until the indicator has enough history.

/// Simple moving average over `window` values.
pub fn sma(values: &[f64], window: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; values.len()];
    if window == 0 {
        return out;
    }
    let mut sum = 0.0;
    for (i, v) in values.iter().enumerate() {
        sum += v;
        if i >= window {
            sum -= values[i - window];
        }
        if i + 1 >= window {
            out[i] = Some(sum / window as f64);
        }
    }
    out
}

/// Exponential moving average with smoothing 2 / (window + 1), seeded with the simple average
/// of the first `window` values.
pub fn ema(values: &[f64], window: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; values.len()];
    if window == 0 || values.len() < window {
        return out;
    }
    let alpha = 2.0 / (window as f64 + 1.0);
    let mut current = values[..window].iter().sum::<f64>() / window as f64;
    out[window - 1] = Some(current);
    for (slot, value) in out.iter_mut().zip(values).skip(window) {
        current += alpha * (value - current);
        *slot = Some(current);
    }
    out
}

/// Relative strength index over `window` changes with Wilder's smoothing, 0 to 100 (100 when
/// there were no losses).
pub fn rsi(values: &[f64], window: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; values.len()];
    if window == 0 || values.len() <= window {
        return out;
    }
    let change = |i: usize| values[i] - values[i - 1];
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=window {
        let c = change(i);
        gain += c.max(0.0);
        loss += (-c).max(0.0);
    }
    let n = window as f64;
    let (mut gain, mut loss) = (gain / n, loss / n);
    let index = |gain: f64, loss: f64| {
        if loss == 0.0 {
            100.0
        } else {
            100.0 - 100.0 / (1.0 + gain / loss)
        }
    };
    out[window] = Some(index(gain, loss));
    for (i, slot) in out.iter_mut().enumerate().skip(window + 1) {
        let c = change(i);
        gain = (gain * (n - 1.0) + c.max(0.0)) / n;
        loss = (loss * (n - 1.0) + (-c).max(0.0)) / n;
        *slot = Some(index(gain, loss));
    }
    out
}

/// A MACD point: the MACD line, its signal line and their difference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Macd {
    pub value: f64,
    pub signal: f64,
    pub histogram: f64,
}

/// MACD: EMA(`short`) − EMA(`long`), with the signal line an EMA of it over `signal` points.
pub fn macd(values: &[f64], short: usize, long: usize, signal: usize) -> Vec<Option<Macd>> {
    let (fast, slow) = (ema(values, short), ema(values, long));
    let lines: Vec<Option<f64>> = fast
        .iter()
        .zip(&slow)
        .map(|(f, s)| Some((*f)? - (*s)?))
        .collect();
    let start = lines
        .iter()
        .position(Option::is_some)
        .unwrap_or(lines.len());
    let defined: Vec<f64> = lines[start..].iter().map(|l| l.unwrap_or(0.0)).collect();
    let signals = ema(&defined, signal);
    let mut out = vec![None; values.len()];
    for (k, s) in signals.into_iter().enumerate() {
        if let Some(signal) = s {
            let value = defined[k];
            out[start + k] = Some(Macd {
                value,
                signal,
                histogram: value - signal,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn averages_over_a_known_series() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let simple = sma(&values, 3);
        assert_eq!(&simple[..2], &[None, None]);
        assert!(close(simple[2], 2.0) && close(simple[5], 5.0));
        // Seeded with the first three's mean (2), then 2 + 0.5 * (4 - 2) = 3, 3 + 0.5 * 2 = 4.
        let exponential = ema(&values, 3);
        assert!(close(exponential[2], 2.0));
        assert!(close(exponential[3], 3.0) && close(exponential[4], 4.0));
        assert!(sma(&values, 0).iter().all(Option::is_none));
        assert!(ema(&values, 7).iter().all(Option::is_none));
    }

    #[test]
    fn rsi_is_100_without_losses_and_50_when_gains_match_losses() {
        let rising = [1.0, 2.0, 3.0, 4.0];
        assert!(close(rsi(&rising, 3)[3], 100.0));
        let even = [10.0, 11.0, 10.0, 11.0, 10.0];
        assert!(close(rsi(&even, 4)[4], 50.0));
        assert!(rsi(&even, 5).iter().all(Option::is_none));
    }

    #[test]
    fn macd_is_the_difference_of_two_emas_with_its_own_ema_as_signal() {
        let values: Vec<f64> = (0..40)
            .map(|i| (i as f64 * 0.3).sin() * 5.0 + 20.0)
            .collect();
        let points = macd(&values, 3, 6, 4);
        let (fast, slow) = (ema(&values, 3), ema(&values, 6));
        let first = points.iter().position(Option::is_some).unwrap();
        assert_eq!(
            first,
            5 + 3,
            "the long EMA from index 5, then four MACD values for the signal"
        );
        for (i, point) in points.iter().enumerate().skip(first) {
            let p = point.unwrap();
            assert!((p.value - (fast[i].unwrap() - slow[i].unwrap())).abs() < 1e-9);
            assert!((p.histogram - (p.value - p.signal)).abs() < 1e-12);
        }
    }
}
