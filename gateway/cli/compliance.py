"""`tcx admin compliance ...`, `tcx admin pledge ...` and `tcx member surrender|pledge`:
the compliance year's REST API from the command line.

Thin clients like the rest of `tcx admin`: one request each, the answer printed as JSON, a
refusal printed with its reason (exit status 1). The member commands log in over HTTP with
the member's FIX session id and password and act only for the member's own accounts.
"""

import argparse
from collections.abc import Callable

from gateway.cli.admin import _request


def _adder(commands: argparse._SubParsersAction) -> Callable:
    def command(name: str, help: str, method: str, path, body=None, query=None):
        parser = commands.add_parser(name, help=help)
        parser.set_defaults(run=_request, method=method, path=path, body=body, query=query)
        return parser

    return command


def add_compliance_commands(admin: argparse._SubParsersAction) -> None:
    """Registers the `compliance` and `pledge` groups under `tcx admin`."""
    group = admin.add_parser("compliance", help="the compliance year: batches, surrender, exits")
    command = _adder(group.add_subparsers(dest="compliance_command", required=True))
    base = "/api/admin/compliance"

    p = command(
        "enrol",
        "enrol a compliance entity for a year",
        "POST",
        lambda a: f"{base}/enrolments",
        lambda a: {
            "account": a.account,
            "year": a.year,
            "previous_emissions": a.previous,
            "method": a.method,
            "baseline": a.baseline,
            "control_factor_bps": a.control_factor_bps,
            "reference": a.reference,
        },
    )
    p.add_argument("account")
    p.add_argument("year", type=int)
    p.add_argument("--previous", type=int, required=True, help="last year's verified t")
    p.add_argument(
        "--method",
        default="historical_emissions",
        choices=("historical_emissions", "historical_intensity"),
    )
    p.add_argument("--baseline", type=int, required=True, help="t, or kg per unit")
    p.add_argument("--control-factor-bps", type=int, default=10_000)
    p.add_argument("--reference", required=True)

    for batch in ("batch1", "batch2"):
        p = command(
            batch,
            f"run {batch} for every entity of the year",
            "POST",
            lambda a, batch=batch: f"{base}/{batch}",
            lambda a: {"year": a.year, "reference": a.reference},
        )
        p.add_argument("year", type=int)
        p.add_argument("--reference", required=True)

    p = command(
        "verify",
        "enter one entity's verified emissions",
        "POST",
        lambda a: f"{base}/verifications",
        lambda a: {
            "account": a.account,
            "year": a.year,
            "verified_emissions": a.emissions,
            "new_facility_emissions": a.new_facilities,
            "output": a.output,
            "non_fossil_mwh": a.non_fossil_mwh,
            "non_fossil_channel": a.non_fossil_channel,
            "reference": a.reference,
        },
    )
    p.add_argument("account")
    p.add_argument("year", type=int)
    p.add_argument("emissions", type=int, help="verified t, new facilities excluded")
    p.add_argument("--new-facilities", type=int, default=0, help="t, recorded apart")
    p.add_argument("--output", type=int, default=0, help="units (intensity method)")
    p.add_argument("--non-fossil-mwh", type=int, default=0)
    p.add_argument(
        "--non-fossil-channel",
        default="",
        choices=("", "direct_supply", "energy_performance_contract", "market"),
    )
    p.add_argument("--reference", required=True)

    p = command(
        "import",
        "import verified emissions from a CSV file (all rows or none)",
        "POST",
        lambda a: f"{base}/verifications/import",
    )
    p.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    p.add_argument("--reference", required=True)
    p.set_defaults(content=lambda a: a.file.read(), query=lambda a: {"reference": a.reference})
    p.set_defaults(content_type="text/csv")

    p = command(
        "incentive",
        "record an incentive criterion with its evidence",
        "POST",
        lambda a: f"{base}/incentives",
        lambda a: {
            "account": a.account,
            "year": a.year,
            "criterion": a.criterion,
            "evidence": a.evidence,
            "reference": a.reference,
        },
    )
    p.add_argument("account")
    p.add_argument("year", type=int)
    p.add_argument("criterion", choices=("pollution_grade_a", "energy_benchmark", "national_pilot"))
    p.add_argument("--evidence", required=True)
    p.add_argument("--reference", required=True)

    p = command(
        "surrender",
        "surrender allowances or offsets for an entity",
        "POST",
        lambda a: f"{base}/surrenders",
        _surrender_body,
    )
    _surrender_arguments(p)

    p = command(
        "reverse",
        "reverse a mistaken surrender (within 14 days)",
        "POST",
        lambda a: f"{base}/surrenders/{a.surrender}/reversal",
        lambda a: {"reason": a.reason},
    )
    p.add_argument("surrender", help="the surrender's reference")
    p.add_argument("--reason", required=True)

    p = command(
        "snapshot",
        "take the deadline snapshot of a year",
        "POST",
        lambda a: f"{base}/snapshots",
        lambda a: {"year": a.year, "reference": a.reference},
    )
    p.add_argument("year", type=int)
    p.add_argument("--reference", required=True)

    p = command(
        "exit",
        "an entity leaves: cancel its emissions, return the rest",
        "POST",
        lambda a: f"{base}/exits",
        lambda a: {
            "account": a.account,
            "year": a.year,
            "emissions": a.emissions,
            "reference": a.reference,
        },
    )
    p.add_argument("account")
    p.add_argument("year", type=int)
    p.add_argument("--emissions", type=int, help="the year's t, if not verified")
    p.add_argument("--reference", required=True)

    p = command(
        "national-move",
        "an entity moves to the national market",
        "POST",
        lambda a: f"{base}/national-moves",
        lambda a: {
            "account": a.account,
            "sector": a.sector,
            "moved_on": a.moved_on,
            "reference": a.reference,
        },
    )
    p.add_argument("account")
    p.add_argument("--sector", required=True)
    p.add_argument("--moved-on", required=True, help="YYYY-MM-DD")
    p.add_argument("--reference", required=True)

    p = command(
        "cancel",
        "cancel a moved entity's frozen free allocation (at the deadline)",
        "POST",
        lambda a: f"{base}/national-cancellations",
        lambda a: {"account": a.account, "reference": a.reference},
    )
    p.add_argument("account")
    p.add_argument("--reference", required=True)

    p = command(
        "status",
        "the year's table: every entity's status, the deadline",
        "GET",
        lambda a: f"{base}/years/{a.year}",
        query=lambda a: {"status": a.status} if a.status else {},
    )
    p.add_argument("year", type=int)
    p.add_argument(
        "--status", choices=("awaiting_emissions", "outstanding", "compliant", "non_compliant")
    )
    p = command(
        "entity",
        "one entity: years, lineage, surrenders, pledges, operations",
        "GET",
        lambda a: f"{base}/entities/{a.account}",
    )
    p.add_argument("account")
    command(
        "pending-cancellations",
        "national moves and the days left",
        "GET",
        lambda a: f"{base}/national-moves",
    )

    group = admin.add_parser("pledge", help="pledge financing: pledgees, pledges, the register")
    command = _adder(group.add_subparsers(dest="pledge_command", required=True))
    p = command(
        "pledgee",
        "register a pledgee (a financial institution)",
        "POST",
        lambda a: "/api/admin/pledges/pledgees",
        lambda a: {
            "pledgee": a.pledgee,
            "name": a.name,
            "account": a.account,
            "reference": a.reference,
        },
    )
    p.add_argument("pledgee")
    p.add_argument("--name", required=True)
    p.add_argument("--account", required=True, help="where enforcement delivers")
    p.add_argument("--reference", required=True)
    p = command(
        "propose",
        "propose a pledge for an entity",
        "POST",
        lambda a: "/api/admin/pledges",
        _pledge_body,
    )
    _pledge_arguments(p)
    for action in ("confirm", "release", "enforce"):
        p = command(
            action,
            f"{action} a pledge as its pledgee",
            "POST",
            lambda a, action=action: f"/api/admin/pledges/{a.pledge}/{action}",
            lambda a: {"pledgee": a.pledgee},
        )
        p.add_argument("pledge", help="the pledge's reference")
        p.add_argument("--pledgee", required=True)
    p = command(
        "register",
        "the pledge register",
        "GET",
        lambda a: "/api/admin/pledges",
        query=lambda a: {"state": a.state} if a.state else {},
    )
    p.add_argument("--state", choices=("proposed", "pledged", "released", "enforced"))


def add_member_compliance_commands(member: argparse._SubParsersAction) -> None:
    """`tcx member surrender` and `tcx member pledge`, for the member's own accounts."""
    command = _adder(member)
    p = command(
        "surrender",
        "surrender allowances or offsets of one of your accounts",
        "POST",
        lambda a: "/api/member/compliance/surrenders",
        _surrender_body,
    )
    _surrender_arguments(p)
    p.set_defaults(run=_member_request)
    p = command(
        "pledge",
        "propose a pledge of tonnes of one of your accounts",
        "POST",
        lambda a: "/api/member/pledges",
        _pledge_body,
    )
    _pledge_arguments(p)
    p.set_defaults(run=_member_request)
    for action in ("confirm", "release", "enforce"):
        p = command(
            f"pledge-{action}",
            f"{action} a pledge made to you (you are its pledgee)",
            "POST",
            lambda a, action=action: f"/api/member/pledges/{a.pledge}/{action}",
        )
        p.add_argument("pledge", help="the pledge's reference")
        p.set_defaults(run=_member_request)


def _member_request(args: argparse.Namespace) -> int:
    """As `tcx admin`, logged in with the member's session, at the REST API (`--http-url`:
    the FIX websocket has a port of its own)."""
    url = args.http_url
    return _request(argparse.Namespace(**{**vars(args), "url": url, "user": args.session}))


def _surrender_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("account")
    p.add_argument("year", type=int)
    p.add_argument("instrument")
    p.add_argument("quantity", type=int)
    p.add_argument("--reference", required=True)


def _surrender_body(a: argparse.Namespace) -> dict:
    return {
        "account": a.account,
        "year": a.year,
        "instrument": a.instrument,
        "quantity": a.quantity,
        "reference": a.reference,
    }


def _pledge_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("account")
    p.add_argument("instrument")
    p.add_argument("quantity", type=int)
    p.add_argument("--pledgee", required=True)
    p.add_argument("--contract", required=True)
    p.add_argument("--amount", type=int, required=True, help="fen lent")
    p.add_argument("--maturity", required=True, help="YYYY-MM-DD")
    p.add_argument("--reference", required=True)


def _pledge_body(a: argparse.Namespace) -> dict:
    return {"account": a.account, "pledgee": a.pledgee, "instrument": a.instrument,
            "quantity": a.quantity, "contract": a.contract, "amount": a.amount,
            "maturity": a.maturity, "reference": a.reference}  # fmt: skip
