-- The compliance year (carbon-lifecycle.md section 3): acquisition lots (the lineage of
-- every tonne), entity-years, surrenders, pledges and national-market moves, and the
-- compliance operations that change them, each once by its reference.

-- Tonnes of one instrument in one owner and state that arrived together; per (owner,
-- instrument, state) they add up to the balance. `tag` is '' except under @surrendered,
-- where it is the surrender's movement reference (so a reversal restores the lineage).
CREATE TABLE lots (
    owner TEXT NOT NULL,
    instrument TEXT NOT NULL,
    state TEXT NOT NULL,
    tag TEXT NOT NULL,
    acquired_seq BIGINT NOT NULL,
    source TEXT NOT NULL,             -- free_allocation, auction, bought, transferred_in, opening
    quantity BIGINT NOT NULL,
    PRIMARY KEY (owner, instrument, state, tag, acquired_seq, source)
);
-- What accounts held before lineage was kept: one `opening` lot each, the oldest.
INSERT INTO lots (owner, instrument, state, tag, acquired_seq, source, quantity)
SELECT owner, asset, state, '', 0, 'opening', amount FROM balances
WHERE owner NOT LIKE '@%' AND asset <> 'CNY' AND amount <> 0;

-- Every compliance operation with who and when; `movements` are the registry movements
-- it planned (JSON), submitted through the engine, and `state` pending until all are.
CREATE TABLE compliance_operations (
    reference TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    year INTEGER NOT NULL,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,             -- JSON: the operation's inputs
    movements TEXT NOT NULL,          -- JSON list of [account, instrument, quantity, kind, reference]
    state TEXT NOT NULL,              -- pending, done
    outcome TEXT NOT NULL             -- JSON: what it did
);
CREATE INDEX compliance_operations_account ON compliance_operations (account, year);

CREATE TABLE compliance_entities (
    account TEXT PRIMARY KEY,
    coverage TEXT NOT NULL,           -- covered, exited, national
    sector TEXT NOT NULL
);

CREATE TABLE entity_years (
    account TEXT NOT NULL,
    year INTEGER NOT NULL,
    previous_emissions BIGINT NOT NULL,
    method TEXT NOT NULL,             -- historical_emissions, historical_intensity
    baseline BIGINT NOT NULL,         -- t (historical emissions) or kg per unit (intensity)
    control_factor_bps INTEGER NOT NULL,
    output BIGINT NOT NULL,           -- units of product (intensity method), entered at verification
    verified_emissions BIGINT,        -- NULL until verified; new facilities excluded
    new_facility_emissions BIGINT NOT NULL,
    non_fossil_mwh BIGINT NOT NULL,
    non_fossil_channel TEXT NOT NULL, -- '', direct_supply, energy_performance_contract, market
    batch1 BIGINT NOT NULL,           -- entitled batch 1 (before a prior debt is deducted)
    debt_deducted BIGINT NOT NULL,    -- a prior year's debt taken from batch 1
    batch2 BIGINT NOT NULL,           -- signed: negative is an excess to claim back
    final_allocation BIGINT NOT NULL, -- after the clamp, before incentives
    incentives BIGINT NOT NULL,
    non_fossil BIGINT NOT NULL,
    clawed_back BIGINT NOT NULL,
    debt BIGINT NOT NULL,             -- recorded for next year's batch 1
    batch2_done INTEGER NOT NULL,
    snapshot_status TEXT NOT NULL,    -- '' until the deadline snapshot
    snapshot_shortfall BIGINT NOT NULL,
    PRIMARY KEY (account, year)
);

CREATE TABLE incentives (
    account TEXT NOT NULL,
    year INTEGER NOT NULL,
    criterion TEXT NOT NULL,          -- pollution_grade_a, energy_benchmark, national_pilot
    evidence TEXT NOT NULL,
    tonnes BIGINT NOT NULL,           -- set at batch 2
    PRIMARY KEY (account, year, criterion)
);

CREATE TABLE batch_runs (
    batch INTEGER NOT NULL,
    year INTEGER NOT NULL,
    reference TEXT NOT NULL,
    started_ts BIGINT NOT NULL,
    completed_ts BIGINT NOT NULL,     -- 0 while the run is under way
    actor TEXT NOT NULL,
    PRIMARY KEY (batch, year)
);

CREATE TABLE surrenders (
    reference TEXT PRIMARY KEY,
    movement TEXT NOT NULL,           -- the registry movement's reference
    account TEXT NOT NULL,
    year INTEGER NOT NULL,
    instrument TEXT NOT NULL,
    unit TEXT NOT NULL,               -- allowance, CCER, TJCER
    quantity BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reversed_ts BIGINT NOT NULL,      -- 0 unless reversed
    reversed_by TEXT NOT NULL,
    reversal_reason TEXT NOT NULL
);
CREATE INDEX surrenders_account ON surrenders (account, year);

CREATE TABLE pledgees (
    pledgee TEXT PRIMARY KEY,         -- the financial institution's id
    name TEXT NOT NULL,
    account TEXT NOT NULL,            -- its registry account, where enforcement delivers
    registered_ts BIGINT NOT NULL,
    registered_by TEXT NOT NULL
);

CREATE TABLE pledges (
    reference TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    pledgee TEXT NOT NULL,
    instrument TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    contract TEXT NOT NULL,
    amount BIGINT NOT NULL,           -- fen lent against the pledge
    maturity TEXT NOT NULL,           -- YYYY-MM-DD
    state TEXT NOT NULL,              -- proposed, pledged, released, enforced
    proposed_ts BIGINT NOT NULL,
    proposed_by TEXT NOT NULL,
    changed_ts BIGINT NOT NULL,
    changed_by TEXT NOT NULL
);

CREATE TABLE national_moves (
    account TEXT PRIMARY KEY,
    sector TEXT NOT NULL,
    moved_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    frozen TEXT NOT NULL,             -- JSON {instrument: tonnes} frozen for cancellation
    cancelled_ts BIGINT NOT NULL,     -- 0 until cancelled
    cancelled_by TEXT NOT NULL
);
