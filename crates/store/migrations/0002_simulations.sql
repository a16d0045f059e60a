-- Historical simulations and their ledgers.

CREATE TABLE simulations (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    underlying       TEXT NOT NULL,
    -- The replayed session, YYYY-MM-DD.
    session_date     TEXT NOT NULL,
    starting_capital TEXT NOT NULL,
    description      TEXT,
    -- The user's clock, NULL until first set.
    clock            BIGINT,
    created_at       BIGINT NOT NULL,
    UNIQUE (user_id, underlying, session_date)
);
CREATE INDEX simulations_by_user ON simulations (user_id, session_date);

-- The ledger: append-only. An order is written once with the fill decided when it was placed;
-- cancelling it is a later entry. `seq` numbers a simulation's entries from 1 without gaps, so
-- two writers that read the same ledger cannot both append to it.
CREATE TABLE simulation_entries (
    simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    -- JSON of the order as placed (kind 'order'); '{}' for a cancellation.
    body          TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    PRIMARY KEY (simulation_id, seq)
);
