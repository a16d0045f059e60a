-- Paper trading accounts, their generations, cash ledger and equity points (paper-trading spec
-- §3, §6.1, §6.2, §6.7, §6.8, §10). Orders, fills and positions come later and belong to a
-- generation the same way.

-- One row per user who has created a paper account. A create updates it before counting the
-- user's active accounts: on PostgreSQL that row lock serialises one user's creates (SQLite's
-- IMMEDIATE transactions already serialise every writer), so concurrent creates cannot exceed
-- the limit. `accounts_created` numbers the user's accounts in creation order.
CREATE TABLE paper_owners (
    user_id          TEXT PRIMARY KEY REFERENCES users (id),
    accounts_created BIGINT NOT NULL
);

CREATE TABLE paper_accounts (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    -- The user's n-th account: orders accounts created at the same market instant.
    number            BIGINT NOT NULL,
    name              TEXT NOT NULL,
    -- 'active' or 'archived'.
    status            TEXT NOT NULL,
    -- The current generation, from 1.
    generation        BIGINT NOT NULL,
    -- Of the current generation.
    initial_cash      TEXT NOT NULL,
    -- The current generation's balance: always the cash_after of its latest ledger entry.
    cash              TEXT NOT NULL,
    -- Realized P&L of the current generation, kept beside cash by the same writes.
    realized_pl       TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    archived_at       BIGINT,
    last_reset_reason TEXT,
    UNIQUE (user_id, number)
);
CREATE INDEX paper_accounts_by_user ON paper_accounts (user_id, status);

-- One row per generation; the final figures are written when a reset closes it.
CREATE TABLE paper_generations (
    account_id            TEXT NOT NULL REFERENCES paper_accounts (id),
    generation            BIGINT NOT NULL,
    started_at            BIGINT NOT NULL,
    -- NULL while current.
    ended_at              BIGINT,
    initial_cash          TEXT NOT NULL,
    -- The reason given by the reset that started this generation.
    reset_reason          TEXT,
    final_cash            TEXT,
    final_equity          TEXT,
    final_realized_pl     TEXT,
    canceled_orders_count BIGINT,
    -- JSON array of {symbol, qty, avg_entry_price, last_mark, market_value}.
    cleared_positions     TEXT,
    PRIMARY KEY (account_id, generation)
);

-- Append-only. `seq` numbers an account's entries from 1 across generations, in the order they
-- were written: market time can step back (the replay clock goes round its session), so
-- created_at alone cannot order them.
CREATE TABLE paper_ledger (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    generation  BIGINT NOT NULL,
    -- deposit, trade, option_expiration, fee, generation_end.
    type        TEXT NOT NULL,
    -- Signed.
    amount      TEXT NOT NULL,
    cash_after  TEXT NOT NULL,
    order_id    TEXT,
    fill_id     TEXT,
    symbol      TEXT,
    description TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (account_id, seq),
    FOREIGN KEY (account_id, generation) REFERENCES paper_generations (account_id, generation)
);
CREATE INDEX paper_ledger_by_generation ON paper_ledger (account_id, generation, seq);

-- Append-only, numbered like the ledger.
CREATE TABLE paper_equity_points (
    account_id      TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    generation      BIGINT NOT NULL,
    ts              BIGINT NOT NULL,
    equity          TEXT NOT NULL,
    cash            TEXT NOT NULL,
    market_value    TEXT NOT NULL,
    realized_pl     TEXT NOT NULL,
    unrealized_pl   TEXT NOT NULL,
    peak_equity     TEXT NOT NULL,
    drawdown        TEXT NOT NULL,
    drawdown_amount TEXT NOT NULL,
    -- generation_start, fill, interval, session_close, option_expiration, generation_end.
    trigger         TEXT NOT NULL,
    PRIMARY KEY (account_id, seq),
    FOREIGN KEY (account_id, generation) REFERENCES paper_generations (account_id, generation)
);
CREATE INDEX paper_equity_points_by_generation ON paper_equity_points (account_id, generation, seq);
