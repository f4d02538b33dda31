"""Settlement: accounts and pre-trade holds (the engine's Holds), the registry ledger
(SQLite or PostgreSQL) that books every trade delivery-versus-payment exactly once,
statements, start-up reconciliation and the administration API.

Imports only `engine` (see architecture.md).
"""
