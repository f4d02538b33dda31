-- The registry ledger: double-entry postings of cash and tonnes, the balances they add up
-- to, and the records (accounts, trades, audit entries, failures) that explain them.
-- Written in the SQL common to SQLite and PostgreSQL.

CREATE TABLE consumer_cursor (
    consumer TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL          -- the last event applied, stored with its effects
);

CREATE TABLE accounts (
    account TEXT PRIMARY KEY,
    member TEXT NOT NULL,
    kind INTEGER NOT NULL,            -- engine.orders.AccountKind
    control_group TEXT NOT NULL,      -- '' for none
    allocation BIGINT NOT NULL,
    opened_seq BIGINT NOT NULL,
    opened_ts BIGINT NOT NULL,
    opened_by TEXT NOT NULL
);

-- Every administrative event (and every refused command), with who and when: the audit log.
CREATE TABLE entries (
    seq BIGINT PRIMARY KEY,
    ts BIGINT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    instrument TEXT NOT NULL,
    amount BIGINT NOT NULL,
    reference TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- A movement's reference may be used once.
CREATE TABLE movement_references (
    reference TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);

CREATE TABLE trades (
    trade_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    instrument TEXT NOT NULL,
    price BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    buy_account TEXT NOT NULL,
    sell_account TEXT NOT NULL,
    fee BIGINT NOT NULL               -- per side
);
CREATE INDEX trades_seq ON trades (seq);

-- One row per leg; the legs of one event (seq) sum to zero per asset.
CREATE TABLE postings (
    seq BIGINT NOT NULL,
    owner TEXT NOT NULL,              -- an account, or a system owner starting with '@'
    asset TEXT NOT NULL,              -- 'CNY' or an instrument symbol
    state TEXT NOT NULL,              -- 'cash', or 'available' / 'pledged' / 'frozen'
    amount BIGINT NOT NULL,           -- fen or tonnes, signed
    kind TEXT NOT NULL                -- the movement: 'trade', 'deposit', 'allocate', ...
);
CREATE INDEX postings_owner ON postings (owner, seq);

CREATE TABLE balances (
    owner TEXT NOT NULL,
    asset TEXT NOT NULL,
    state TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (owner, asset, state)
);

CREATE TABLE settlement_failures (
    seq BIGINT PRIMARY KEY,
    ts BIGINT NOT NULL,
    event TEXT NOT NULL,
    trade_id BIGINT NOT NULL,
    account TEXT NOT NULL,
    instrument TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL
);

-- One row per DayClosed event; a day's events end at its last one.
CREATE TABLE day_closes (
    seq BIGINT PRIMARY KEY,
    trading_date TEXT NOT NULL,
    instrument TEXT NOT NULL,
    close_price BIGINT NOT NULL
);
CREATE INDEX day_closes_date ON day_closes (trading_date);
