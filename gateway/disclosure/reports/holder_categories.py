"""Holder categories of the public holdings reports, from the registry's account kinds.

The registry distinguishes covered (compliance) entities from other participants; it does
not yet record whether an investor is an institution or an individual, nor a government
account kind (the auction account, issue 15). When it does, this is the one place that
maps an account to its category.
"""

from engine.orders import AccountKind
from settlement.ledger import AccountRecord

COVERED = "covered_entities"
INVESTORS = "investors"  # institutions and individuals, not told apart by the registry yet
CATEGORIES = (COVERED, INVESTORS)


def category_of(account: AccountRecord) -> str:
    return COVERED if account.kind == AccountKind.COMPLIANCE else INVESTORS
