-- The daily bulletins, kept as history: one per instrument and trading day, the message
-- as published (JSON, prices as decimal text) beside the columns it is found by.

CREATE TABLE surveillance_bulletins (
    instrument TEXT NOT NULL,
    trading_date TEXT NOT NULL,       -- YYYY-MM-DD
    event_seq BIGINT NOT NULL,        -- the DayClosed it was made from
    bulletin TEXT NOT NULL,           -- the DailyBulletin message, JSON
    PRIMARY KEY (instrument, trading_date)
);
CREATE INDEX surveillance_bulletins_order ON surveillance_bulletins (event_seq);
