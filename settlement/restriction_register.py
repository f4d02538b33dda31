"""The register of enforcement restrictions, read back from the registry's audit log.

Settlement books each `AccountRestricted` as an audit entry of kind `restrict:<mode>`
(amount = the end, ns; detail = the reason) and each `RestrictionLifted` as `lift:<mode>`
(detail = why it was lifted), both with the restriction's reference. The register pairs
them: every restriction ever imposed, with its status at a given time.
"""

import msgspec

from settlement.ledger import Ledger

IN_FORCE = "in_force"
LIFTED = "lifted"
EXPIRED = "expired"


class RestrictionRecord(msgspec.Struct):
    reference: str
    account: str
    mode: str  # sell_only, cancel_only, suspended
    reason: str
    until: int  # ns, 0 = until lifted
    imposed_ts: int
    imposed_by: str
    status: str  # IN_FORCE, LIFTED or EXPIRED
    lifted_ts: int = 0
    lifted_by: str = ""
    lift_reason: str = ""


def restriction_register(
    ledger: Ledger, now: int, account: str | None = None
) -> list[RestrictionRecord]:
    """Every restriction (of `account`, or of all), newest first, with its status at `now`."""
    sql = (
        "SELECT ts, kind, account, amount, reference, actor, detail FROM entries "
        "WHERE (kind LIKE 'restrict:%' OR kind LIKE 'lift:%')"
    )
    params: tuple = ()
    if account is not None:
        sql += " AND account = ?"
        params = (account,)
    records: dict[str, RestrictionRecord] = {}
    for ts, kind, owner, amount, reference, actor, detail in ledger.database.query(
        sql + " ORDER BY seq", params
    ):
        verb, _, mode = kind.partition(":")
        if verb == "restrict":
            expired = amount and amount <= now
            records[reference] = RestrictionRecord(
                reference, owner, mode, detail, amount, ts, actor, EXPIRED if expired else IN_FORCE
            )
        elif reference in records:
            record = records[reference]
            record.status, record.lifted_ts = LIFTED, ts
            record.lifted_by, record.lift_reason = actor, detail
    return sorted(records.values(), key=lambda r: -r.imposed_ts)
