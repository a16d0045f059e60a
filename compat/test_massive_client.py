"""The Polygon/Massive Python client (`massive`), unmodified, reading optiontape's Polygon-style
paths: aggregates, option snapshots, contracts and quotes."""

from massive.rest.models import Agg, OptionContractSnapshot, OptionsContract, Quote

DAY = "2025-01-15"


def test_aggregates(massive_client, traded):
    bars = list(massive_client.list_aggs(traded, 1, "minute", DAY, DAY, limit=50000))
    assert bars and all(isinstance(b, Agg) for b in bars)
    assert all(b.low <= b.close <= b.high and b.volume > 0 for b in bars)
    assert [b.timestamp for b in bars] == sorted(b.timestamp for b in bars)



def test_stock_aggregates_with_a_stocks_key(base_url, keys):
    from massive import RESTClient

    stocks = RESTClient(api_key=keys["stocks"], base=base_url)
    bars = list(stocks.list_aggs("SPY", 1, "day", "2025-01-13", DAY))
    assert len(bars) == 3 and all(b.low <= b.close <= b.high for b in bars)


def test_option_snapshots(massive_client, traded, nearest_expiry):
    snapshot = massive_client.get_snapshot_option("SPY", traded)
    assert isinstance(snapshot, OptionContractSnapshot)
    assert snapshot.details.ticker == traded and snapshot.details.strike_price > 0
    assert snapshot.day.volume > 0 and snapshot.underlying_asset.price > 0
    chain = list(massive_client.list_snapshot_options_chain("SPY", params={"expiration_date": nearest_expiry}))
    assert len(chain) > 10, "the chain pages through next_url"
    priced = [s for s in chain if s.greeks is not None and s.greeks.delta is not None]
    assert priced and all(s.implied_volatility > 0 for s in priced)
    assert len({s.details.ticker for s in chain}) == len(chain)


def test_contracts(massive_client, nearest_expiry):
    contracts = []
    for contract in massive_client.list_options_contracts(underlying_ticker="SPY", expiration_date=nearest_expiry, limit=10):
        contracts.append(contract)
        if len(contracts) == 25:
            break
    assert len(contracts) == 25, "the contracts page through next_url"
    assert all(isinstance(c, OptionsContract) and c.underlying_ticker == "SPY" for c in contracts)
    assert len({c.ticker for c in contracts}) == 25


def test_quotes(massive_client, traded):
    quotes = []
    for quote in massive_client.list_quotes(traded, timestamp_gte=DAY, order="asc", limit=100):
        quotes.append(quote)
        if len(quotes) == 250:
            break
    assert len(quotes) == 250
    assert all(isinstance(q, Quote) and q.bid_price <= q.ask_price for q in quotes)
    times = [q.sip_timestamp for q in quotes]
    assert times == sorted(times)
