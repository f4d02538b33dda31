"""`tcx member ...`: trade as a member from the command line, over FIX.

Each command logs on, does one thing, and logs out; `watch` stays logged on until Ctrl-C.
While logged on, every execution report that arrives is printed, including the ones the
exchange sent while no client was connected (recovered by ResendRequest), so a fill that
happened meanwhile is never lost between two commands. Sequence numbers and the orders
seen are kept in a small state file (--state), which is what lets `cancel CLORDID` work
from another command than the one that placed the order.

Exit status: 0 done, 1 the exchange refused (order rejected, cancel rejected), 2 the
client could not do it (cannot connect, logon refused, session lost, bad arguments).
"""

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from engine.orders import OrderType, Side, TimeInForce
from gateway.cli.auction import add_member_auction_commands
from gateway.cli.compliance import add_member_compliance_commands
from gateway.client.member_client import (
    EXCHANGE_COMP_ID,
    MemberClient,
    MemberClientError,
)
from gateway.client.messages import (
    CancelReject,
    ExecutionReport,
    MarketDataEntry,
    MarketDataUpdate,
    MassCancelReport,
)
from gateway.client.store import ClientStore

DEFAULT_URL = "ws://127.0.0.1:8001/fix"
DEFAULT_HTTP_URL = "http://127.0.0.1:8000"  # FIX has a port of its own (fix_port)
REFUSED, FAILED = 1, 2


def add_member_client_commands(subparsers: argparse._SubParsersAction) -> None:
    member = subparsers.add_parser(
        "member", help="trade as a member over FIX: place, amend, cancel, watch"
    )
    environ = os.environ
    member.add_argument("--url", default=environ.get("TCX_MEMBER_URL", DEFAULT_URL))
    member.add_argument(
        "--http-url",
        default=environ.get("TCX_MEMBER_HTTP_URL", DEFAULT_HTTP_URL),
        help="the REST API, for the compliance requests (or TCX_MEMBER_HTTP_URL)",
    )
    member.add_argument(
        "--session", default=environ.get("TCX_MEMBER_SESSION", ""), help="or TCX_MEMBER_SESSION"
    )
    member.add_argument(
        "--password", default=environ.get("TCX_MEMBER_PASSWORD", ""), help="or TCX_MEMBER_PASSWORD"
    )
    member.add_argument("--comp-id", default=EXCHANGE_COMP_ID, help="the exchange's CompID")
    member.add_argument(
        "--state",
        type=Path,
        default=Path(environ.get("TCX_MEMBER_STATE", _default_state())),
        help="sequence numbers and known orders (or TCX_MEMBER_STATE)",
    )
    member.add_argument(
        "--reset-sequence",
        action="store_true",
        help="start the session's day over at MsgSeqNum 1 (after the exchange started over)",
    )
    commands = member.add_subparsers(dest="member_command", required=True, metavar="COMMAND")
    add_member_auction_commands(commands)
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="JSON lines instead of text")

    for side in Side:
        name = side.name.lower()
        order = commands.add_parser(name, parents=[output], help=f"place a {name} order")
        order.add_argument("account")
        order.add_argument("symbol")
        order.add_argument("quantity", type=int, help="tonnes")
        order.add_argument("price", nargs="?", help="CNY, e.g. 50.50 (none with --market)")
        timing = order.add_mutually_exclusive_group()
        timing.add_argument("--ioc", action="store_true", help="immediate or cancel")
        timing.add_argument("--fok", action="store_true", help="fill or kill")
        order.add_argument("--market", action="store_true", help="no price: up to the band")
        order.add_argument("--id", help="the ClOrdID (default: generated)")
        order.set_defaults(run=_command(_place), side=side)

    amend = commands.add_parser("amend", parents=[output], help="change a resting order")
    amend.add_argument("client_order_id")
    amend.add_argument("--quantity", type=int, required=True, help="new total tonnes")
    amend.add_argument("--price", required=True)
    amend.set_defaults(run=_command(_amend))

    cancel = commands.add_parser("cancel", parents=[output], help="cancel an order")
    cancel.add_argument("client_order_id")
    cancel.set_defaults(run=_command(_cancel))

    cancel_all = commands.add_parser(
        "cancel-all", parents=[output], help="cancel the member's orders (mass cancel)"
    )
    cancel_all.add_argument("--symbol", help="only in this instrument")
    cancel_all.add_argument("--account", help="only this account's")
    cancel_all.set_defaults(run=_command(_cancel_all))

    status = commands.add_parser("status", parents=[output], help="an order as it stands")
    status.add_argument("client_order_id")
    status.set_defaults(run=_command(_status))

    instruments = commands.add_parser(
        "instruments", parents=[output], help="the listed instruments and their rules"
    )
    instruments.set_defaults(run=_command(_instruments))

    watch = commands.add_parser(
        "watch", parents=[output], help="stream execution reports (and market data) until Ctrl-C"
    )
    watch.add_argument("--market", nargs="+", default=[], metavar="SYMBOL", help="market data")
    watch.add_argument("--limit", type=int, help="stop after this many lines")
    watch.set_defaults(run=_command(_watch))
    add_member_compliance_commands(commands)


Action = Callable[[MemberClient, argparse.Namespace], Awaitable[int]]


def _command(action: Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        if not args.session or not args.password:
            print(
                "tcx member: --session and --password (or TCX_MEMBER_SESSION and "
                "TCX_MEMBER_PASSWORD) are required",
                file=sys.stderr,
            )
            return FAILED
        try:
            return asyncio.run(_logged_on(action, args))
        except (MemberClientError, ValueError) as error:
            print(f"tcx member: {error}", file=sys.stderr)
            return FAILED
        except KeyboardInterrupt:
            return 0

    return run


async def _logged_on(action: Action, args: argparse.Namespace) -> int:
    """Log on, print every execution report while `action` runs, log out."""
    store = ClientStore(args.state)
    try:
        client = MemberClient(
            args.url,
            args.session,
            args.password,
            store=store,
            comp_id=args.comp_id,
            reset_sequence=args.reset_sequence,
        )
        async with client:
            printer = None
            if args.member_command != "watch":
                printer = asyncio.create_task(_print_all(client.execution_reports(), args.json))
            status = await action(client, args)
        if printer is not None:
            await printer
        return status
    finally:
        store.close()


async def _print_all(feed: AsyncIterator, as_json: bool) -> None:
    async for item in feed:
        _print(item, as_json)


# ---- the commands -------------------------------------------------------------------------


async def _place(client: MemberClient, args: argparse.Namespace) -> int:
    if args.market and args.price is not None:
        raise ValueError("a --market order takes no PRICE")
    if not args.market and args.price is None:
        raise ValueError("a limit order needs a PRICE (or --market)")
    time_in_force = TimeInForce.IOC if args.ioc else TimeInForce.FOK if args.fok else None
    client_order_id = await client.place(
        args.account,
        args.symbol,
        args.side,
        args.quantity,
        args.price,
        OrderType.MARKET if args.market else OrderType.LIMIT,
        time_in_force,
        args.id,
    )
    return _verdict(await client.answer(client_order_id))


async def _amend(client: MemberClient, args: argparse.Namespace) -> int:
    request = await client.amend(args.client_order_id, args.quantity, args.price)
    return _verdict(await client.answer(request))


async def _cancel(client: MemberClient, args: argparse.Namespace) -> int:
    return _verdict(await client.answer(await client.cancel(args.client_order_id)))


async def _cancel_all(client: MemberClient, args: argparse.Namespace) -> int:
    report = await client.answer(await client.mass_cancel(args.symbol, args.account))
    _print(report, args.json)
    return 0 if report.accepted else REFUSED


async def _status(client: MemberClient, args: argparse.Namespace) -> int:
    await client.status(args.client_order_id)  # printed as every report is
    return 0


async def _instruments(client: MemberClient, args: argparse.Namespace) -> int:
    for security in await client.security_list():
        if args.json:
            print(json.dumps(dataclasses.asdict(security)), flush=True)
        else:
            print(f"{security.symbol:<8} {security.description:<40} {security.rules}", flush=True)
    return 0


async def _watch(client: MemberClient, args: argparse.Namespace) -> int:
    feeds = [client.execution_reports()]
    if args.market:
        feeds.append(await client.market_data(args.market))
    lines = asyncio.Queue()

    async def pump(feed: AsyncIterator) -> None:
        async for item in feed:
            lines.put_nowait(item)

    pumps = [asyncio.create_task(pump(feed)) for feed in feeds]
    printed = 0
    try:
        while args.limit is None or printed < args.limit:
            next_line = asyncio.create_task(lines.get())
            done, _ = await asyncio.wait([next_line, *pumps], return_when=asyncio.FIRST_COMPLETED)
            if next_line not in done:
                next_line.cancel()
                for pump_task in done:
                    pump_task.result()  # a lost session or refused market data ends the watch
                pumps = [task for task in pumps if task not in done]
                if not pumps:
                    return 0
                continue
            _print(next_line.result(), args.json)
            printed += 1
    finally:
        for pump_task in pumps:
            pump_task.cancel()
    return 0


def _verdict(answer: ExecutionReport | CancelReject) -> int:
    """The exit status for the answer to an order, amend or cancel (the report itself is
    printed as every report is); a refusal is also said on stderr."""
    if isinstance(answer, CancelReject):
        print(
            f"tcx member: {answer.client_order_id} refused: {answer.text} "
            f"(CxlRejReason {answer.cxl_rej_reason})",
            file=sys.stderr,
        )
        return REFUSED
    if answer.rejected:
        print(
            f"tcx member: order {answer.client_order_id} rejected: {answer.text} "
            f"(OrdRejReason {answer.ord_rej_reason})",
            file=sys.stderr,
        )
        return REFUSED
    return 0


# ---- output ---------------------------------------------------------------------------


def _print(item: ExecutionReport | MarketDataUpdate | MassCancelReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_as_json(item)), flush=True)
    elif isinstance(item, ExecutionReport):
        print(describe_report(item), flush=True)
    elif isinstance(item, MarketDataUpdate):
        print(describe_market_data(item), flush=True)
    else:
        verdict = "done" if item.accepted else f"refused: {item.text}"
        count = item.total_affected_orders
        print(f"MassCancel {item.client_order_id}  {count} cancelled, {verdict}", flush=True)


def _as_json(item: ExecutionReport | MarketDataUpdate | MassCancelReport) -> dict:
    kinds = {
        ExecutionReport: "execution_report",
        MarketDataUpdate: "market_data",
        MassCancelReport: "mass_cancel",
    }
    record = {"kind": kinds[type(item)], **dataclasses.asdict(item)}
    if isinstance(item, ExecutionReport):
        record["side"] = item.side.name if item.side is not None else None
        record["exec_type"] = item.exec_type_name
        record["ord_status"] = item.ord_status_name
    return record


def describe_report(report: ExecutionReport) -> str:
    """One line a person reads: what happened, the order, and where it stands."""
    side = report.side.name if report.side is not None else "?"
    price = f"@ {report.price}" if report.price else "at market"
    line = (
        f"{report.exec_type_name:<9} {report.client_order_id}  "
        f"{side} {report.order_qty} {report.symbol} {price}  {report.account}"
    )
    if report.exec_type == "F":
        line += f"  traded {report.last_qty} @ {report.last_px}"
    if not report.rejected:
        line += (
            f"  [{report.ord_status_name}: {report.cum_qty} done, {report.leaves_qty} open"
            f"{f', avg {report.avg_px}' if report.cum_qty else ''}]"
        )
    if report.text:
        reason = f" (OrdRejReason {report.ord_rej_reason})" if report.rejected else ""
        line += f"  {report.text}{reason}"
    if report.possible_duplicate:
        line += "  (recovered)"
    return line


def describe_market_data(update: MarketDataUpdate) -> str:
    """A book: each entry as "bid 500 @ 49.97"; an update: each change ("new", "change",
    "delete") to a price level or a trade."""
    kind = "book" if update.snapshot else "update"
    entries = ", ".join(_describe_entry(entry, update.snapshot) for entry in update.entries)
    return f"{update.symbol:<8} {kind}: {entries or 'empty'}"


def _describe_entry(entry: MarketDataEntry, snapshot: bool) -> str:
    if entry.action == "delete":
        return f"delete {entry.type} @ {entry.price}"
    action = "" if snapshot else f"{entry.action} "
    return f"{action}{entry.type} {entry.size} @ {entry.price}"


def _default_state() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return os.path.join(base, "tcx", "member-sessions.sqlite3")
