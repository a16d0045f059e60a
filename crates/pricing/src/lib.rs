//! Option pricing: Black-Scholes-Merton and Black-76 prices, Greeks and implied volatility.
