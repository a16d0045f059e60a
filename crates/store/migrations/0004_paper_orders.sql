-- Paper orders and their fills. An order's row follows its status; its fills are written once.

CREATE TABLE paper_orders (
    id                     TEXT PRIMARY KEY,
    account_id             TEXT NOT NULL REFERENCES paper_accounts (id),
    generation             BIGINT NOT NULL,
    client_order_id        TEXT NOT NULL,
    symbol                 TEXT NOT NULL,
    side                   TEXT NOT NULL,
    order_type             TEXT NOT NULL,
    time_in_force          TEXT NOT NULL,
    qty                    TEXT NOT NULL,
    limit_price            TEXT,
    position_intent        TEXT,
    status                 TEXT NOT NULL,
    filled_qty             TEXT NOT NULL,
    filled_avg_price       TEXT,
    -- Cash this open order holds back from buying power.
    reserved_cash          TEXT NOT NULL,
    buying_power_at_submit TEXT NOT NULL,
    submitted_at           BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    accepted_at            BIGINT,
    filled_at              BIGINT,
    canceled_at            BIGINT,
    expired_at             BIGINT,
    failed_at              BIGINT,
    expires_at             BIGINT,
    reject_reason          TEXT,
    cancel_reason          TEXT,
    expire_reason          TEXT,
    last_no_fill_reason    TEXT,
    last_evaluated_at      BIGINT,
    evaluation_count       BIGINT NOT NULL,
    -- Quote evidence as JSON.
    submission_quote       TEXT,
    last_quote             TEXT,
    policy_version         TEXT NOT NULL,
    UNIQUE (account_id, generation, client_order_id)
);
CREATE INDEX paper_orders_by_account ON paper_orders (account_id, generation, submitted_at);
CREATE INDEX paper_orders_by_status ON paper_orders (status);

CREATE TABLE paper_fills (
    id                 TEXT PRIMARY KEY,
    -- Numbers an account's fills from 1 in the order they were made: market time can stand
    -- still (a fixed clock) or step back (replay), so filled_at alone cannot order them.
    seq                BIGINT NOT NULL,
    -- NULL for the settlement of an expired option, which no order made.
    order_id           TEXT REFERENCES paper_orders (id),
    account_id         TEXT NOT NULL REFERENCES paper_accounts (id),
    generation         BIGINT NOT NULL,
    symbol             TEXT NOT NULL,
    side               TEXT NOT NULL,
    qty                TEXT NOT NULL,
    price              TEXT NOT NULL,
    multiplier         TEXT NOT NULL,
    gross_amount       TEXT NOT NULL,
    cash_after         TEXT NOT NULL,
    position_qty_after TEXT NOT NULL,
    realized_pl        TEXT NOT NULL,
    filled_at          BIGINT NOT NULL,
    fill_rule          TEXT NOT NULL,
    quote              TEXT NOT NULL,
    policy_version     TEXT NOT NULL
);
CREATE UNIQUE INDEX paper_fills_by_account ON paper_fills (account_id, seq);
