-- Block trades (协议大宗交易) are booked like book trades, flagged so statements, the
-- bulletin and surveillance can tell them apart.
ALTER TABLE trades ADD COLUMN block INTEGER NOT NULL DEFAULT 0;
