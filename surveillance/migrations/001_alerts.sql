-- Alerts as supervisors work them, the audit trail of every step, and the audited
-- versions of the detectors' parameters. Written in the SQL common to SQLite and
-- PostgreSQL; times are ns since the epoch, UTC.

CREATE TABLE surveillance_alerts (
    id TEXT PRIMARY KEY,
    pattern TEXT NOT NULL,
    score INTEGER NOT NULL,
    instrument TEXT NOT NULL,
    accounts TEXT NOT NULL,           -- JSON array, sorted: part of the merge key
    control_group TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    evidence TEXT NOT NULL,           -- JSON object
    order_ids TEXT NOT NULL,          -- JSON array
    trade_ids TEXT NOT NULL,          -- JSON array
    reason TEXT NOT NULL,
    status TEXT NOT NULL,             -- new, in_review, escalated, closed
    assignee TEXT NOT NULL,           -- '' until assigned
    disposition TEXT NOT NULL,        -- '' until closed
    revision INTEGER NOT NULL,        -- the number of audit entries
    raised_ts BIGINT NOT NULL,
    updated_ts BIGINT NOT NULL
);
CREATE INDEX surveillance_alerts_subject
    ON surveillance_alerts (pattern, instrument, accounts, window_start);
CREATE INDEX surveillance_alerts_queue ON surveillance_alerts (status, score);

-- The ids of duplicates merged into a kept alert: raising or looking one up finds the kept one.
CREATE TABLE surveillance_alert_aliases (
    alias TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL
);

-- One row per account an alert names, for the account filter.
CREATE TABLE surveillance_alert_accounts (
    account TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    PRIMARY KEY (account, alert_id)
);

-- Append-only (see the triggers in 002): every step an alert went through, with who and why.
CREATE TABLE surveillance_alert_audit (
    alert_id TEXT NOT NULL,
    revision INTEGER NOT NULL,        -- 1 for the raise, then one more per step
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    assignee TEXT NOT NULL,           -- after the step
    disposition TEXT NOT NULL,        -- after the step
    comment TEXT NOT NULL,
    PRIMARY KEY (alert_id, revision)
);

-- Append-only: every version of a detector's parameter set a supervisor made.
CREATE TABLE surveillance_parameter_versions (
    pattern TEXT NOT NULL,
    version INTEGER NOT NULL,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    parameters TEXT NOT NULL,         -- JSON object: the whole set as of this version
    previous TEXT NOT NULL,           -- JSON object: the set it replaced
    comment TEXT NOT NULL,
    PRIMARY KEY (pattern, version)
);
