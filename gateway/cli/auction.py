"""`tcx admin auction ...` and `tcx member auction ...`: government auctions over REST.

The authority's supervisors create (every parameter of carbon-lifecycle.md §2, with a
mandatory comment), list, inspect, clear and cancel auctions; a member lists the
announced auctions with its own bids, bids, amends, withdraws and reads its result. The
member's REST login is its FIX session id and password; the exchange's address comes
from the member's FIX URL (ws://host:port/fix -> http://host:port).
"""

import argparse
import getpass
import json
import sys

import httpx


def add_admin_auction_commands(commands: argparse._SubParsersAction) -> None:
    auction = commands.add_parser("auction", help="government allowance auctions")
    actions = auction.add_subparsers(dest="auction_command", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create an auction (every §2 parameter)")
    create.add_argument("auction_id")
    create.add_argument("--instrument", required=True)
    create.add_argument("--seller", required=True, help="the government auction account")
    create.add_argument("--volume", type=int, required=True, help="tonnes")
    create.add_argument("--lot", type=int, default=1_000)
    create.add_argument("--floor-price", default="0", help="CNY; the fixed floor")
    create.add_argument("--floor-factor", type=float, default=0, help="floor = factor x VWAP")
    create.add_argument("--floor-window", nargs=2, metavar=("FROM", "TO"), default=("", ""))
    for moment in ("announce-at", "open-at", "close-at", "results-at"):
        create.add_argument(f"--{moment}", required=True, help="ISO time with offset")
    create.add_argument("--shortfall-only", action="store_true")
    create.add_argument("--no-compliance", action="store_true")
    create.add_argument("--no-investors", action="store_true")
    create.add_argument("--entity-cap-percent", type=float, default=2)
    create.add_argument("--investor-cap", type=int, default=100_000)
    create.add_argument("--group-cap-percent", type=float, default=50)
    create.add_argument("--tie-rule", choices=("time", "pro_rata"), default="time")
    create.add_argument("--undersubscription", choices=("sell_bid", "cancel"), default="sell_bid")
    create.add_argument("--surrender-only", action="store_true")
    create.add_argument("--irrevocable", action="store_true")
    create.add_argument(
        "--entity",
        action="append",
        default=[],
        metavar="ACCOUNT:VERIFIED[:SHORTFALL]",
        help="an eligible entity with its verified emissions (t); repeat for each",
    )
    create.add_argument("--comment", required=True)
    create.set_defaults(run=_admin, method="POST", path=lambda a: "/api/admin/auctions")
    create.set_defaults(body=_create_body)

    listing = actions.add_parser("list", help="every auction, newest first")
    listing.set_defaults(run=_admin, method="GET", path=lambda a: "/api/admin/auctions")
    show = actions.add_parser("show", help="demand curve, bidders and caps, allotments, results")
    show.add_argument("auction_id")
    show.set_defaults(
        run=_admin, method="GET", path=lambda a: f"/api/admin/auctions/{a.auction_id}"
    )
    clear = actions.add_parser("clear", help="clear a closed auction now")
    clear.add_argument("auction_id")
    clear.set_defaults(
        run=_admin, method="POST", path=lambda a: f"/api/admin/auctions/{a.auction_id}/clear"
    )
    cancel = actions.add_parser("cancel", help="cancel an auction before it settles")
    cancel.add_argument("auction_id")
    cancel.add_argument("--comment", required=True)
    cancel.set_defaults(
        run=_admin,
        method="POST",
        path=lambda a: f"/api/admin/auctions/{a.auction_id}/cancel",
        body=lambda a: {"comment": a.comment},
    )


def add_member_auction_commands(commands: argparse._SubParsersAction) -> None:
    auction = commands.add_parser("auction", help="bid in government auctions (REST)")
    actions = auction.add_subparsers(dest="auction_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="announced auctions, with your own bids")
    listing.set_defaults(run=_member, method="GET", path=lambda a: "/api/member/auctions")

    bid = actions.add_parser("bid", help="place a sealed bid")
    bid.add_argument("auction_id")
    bid.add_argument("client_bid_id")
    bid.add_argument("quantity", type=int, help="tonnes, whole lots")
    bid.add_argument("price", help="CNY per tonne")
    bid.add_argument("--account", required=True)
    bid.set_defaults(
        run=_member,
        method="POST",
        path=lambda a: f"/api/member/auctions/{a.auction_id}/bids",
        body=lambda a: {
            "account": a.account,
            "client_bid_id": a.client_bid_id,
            "price": a.price,
            "quantity": a.quantity,
        },
    )
    amend = actions.add_parser("amend", help="change a bid until the close")
    amend.add_argument("auction_id")
    amend.add_argument("client_bid_id", help="the bid's current client id")
    amend.add_argument("new_client_bid_id")
    amend.add_argument("quantity", type=int)
    amend.add_argument("price")
    amend.add_argument("--account", required=True)
    amend.set_defaults(
        run=_member,
        method="PUT",
        path=lambda a: f"/api/member/auctions/{a.auction_id}/bids/{a.client_bid_id}",
        body=lambda a: {
            "account": a.account,
            "client_bid_id": a.new_client_bid_id,
            "price": a.price,
            "quantity": a.quantity,
        },
    )
    withdraw = actions.add_parser("withdraw", help="withdraw a bid until the close")
    withdraw.add_argument("auction_id")
    withdraw.add_argument("client_bid_id")
    withdraw.add_argument("--account", required=True)
    withdraw.add_argument("--request-id", default="", help="default: withdraw-<client bid id>")
    withdraw.set_defaults(
        run=_member,
        method="DELETE",
        path=lambda a: f"/api/member/auctions/{a.auction_id}/bids/{a.client_bid_id}",
        query=lambda a: {
            "account": a.account,
            "request_id": a.request_id or f"withdraw-{a.client_bid_id}",
        },
    )
    result = actions.add_parser("result", help="the clearing and your allotments")
    result.add_argument("auction_id")
    result.set_defaults(
        run=_member, method="GET", path=lambda a: f"/api/member/auctions/{a.auction_id}/result"
    )


def _create_body(a: argparse.Namespace) -> dict:
    entities = []
    for text in a.entity:
        account, verified, *shortfall = text.split(":")
        entities.append(
            {
                "account": account,
                "verified_emissions": int(verified),
                "shortfall": int(shortfall[0]) if shortfall else 0,
            }
        )
    return {
        "auction_id": a.auction_id,
        "instrument": a.instrument,
        "seller": a.seller,
        "volume": a.volume,
        "lot": a.lot,
        "floor_price": a.floor_price,
        "floor_factor": a.floor_factor,
        "floor_window_from": a.floor_window[0],
        "floor_window_to": a.floor_window[1],
        "announce_at": a.announce_at,
        "open_at": a.open_at,
        "close_at": a.close_at,
        "results_at": a.results_at,
        "compliance": not a.no_compliance,
        "shortfall_only": a.shortfall_only,
        "investors": not a.no_investors,
        "entity_cap_percent": a.entity_cap_percent,
        "investor_cap": a.investor_cap,
        "group_cap_percent": a.group_cap_percent,
        "tie_rule": a.tie_rule,
        "undersubscription": a.undersubscription,
        "surrender_only": a.surrender_only,
        "irrevocable": a.irrevocable,
        "entities": entities,
        "comment": a.comment,
    }


def _admin(args: argparse.Namespace) -> int:
    user = args.user or input("supervisor user: ")
    password = args.password or getpass.getpass(f"password for {user}: ")
    return _send(args, args.url, (user, password), "tcx admin auction")


def _member(args: argparse.Namespace) -> int:
    session = args.session or input("session: ")
    password = args.password or getpass.getpass(f"password for {session}: ")
    return _send(args, args.http_url, (session, password), "tcx member auction")


def _send(args: argparse.Namespace, base: str, auth: tuple[str, str], name: str) -> int:
    body = getattr(args, "body", None)
    query = getattr(args, "query", None)
    try:
        response = httpx.request(
            args.method,
            base.rstrip("/") + args.path(args),
            json=body(args) if body else None,
            params=query(args) if query else None,
            auth=auth,
            timeout=30,
        )
    except httpx.HTTPError as error:
        print(f"{name}: cannot reach {base}: {error}", file=sys.stderr)
        return 2
    shown = response.json() if response.content else None
    if response.is_success:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    detail = shown.get("detail", shown) if isinstance(shown, dict) else shown
    print(f"{name}: refused ({response.status_code}): {json.dumps(detail)}", file=sys.stderr)
    return 1
