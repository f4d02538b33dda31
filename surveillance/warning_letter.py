"""The warning letter: the document an alert closed as `warning_letter` produces.

Printable HTML (the browser prints it, or saves it as PDF), self-contained: what was
seen, when, the evidence beside each threshold, the orders and trades named, and the
decision with who took it. It is rendered from the alert and its audit trail each time it
is asked for, so it always matches the record; sending it is recorded on the trail as a
`letter_sent` step (workflow.py), which the letter then lists.
"""

import datetime as dt
import html
from zoneinfo import ZoneInfo

from surveillance.alert_store import AuditEntry, StoredAlert
from surveillance.workflow import Action, require_warning_letter

ZONE = ZoneInfo("Asia/Shanghai")
EXCHANGE = "Tianjin Climate Exchange · market surveillance"


def _when(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, ZONE).strftime("%Y-%m-%d %H:%M:%S Beijing time")


def _e(value: object) -> str:
    return html.escape(str(value))


def letter_html(stored: StoredAlert, trail: list[AuditEntry], now: int) -> str:
    """The letter for an alert closed as a warning letter (else `Refused`)."""
    require_warning_letter(stored.work)
    alert = stored.alert
    closing = next(e for e in reversed(trail) if e.action == "close")
    decided = [e for e in trail if e.action in ("escalate", "close")]
    sent = [e for e in trail if e.action == Action.LETTER_SENT]
    evidence = "".join(
        f"<tr><td>{_e(name.replace('_', ' '))}</td><td class='num'>{_e(value)}</td></tr>"
        for name, value in alert.evidence.items()
    )
    steps = "".join(
        f"<li>{_e(_when(e.ts))}, {_e(e.actor)} ({_e(e.action)}): {_e(e.comment)}</li>"
        for e in decided
    )
    sending = (
        "".join(f"<li>{_e(_when(e.ts))}, {_e(e.actor)}: {_e(e.comment)}</li>" for e in sent)
        or "<li>not yet recorded as sent</li>"
    )
    accounts = ", ".join(alert.accounts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warning letter {_e(alert.id)}</title>
<style>
body {{ font: 11pt/1.5 Georgia, serif; max-width: 17cm; margin: 2cm auto; color: #111; }}
h1 {{ font-size: 16pt; margin-bottom: 0; }} .muted {{ color: #555; }}
table {{ border-collapse: collapse; width: 100%; margin: .5em 0 1em; }}
td, th {{ border-bottom: 1px solid #bbb; padding: 3px 6px; text-align: left; }}
.num {{ text-align: right; }} .signature {{ margin-top: 2.5em; }}
@media print {{ body {{ margin: 0 auto; }} .noprint {{ display: none; }} }}
</style></head><body>
<p class="muted">{_e(EXCHANGE)}<br>Reference: {_e(alert.id)}<br>Issued: {_e(_when(now))}</p>
<h1>Warning letter</h1>
<p>To the member responsible for account(s) <strong>{_e(accounts)}</strong>{
        f" (control group {_e(alert.control_group)})" if alert.control_group else ""
    }.</p>
<p>The exchange's market surveillance found the following conduct on
{_e(alert.instrument or "the market")} between {_e(_when(alert.window_start))} and
{_e(_when(alert.window_end))}, and classifies it as <strong>{
        _e(alert.pattern.replace("_", " "))
    }</strong>:</p>
<blockquote>{_e(alert.reason)}</blockquote>
<h2>Evidence</h2>
<table><thead><tr><th>Measure</th><th class="num">Value</th></tr></thead>
<tbody>{evidence}</tbody></table>
<p>Orders named: {_e(", ".join(map(str, alert.order_ids)) or "none")}.
Trades named: {_e(", ".join(map(str, alert.trade_ids)) or "none")}.</p>
<h2>Decision</h2>
<ul>{steps}</ul>
<p>The member is warned that repeated conduct of this kind may lead to restriction of the
account(s) and referral to the competent authority. The member may answer in writing within
10 trading days, quoting the reference above.</p>
<p class="signature">{_e(closing.actor)}<br>for the exchange's market surveillance</p>
<h2 class="muted">Sending</h2><ul class="muted">{sending}</ul>
</body></html>
"""
