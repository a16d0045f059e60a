"""alpaca-py's TradingClient, unmodified, against the Alpaca-compatible paper surface.

A paper account is created through the native API; the client then reaches it with
`url_override` set to the account's path (paper-trading spec §12.2). The market clock stands at
14:00 New York on 2025-01-15, a regular session, so SPY's own quotes fill a market order at once.
Every call must parse into alpaca-py's pydantic models without validation errors.
"""

from datetime import date

import httpx
import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    AccountStatus,
    AssetClass,
    OrderSide,
    OrderStatus,
    PositionIntent,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.requests import (
    GetCalendarRequest,
    GetOrdersRequest,
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
)


@pytest.fixture(scope="module")
def account_url(base_url, keys):
    response = httpx.post(
        f"{base_url}/v1/paper/accounts",
        headers={"Authorization": f"Bearer {keys['paper']}"},
        json={"name": "alpaca-py", "initial_cash": "100000"},
    )
    assert response.status_code == 201, response.text
    return f"{base_url}/v1/paper/accounts/{response.json()['account']['id']}"


@pytest.fixture(scope="module")
def trading(keys, account_url):
    return TradingClient(oauth_token=keys["paper"], url_override=account_url)


@pytest.fixture(scope="module")
def contract(traded):
    """A listed SPY contract in Alpaca's spelling, without `O:`."""
    return traded.removeprefix("O:")


def test_the_account_and_its_configuration(trading):
    account = trading.get_account()
    assert account.status == AccountStatus.ACTIVE
    assert (account.cash, account.equity, account.last_equity) == ("100000", "100000", "100000")
    assert account.account_number.startswith("PA")
    configuration = trading.get_account_configurations()
    assert configuration.no_shorting and configuration.fractional_trading


def test_a_market_order_fills_and_is_found_again(trading):
    order = trading.submit_order(
        MarketOrderRequest(
            symbol="SPY", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            client_order_id="alpaca-py-spy",
        )
    )
    assert order.status == OrderStatus.FILLED, order
    assert order.filled_qty == "2" and float(order.filled_avg_price) > 0
    assert order.asset_class == AssetClass.US_EQUITY

    assert trading.get_order_by_client_id("alpaca-py-spy").id == order.id
    assert trading.get_order_by_id(order.id).status == OrderStatus.FILLED
    closed = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, symbols=["SPY"]))
    assert [o.id for o in closed] == [order.id]
    assert trading.get_orders() == [], "no open orders"

    positions = trading.get_all_positions()
    assert [(p.symbol, p.qty) for p in positions] == [("SPY", "2")]
    assert trading.get_open_position("SPY").asset_id == order.asset_id

    # Closing is left to the Rust tests: under the fixed market clock a sale would fill at the
    # same instant as the buy, which the store cannot yet order (fills are folded by time, then id).
    with pytest.raises(APIError) as flat:
        trading.close_position("NFLX")
    assert (flat.value.status_code, flat.value.code) == (404, 40410000)


def test_option_limit_orders_rest_and_cancel(trading, contract):
    resting = trading.submit_order(
        LimitOrderRequest(
            symbol=contract, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            limit_price=0.01,
        )
    )
    assert resting.status == OrderStatus.NEW, resting
    assert (resting.symbol, resting.asset_class) == (contract, AssetClass.US_OPTION)
    assert resting.position_intent == PositionIntent.BUY_TO_OPEN
    assert trading.cancel_order_by_id(resting.id) is None
    assert trading.get_order_by_id(resting.id).status == OrderStatus.CANCELED

    # The native `O:` spelling is accepted too; cancel-all answers 207 per order.
    prefixed = trading.submit_order(
        LimitOrderRequest(
            symbol=f"O:{contract}", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            limit_price=0.01,
        )
    )
    assert [o.id for o in trading.get_orders()] == [prefixed.id]
    canceled = trading.cancel_orders()
    assert [(c.id, c.status) for c in canceled] == [(prefixed.id, 200)]


def test_refusals_raise_api_errors_with_integer_codes(trading, contract):
    with pytest.raises(APIError) as short_sale:
        trading.submit_order(
            MarketOrderRequest(symbol="NFLX", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        )
    assert (short_sale.value.status_code, short_sale.value.code) == (403, 40310000)
    assert "short sale not allowed" in short_sale.value.message

    with pytest.raises(APIError) as sell_to_open:
        trading.submit_order(
            LimitOrderRequest(
                symbol=contract, qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY,
                limit_price=5, position_intent=PositionIntent.SELL_TO_OPEN,
            )
        )
    assert (sell_to_open.value.status_code, sell_to_open.value.code) == (422, 42210000)

    with pytest.raises(APIError) as missing:
        trading.get_open_position("NFLX")
    assert (missing.value.code, missing.value.message) == (40410000, "position does not exist")

    # The rejected short sale is stored and listed with the closed orders.
    rejected = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, symbols=["NFLX"]))
    assert [o.status for o in rejected] == [OrderStatus.REJECTED]


def test_history_clock_and_calendar(trading):
    history = trading.get_portfolio_history()
    assert history.timeframe == "1D" and history.equity and history.base_value == history.equity[0]
    intraday = trading.get_portfolio_history(GetPortfolioHistoryRequest(period="1D", timeframe="5Min"))
    assert intraday.timeframe == "5Min" and len(intraday.timestamp) == len(intraday.profit_loss_pct)

    clock = trading.get_clock()
    assert clock.is_open and clock.timestamp.utcoffset().total_seconds() == -5 * 3600
    assert clock.next_close.hour == 16

    days = trading.get_calendar(GetCalendarRequest(start=date(2025, 1, 13), end=date(2025, 1, 21)))
    assert [d.date.isoformat() for d in days] == [
        "2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17", "2025-01-21",
    ], "Martin Luther King Jr. Day is a holiday"
    assert (days[0].open.hour, days[0].open.minute, days[0].close.hour) == (9, 30, 16)


def test_the_key_pair_form_and_a_foreign_account(keys, account_url, base_url):
    paired = TradingClient(api_key=keys["paper"], secret_key="unused", url_override=account_url)
    assert paired.get_account().status == AccountStatus.ACTIVE

    nowhere = TradingClient(
        oauth_token=keys["paper"],
        url_override=f"{base_url}/v1/paper/accounts/00000000-0000-4000-8000-000000000000",
    )
    with pytest.raises(APIError) as unknown:
        nowhere.get_account()
    assert (unknown.value.status_code, unknown.value.code) == (404, 40410000)
