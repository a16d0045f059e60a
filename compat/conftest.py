"""Fixtures of the compatibility suite: the live server `compat/run` started, its demo keys, and
contracts of the generated market picked through the API itself."""

import json
import os

import pytest


@pytest.fixture(scope="session")
def base_url():
    return os.environ["OPTIONTAPE_URL"]


@pytest.fixture(scope="session")
def keys():
    with open(os.environ["OPTIONTAPE_CREDENTIALS"]) as f:
        return dict(json.load(f)["keys"])


@pytest.fixture(scope="session")
def client(base_url, keys):
    from cutemarkets import CuteMarkets

    with CuteMarkets(api_key=keys["options"], base_url=base_url) as c:
        yield c


@pytest.fixture(scope="session")
def massive_client(base_url, keys):
    from massive import RESTClient

    return RESTClient(api_key=keys["options"], base=base_url)


@pytest.fixture(scope="session")
def nearest_expiry(client):
    return client.tickers.expirations("SPY").results[0]


@pytest.fixture(scope="session")
def traded(client, nearest_expiry):
    """The nearest-expiry SPY contract that traded most today, from the chain snapshot."""
    chain = list(client.options.iter_chain("SPY", expiration_date=nearest_expiry, limit=100))
    with_volume = [s for s in chain if s.day and s.day.volume]
    assert with_volume, "no contract of the nearest expiry traded today"
    return max(with_volume, key=lambda s: s.day.volume).details.ticker
