"""Who acts: the one party an episode is counted against, so that spreading it over the
accounts of a control group, or over the accounts behind one member session, does not
split it below a threshold (market-abuse rules treat persons acting in concert as one).

Each detector that counts or aggregates names its grouping in its parameters (`acts_by`):

- `account`: the account alone;
- `control_group`: every account of the account's control group (one beneficial owner);
- `session`: every account whose messages came over one member session (the session on
  the order events; an event without one, from before sessions were kept, stands for its
  account alone);
- `member`: every account of one exchange member.

The alert names every account of the party that took part, and for a party of several
accounts gives each one's share of the evidence (`share_percent.<account>`).
"""

from typing import Literal

ActsBy = Literal["account", "control_group", "session", "member"]

SHARE_PREFIX = "share_percent."


def shares(by_account: dict[str, int | float]) -> dict[str, float]:
    """Each account's share of the evidence in percent, for a party of several accounts
    (nothing for one: its share is the whole)."""
    if len(by_account) < 2:
        return {}
    total = sum(by_account.values()) or 1
    return {
        f"{SHARE_PREFIX}{account}": round(100 * value / total, 1)
        for account, value in sorted(by_account.items())
    }


def describe(accounts: list[str] | tuple[str, ...], party: str) -> str:
    """How a reason names the party: `A1`, or `G7 (accounts A1, A2)`."""
    if len(accounts) == 1:
        return accounts[0]
    return f"{party} (accounts {', '.join(sorted(accounts))})"
