"""The column API (PublicOptions-compatible) as a client reads it, against the live server.

No PublicOptions client is published on PyPI (the third-party ones live inside their users'
projects), so this module carries a small one written the way those clients work: a bearer
`sopk_` key, the base URL ending in `/v1`, rows zipped with `header.format` into dicts, and
strikes from the chain divided by 1000 before asking for a contract's data.
"""

import httpx
import pytest

DAYS = ("20250113", "20250115")


class ColumnClient:
    def __init__(self, base_url, api_key):
        self.http = httpx.Client(
            base_url=f"{base_url}/v1",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=60,
        )

    def health(self):
        # The health probe is open: no key, no quota.
        return httpx.get(f"{self.http.base_url}options/health", timeout=10).json()

    def rows(self, path, idempotency_key=None, **params):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self.http.get(path, params=params, headers=headers)
        response.raise_for_status()
        body = response.json()
        columns = body["header"]["format"]
        return [dict(zip(columns, row)) for row in body["response"]], response

    def chain(self, root, exp):
        return self.rows("options/chain", root=root, exp=exp)[0]

    def contract(self, path, row, start, end, **extra):
        params = dict(
            root=row["root"],
            exp=row["expiration"],
            strike=row["strike"] / 1000,
            right=row["right"],
            start_date=start,
            end_date=end,
            **extra,
        )
        return self.rows(path, **params)[0]


@pytest.fixture(scope="module")
def column(base_url, keys):
    assert keys["column"].startswith("sopk_live_")
    return ColumnClient(base_url, keys["column"])


@pytest.fixture(scope="module")
def chain_row(column, traded):
    """The chain row of the contract that traded most today (picked through CuteMarkets)."""
    exp = "20" + traded[-15:-9]
    rows = column.chain("SPY", exp)
    assert rows == sorted(rows, key=lambda r: (r["strike"], r["right"]))
    assert all(r["root"] == "SPY" and r["expiration"] == int(exp) for r in rows)
    strike, right = int(traded[-8:]), traded[-9]
    matches = [r for r in rows if r["strike"] == strike and r["right"] == right]
    assert len(matches) == 1, f"{traded} is in its chain once"
    return matches[0]


def test_health_is_ready(column):
    health = column.health()
    assert health["status"] == "ok" and health["upstream"]["mdds_status"] == "CONNECTED"


def test_eod_rows_agree_with_the_trades(column, chain_row):
    eod = column.contract("options/quote/eod", chain_row, *DAYS)
    assert [r["date"] for r in eod] == [20250113, 20250114, 20250115]
    trades = column.contract("options/trades", chain_row, *DAYS)
    assert trades, "the most traded contract has prints"
    for day in eod:
        prints = [t for t in trades if t["date"] == day["date"]]
        assert day["volume"] == sum(t["size"] for t in prints)
        if prints:
            prices = [t["price"] for t in prints]
            assert (day["low"], day["high"]) == (min(prices), max(prices))
            assert day["open"] in prices and day["close"] in prices
        assert 0 < day["bid"] <= day["ask"]
    keys = [(t["date"], t["ms_of_day"], t["sequence"]) for t in trades]
    assert keys == sorted(keys)
    assert all(t["size"] > 0 and t["price"] > 0 and isinstance(t["condition"], int) for t in trades)


def test_intraday_grid(column, chain_row):
    rows = column.contract("options/quote/intraday", chain_row, "20250114", "20250114", ivl=300000)
    assert rows, "a quoted contract has a grid"
    times = [r["ms_of_day"] for r in rows]
    assert times == sorted(times) and all(t % 300000 == 0 for t in times)
    assert 34_200_000 <= times[0] and times[-1] <= 57_600_000
    assert all(r["date"] == 20250114 and r["bid"] <= r["ask"] for r in rows)


def test_a_retry_with_an_idempotency_key_is_replayed(column, chain_row):
    params = dict(root="SPY", exp=chain_row["expiration"])
    first, response = column.rows("options/chain", idempotency_key="compat-chain", **params)
    again, replay = column.rows("options/chain", idempotency_key="compat-chain", **params)
    assert again == first and replay.content == response.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in response.headers


def test_problems_are_named_by_parameter(column):
    response = column.http.get("options/quote/eod", params=dict(root="SPY", exp="2025-01-17", strike="1e3"))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameters"
    fields = body["details"]["fieldErrors"]
    assert fields["exp"] == ["exp must be YYYYMMDD"]
    assert set(fields) == {"exp", "strike", "right", "start_date", "end_date"}
    missing = column.http.get("options/chain", params=dict(root="SPY", exp="20991231"))
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
