"""The official cutemarkets-python SDK (0.3.2), unmodified, against optiontape: every resource it
has returns populated, correctly typed models."""

import datetime as dt

import pytest
from cutemarkets import errors
from cutemarkets.models.options import Aggregate, Contract, ContractSnapshot, LastTrade, Quote, Trade

DAY = "2025-01-15"
PREVIOUS_DAY = "2025-01-14"


def test_status(client):
    status = client.status()
    assert status.is_ok
    assert status.request_id.startswith("cm_")


def test_contracts_list_pages_and_detail(client):
    page = client.options.contracts.list(underlying_ticker="SPY", limit=5)
    assert len(page.results) == 5 and page.has_next
    assert all(isinstance(c, Contract) for c in page.results)
    first = page.results[0]
    assert first.ticker.startswith("O:SPY") and first.underlying_ticker == "SPY"
    assert first.contract_type in ("call", "put") and first.exercise_style == "american"
    assert isinstance(first.strike_price, float) and first.shares_per_contract == 100
    dt.date.fromisoformat(first.expiration_date)
    following = page.next()
    assert following.results and following.results[0].ticker != first.ticker
    assert client.options.contracts.get(first.ticker).ticker == first.ticker


def test_expirations_and_ticker_search(client):
    expirations = client.tickers.expirations("SPY")
    assert expirations.ticker == "SPY"
    assert expirations.results == sorted(expirations.results)
    assert all(dt.date.fromisoformat(d) >= dt.date(2025, 1, 15) for d in expirations.results)
    found = client.tickers.search(query="spy").results
    assert found[0].symbol == "SPY" and "SPDR" in found[0].name


def test_chain_snapshot_has_quotes_greeks_and_pages(client, nearest_expiry):
    page = client.options.chain("SPY", expiration_date=nearest_expiry, limit=10, sort="strike_price")
    assert len(page.results) == 10 and page.next_url
    everything = list(client.options.iter_chain("SPY", expiration_date=nearest_expiry, limit=25))
    listed = list(client.options.contracts.iter_list(underlying_ticker="SPY", expiration_date=nearest_expiry, limit=1000))
    assert len(everything) == len(listed)
    priced = [s for s in everything if s.greeks is not None]
    assert priced, "no contract of the nearest expiry has Greeks"
    for snapshot in priced:
        assert isinstance(snapshot, ContractSnapshot)
        assert isinstance(snapshot.greeks.delta, float) and isinstance(snapshot.implied_volatility, float)
        assert 0 < snapshot.implied_volatility < 5
        if snapshot.details.contract_type == "call":
            assert 0 <= snapshot.greeks.delta <= 1
        else:
            assert -1 <= snapshot.greeks.delta <= 0
        assert snapshot.greeks.gamma >= 0 and snapshot.greeks.vega >= 0
        quote = snapshot.last_quote
        assert quote.bid <= quote.midpoint <= quote.ask and quote.timeframe == "REAL-TIME"
        assert isinstance(quote.last_updated, int)
        assert snapshot.underlying_asset.ticker == "SPY" and snapshot.underlying_asset.price > 0
        assert snapshot.details.expiration_date == nearest_expiry


def test_contract_snapshot(client, traded):
    snapshot = client.options.snapshot("SPY", traded)
    assert isinstance(snapshot, ContractSnapshot)
    assert snapshot.details.ticker == traded
    assert snapshot.last_trade.price > 0 and isinstance(snapshot.last_trade.sip_timestamp, int)
    assert snapshot.day.volume > 0 and snapshot.day.low <= snapshot.day.close <= snapshot.day.high
    assert isinstance(snapshot.open_interest, float)


def test_trades_and_last_trade(client, traded):
    page = client.options.trades.list(traded, limit=3)
    assert len(page.results) == 3
    for trade in page.results:
        assert isinstance(trade, Trade)
        assert trade.price > 0 and trade.size > 0 and isinstance(trade.sip_timestamp, int)
        assert isinstance(trade.conditions, list) and isinstance(trade.decimal_size, str)
    times = [t.sip_timestamp for t in page.results]
    assert times == sorted(times, reverse=True)
    last = client.options.trades.last(traded)
    assert isinstance(last, LastTrade)
    assert last.ticker == traded and last.price > 0 and last.sip_timestamp == times[0]


def test_quotes(client, traded):
    page = client.options.quotes.list(traded, limit=5, order="asc", **{"timestamp.gte": DAY})
    assert len(page.results) == 5
    for quote in page.results:
        assert isinstance(quote, Quote)
        assert 0 <= quote.bid_price <= quote.ask_price and isinstance(quote.sip_timestamp, int)
        assert isinstance(quote.bid_exchange, int)


def test_aggregates_previous_and_open_close(client, traded):
    bars = client.options.aggs.range(traded, 1, "minute", DAY, DAY).results
    assert bars
    for bar in bars:
        assert isinstance(bar, Aggregate)
        assert bar.low <= bar.open <= bar.high and bar.low <= bar.close <= bar.high
        assert isinstance(bar.timestamp, int) and bar.volume > 0
    daily = client.options.aggs.range(traded, 1, "day", PREVIOUS_DAY, DAY).results
    assert daily and all(b.volume > 0 for b in daily)
    previous = client.options.aggs.previous(traded)
    assert isinstance(previous, Aggregate) and previous.ticker == traded and previous.volume > 0
    open_close = client.options.open_close(traded, DAY)
    assert open_close.symbol == traded and open_close.from_date == DAY
    assert open_close.low <= open_close.close <= open_close.high


@pytest.mark.parametrize("kind", ["sma", "ema", "rsi", "macd"])
def test_indicators(client, traded, kind):
    indicator = getattr(client.options.indicators, kind)
    result = indicator(traded, timespan="minute", window=5, limit=10)
    assert result.values, kind
    for value in result.values:
        assert isinstance(value.timestamp, int) and isinstance(value.value, float)


def test_errors_map_to_the_sdk_exceptions(client):
    with pytest.raises(errors.BadRequestError) as bad:
        client.options.trades.list("SPY250117C00590000")
    assert bad.value.code == "bad_request"
    with pytest.raises(errors.NotFoundError):
        client.options.snapshot("SPY", "O:SPY250117C09990000")
    with pytest.raises(errors.LookbackExceededError):
        client.options.contracts.list(as_of="2005-01-03")
