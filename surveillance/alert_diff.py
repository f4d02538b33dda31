"""What a parameter change changes: the alerts of one day replayed under two parameter
sets, matched by subject (pattern, instrument, accounts) and overlapping windows, so a
supervisor sees which alerts a change would add or drop before it goes live."""

from surveillance.alert import Alert, windows_touch


def _same(first: Alert, second: Alert) -> bool:
    return (
        first.pattern == second.pattern
        and first.instrument == second.instrument
        and first.accounts == second.accounts
        and windows_touch(first, second)
    )


def changes(before: list[Alert], after: list[Alert]) -> tuple[list[Alert], list[Alert]]:
    """(alerts only the new parameters raise, alerts only the old ones raised)."""
    added = [alert for alert in after if not any(_same(alert, old) for old in before)]
    dropped = [alert for alert in before if not any(_same(alert, new) for new in after)]
    return added, dropped


def describe(before: list[Alert], after: list[Alert], old_label: str, new_label: str) -> str:
    added, dropped = changes(before, after)
    lines = [
        f"{old_label}: {len(before)} alerts; {new_label}: {len(after)} alerts; "
        f"{len(added)} added, {len(dropped)} dropped"
    ]
    for sign, alerts in (("+", added), ("-", dropped)):
        for alert in alerts:
            accounts = ",".join(alert.accounts) or "-"
            lines.append(
                f"{sign} {alert.pattern} {alert.instrument or '-'} {accounts} "
                f"score {alert.score}: {alert.reason}"
            )
    return "\n".join(lines)
