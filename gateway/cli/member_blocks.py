"""`tcx member block ...`: block trades (协议大宗交易) from the command line, over FIX.

    tcx member block propose S1 TJEA25 200000 50.00 --sell --counterparty B1
    tcx member block list                       # open allegations, yours and to you
    tcx member block accept 7                   # (the counterparty) by the block id
    tcx member block decline 7 | withdraw 7
    tcx member block cross S1 TJEA25 200000 50.00 --sell --with S2

Exit status as for orders: 0 done, 1 refused by the exchange, 2 could not be done.
"""

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable

from engine.orders import Side
from gateway.client.block_trades import BlockReport, describe_block
from gateway.client.member_client import MemberClient

REFUSED = 1


def add_block_commands(
    commands: argparse._SubParsersAction,
    output: argparse.ArgumentParser,
    command: Callable,
) -> None:
    block = commands.add_parser(
        "block", help="block trades: propose, cross, accept, decline, withdraw, list"
    )
    actions = block.add_subparsers(dest="block_command", required=True, metavar="ACTION")
    for name, helptext, other in (
        ("propose", "report a block to another member's account (an allegation)", "--counterparty"),
        ("cross", "report both sides between two of your member's accounts", "--with"),
    ):
        report = actions.add_parser(name, parents=[output], help=helptext)
        report.add_argument("account", help="your account's side")
        report.add_argument("symbol")
        report.add_argument("quantity", type=int, help="tonnes (at least the block minimum)")
        report.add_argument("price", help="CNY, e.g. 50.00 (within the block band)")
        sides = report.add_mutually_exclusive_group(required=True)
        sides.add_argument("--buy", dest="side", action="store_const", const=Side.BUY)
        sides.add_argument("--sell", dest="side", action="store_const", const=Side.SELL)
        report.add_argument(other, dest="other", required=True, metavar="ACCOUNT")
        report.add_argument("--id", help="the TradeReportID (default: generated)")
        report.set_defaults(run=command(_report), cross=name == "cross")
    for name, helptext in (
        ("accept", "accept a block alleged to your member: it trades at once"),
        ("decline", "decline a block alleged to your member"),
        ("withdraw", "withdraw your own allegation before it is accepted"),
    ):
        answer = actions.add_parser(name, parents=[output], help=helptext)
        answer.add_argument("block_id", help="the block id (from the alleged report or list)")
        answer.set_defaults(run=command(_answer), action=name)
    listing = actions.add_parser("list", parents=[output], help="the open allegations")
    listing.set_defaults(run=command(_list))


async def _report(client: MemberClient, args: argparse.Namespace) -> int:
    send = client.blocks.cross if args.cross else client.blocks.propose
    report_id = await send(
        args.account, args.symbol, args.side, args.quantity, args.price, args.other, args.id
    )
    return _verdict(await client.answer(report_id))


async def _answer(client: MemberClient, args: argparse.Namespace) -> int:
    send = getattr(client.blocks, args.action)
    return _verdict(await client.answer(await send(args.block_id)))


async def _list(client: MemberClient, args: argparse.Namespace) -> int:
    reports = await client.answer(await client.blocks.open())
    for report in reports:
        if args.json:
            record = {"kind": "open_block", **dataclasses.asdict(report), "what": report.kind}
            print(json.dumps(record), flush=True)
        else:
            print(describe_block(report), flush=True)
    if not reports and not args.json:
        print("no open block allegations", flush=True)
    return 0


def _verdict(answer: BlockReport) -> int:
    """The report itself is printed as every report is; a refusal is said on stderr too."""
    if answer.refused:
        print(
            f"tcx member: block report {answer.report_id} refused: {answer.text} "
            f"(TradeReportRejectReason {answer.reject_reason})",
            file=sys.stderr,
        )
        return REFUSED
    return 0
