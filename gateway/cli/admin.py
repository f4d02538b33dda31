"""`tcx admin ...`: the supervisors' REST API from the command line.

A thin client: each subcommand is one request to a running exchange, whose answer (the
event that recorded the change, or the registry's view) is printed as JSON. A refusal is
printed with its reason and the command exits with status 1.
"""

import argparse
import getpass
import json
import os
import sys

import httpx

from gateway.cli.auction import add_admin_auction_commands
from gateway.rest.admin import HOLDING_KINDS
from gateway.rest.restrictions import MODES


def add_admin_commands(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Adds `tcx admin`; returns its subcommands, for groups defined in their own modules."""
    admin = subparsers.add_parser(
        "admin", help="administer a running exchange over its REST API (supervisors)"
    )
    admin.add_argument("--url", default=os.environ.get("TCX_URL", "http://127.0.0.1:8000"))
    admin.add_argument("--user", default=os.environ.get("TCX_USER", ""), help="or TCX_USER")
    admin.add_argument(
        "--password", default=os.environ.get("TCX_PASSWORD", ""), help="or TCX_PASSWORD"
    )
    commands = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")

    def command(name: str, help: str, method: str, path, body=None, query=None):
        parser = commands.add_parser(name, help=help)
        parser.set_defaults(run=_request, method=method, path=path, body=body, query=query)
        return parser

    p = command(
        "open-account",
        "open a trading account for a member",
        "POST",
        lambda a: "/api/admin/accounts",
        lambda a: {
            "account": a.account,
            "member": a.member,
            "kind": a.kind,
            "control_group": a.control_group,
            "allocation": a.allocation,
        },
    )
    p.add_argument("account")
    p.add_argument("--member", required=True)
    p.add_argument("--kind", choices=("compliance", "investor"), required=True)
    p.add_argument("--control-group", default="")
    p.add_argument("--allocation", type=int, default=0, help="tonnes (compliance entities)")

    p = command(
        "control-group",
        "link an account to a control group ('' unlinks)",
        "PUT",
        lambda a: f"/api/admin/accounts/{a.account}/control-group",
        lambda a: {"control_group": a.control_group},
    )
    p.add_argument("account")
    p.add_argument("control_group")

    for kind in ("deposit", "withdraw"):
        p = command(
            kind,
            f"{kind} cash (CNY, e.g. 250000.00)",
            "POST",
            lambda a: "/api/admin/cash",
            lambda a, kind=kind: {
                "account": a.account,
                "kind": kind,
                "amount": a.amount,
                "reference": a.reference,
            },
        )
        p.add_argument("account")
        p.add_argument("amount")
        p.add_argument("--reference", required=True, help="unique; a second use is refused")

    p = command(
        "holding",
        "a registry operation on tonnes: " + ", ".join(HOLDING_KINDS),
        "POST",
        lambda a: "/api/admin/holdings",
        lambda a: {
            "account": a.account,
            "instrument": a.instrument,
            "kind": a.kind,
            "quantity": a.quantity,
            "reference": a.reference,
        },
    )
    p.add_argument("kind", choices=HOLDING_KINDS)
    p.add_argument("account")
    p.add_argument("instrument")
    p.add_argument("quantity", type=int)
    p.add_argument("--reference", required=True, help="unique; a second use is refused")

    for name in ("halt", "resume"):
        p = command(
            name,
            f"{name} one instrument, or the whole market without one",
            "POST",
            lambda a, name=name: f"/api/admin/{name}",
            lambda a: {"instrument": a.instrument, "reason": a.reason},
        )
        p.add_argument("instrument", nargs="?", default="")
        p.add_argument("--reason", required=True)

    p = command(
        "reference-price",
        "set an instrument's reference price (CNY)",
        "POST",
        lambda a: "/api/admin/reference-price",
        lambda a: {"instrument": a.instrument, "price": a.price},
    )
    p.add_argument("instrument")
    p.add_argument("price")

    p = command(
        "end-of-day",
        "close a trading day: expire orders, fix closes, roll bands",
        "POST",
        lambda a: "/api/admin/end-of-day",
        lambda a: {"trading_date": a.trading_date},
    )
    p.add_argument("trading_date", help="YYYY-MM-DD")

    p = command(
        "account",
        "an account's registry balances",
        "GET",
        lambda a: f"/api/admin/accounts/{a.account}",
    )
    p.add_argument("account")

    p = command(
        "audit",
        "the registry's audit trail",
        "GET",
        lambda a: "/api/admin/audit",
        query=lambda a: {"account": a.account} if a.account else {},
    )
    p.add_argument("--account")

    p = command(
        "statements",
        "every account's statement for a closed day",
        "GET",
        lambda a: f"/api/admin/statements/{a.trading_date}",
        query=lambda a: {"format": "csv" if a.csv else "json"},
    )
    p.add_argument("trading_date")
    p.add_argument("--csv", action="store_true")

    p = command(
        "restrict",
        "restrict an account: sell_only, cancel_only or suspended, with a reason",
        "POST",
        lambda a: f"/api/admin/accounts/{a.account}/restrictions",
        lambda a: {
            "mode": a.mode,
            "reason": a.reason,
            "until": a.until,
            "reference": a.reference,
            "cancel_resting": a.cancel_resting,
        },
    )
    p.add_argument("account")
    p.add_argument("mode", choices=MODES)
    p.add_argument("--reason", required=True)
    p.add_argument("--until", default="", help="YYYY-MM-DD or YYYY-MM-DDTHH:MM; none: until lifted")
    p.add_argument("--reference", default="", help="unique; generated when omitted")
    p.add_argument("--cancel-resting", action="store_true", help="also cancel its live orders")

    p = command(
        "lift",
        "lift an account's restriction, naming its reference",
        "POST",
        lambda a: f"/api/admin/accounts/{a.account}/restrictions/{a.reference}/lift",
        lambda a: {"reason": a.reason},
    )
    p.add_argument("account")
    p.add_argument("reference")
    p.add_argument("--reason", required=True)

    p = command(
        "restrictions",
        "the register of restrictions, newest first",
        "GET",
        lambda a: "/api/admin/restrictions",
        query=lambda a: {"account": a.account} if a.account else {},
    )
    p.add_argument("--account")

    p = command(
        "republish",
        "publish a corrected public report; the earlier version stays, superseded",
        "POST",
        lambda a: f"/api/admin/disclosure/{a.report}/{a.period}/republish",
        lambda a: {"reason": a.reason},
    )
    p.add_argument("report", help="e.g. daily-bulletin, weekly-holdings, large-holders")
    p.add_argument("period", help="the trading date, YYYY-MM-DD")
    p.add_argument("--reason", required=True, help="what was corrected (shown publicly)")

    command(
        "failures",
        "trades that could not settle",
        "GET",
        lambda a: "/api/admin/settlement-failures",
    )

    add_admin_auction_commands(commands)

    command(
        "reload-members",
        "read the member file again (new members, sessions, passwords) without a restart",
        "POST",
        lambda a: "/api/admin/members/reload",
    )
    return commands


def _request(args: argparse.Namespace) -> int:
    user = args.user or input("supervisor user: ")
    password = args.password or getpass.getpass(f"password for {user}: ")
    try:
        response = httpx.request(
            args.method,
            args.url.rstrip("/") + args.path(args),
            json=args.body(args) if args.body else None,
            content=args.content(args) if getattr(args, "content", None) else None,
            headers={"content-type": args.content_type} if getattr(args, "content", None) else None,
            params=args.query(args) if args.query else None,
            auth=(user, password),
            timeout=30,
        )
    except httpx.HTTPError as error:
        print(f"tcx admin: cannot reach {args.url}: {error}", file=sys.stderr)
        return 2
    if response.headers.get("content-type", "").startswith("text/csv"):
        print(response.text, end="")
        return 0
    try:
        shown = response.json()
    except ValueError:
        shown = response.text
    if response.is_success:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    detail = shown.get("detail", shown) if isinstance(shown, dict) else shown
    print(f"tcx admin: refused ({response.status_code}): {json.dumps(detail)}", file=sys.stderr)
    return 1
