"""Auctions on REST: the authority's supervisors create, clear and cancel them; members bid
for their own accounts; the public reads the schedule and the results (JSON, CSV and a
page). Every change is a command through the sequencer, answered by the event that
recorded it; a refused one is 422 with the reason and changes nothing.
"""

import datetime as dt
import html
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from engine.auction_clearing import TieRule, Undersubscription
from engine.auctions import Eligibility
from engine.commands import (
    AmendBid,
    CancelAuction,
    ClearAuction,
    Command,
    CreateAuction,
    PlaceBid,
    WithdrawBid,
)
from engine.events import BidChangeRejected, BidRejected, CommandRejected
from engine.money import format_cny, parse_cny
from engine.reasons import Reason
from gateway.clock import Clock
from gateway.rest.admin import event_json, refused
from gateway.rest.member_auth import MemberAuth
from gateway.rest.supervisor_auth import SupervisorAuth, User
from gateway.trading.auction_board import AuctionBoard, AuctionView, results_csv
from gateway.trading.gateway_service import GatewayService, RequestTimeout
from surveillance.http_responses import documented

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Comment = Annotated[str, Field(min_length=1, max_length=500, description="why: it is audited")]
# What the journal's integers hold (an unbounded int once stopped the engine: it could not
# journal the command); past it a request is refused, 422.
Tonnes = Annotated[int, Field(ge=0, le=2**63 - 1, description="tonnes")]
LATEST_NS = 2**63 - 1  # 2262-04-11: a later time cannot be journaled


class Entity(BaseModel):
    account: Name
    verified_emissions: Tonnes = Field(description="previous year's, tonnes")
    shortfall: Tonnes = Field(0, description="tonnes short of its obligation")


class CreateAuctionRequest(BaseModel):
    auction_id: Name
    instrument: Name
    seller: Name = Field(description="the government auction account")
    volume: Tonnes = Field(gt=0)
    lot: Tonnes = Field(1_000, gt=0)
    floor_price: str = Field("0", description="CNY; the fixed floor, '0' for the VWAP rule")
    floor_factor: float = Field(0, ge=0, le=100, description="VWAP rule: floor = factor x VWAP")
    floor_window_from: str = Field("", description="YYYY-MM-DD, first day of the window")
    floor_window_to: str = Field("", description="YYYY-MM-DD, last day of the window")
    announce_at: dt.datetime
    open_at: dt.datetime
    close_at: dt.datetime
    results_at: dt.datetime = Field(description="the second step of the results")
    compliance: bool = True
    shortfall_only: bool = False
    investors: bool = True
    entity_cap_percent: float = Field(2, ge=0, le=100, description="of verified emissions")
    investor_cap: Tonnes = Field(100_000, description="tonnes, 0 for none")
    group_cap_percent: float = Field(50, ge=0, le=100, description="of the volume")
    tie_rule: Literal["time", "pro_rata"] = "time"
    undersubscription: Literal["sell_bid", "cancel"] = "sell_bid"
    surrender_only: bool = False
    irrevocable: bool = False
    entities: list[Entity] = []
    comment: Comment


class CancelRequest(BaseModel):
    comment: Comment


class BidRequest(BaseModel):
    account: Name
    client_bid_id: Name
    price: str = Field(description="CNY per tonne, e.g. '50.00'")
    quantity: Tonnes = Field(description="tonnes, whole lots")


class AmendRequest(BaseModel):
    account: Name
    client_bid_id: Name = Field(description="the bid's new client id")
    price: str
    quantity: Tonnes


def _ns(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise refused(Reason.BAD_SCHEDULE, "times need a UTC offset, e.g. 2026-11-24T10:00+08:00")
    ns = int(moment.timestamp() * 1_000_000_000)
    if not 0 <= ns <= LATEST_NS:
        raise refused(Reason.BAD_SCHEDULE, "times must fall between 1970 and 2262")
    return ns


def _price(text: str) -> int:
    try:
        return parse_cny(text)
    except ValueError as error:
        raise refused(Reason.BAD_PRICE, f"price: {error}") from None


def _basis_points(value: float) -> int:
    return round(value * 100)


def create_command(request: CreateAuctionRequest, ts: int, actor: str) -> CreateAuction:
    eligibility = (
        (Eligibility.COMPLIANCE if request.compliance else 0)
        | (Eligibility.SHORTFALL_ONLY if request.shortfall_only else 0)
        | (Eligibility.INVESTORS if request.investors else 0)
    )
    return CreateAuction(
        ts,
        request.auction_id,
        request.instrument,
        request.seller,
        request.volume,
        request.lot,
        _price(request.floor_price) if request.floor_price not in ("", "0") else 0,
        round(request.floor_factor * 10_000),
        request.floor_window_from,
        request.floor_window_to,
        _ns(request.announce_at),
        _ns(request.open_at),
        _ns(request.close_at),
        _ns(request.results_at),
        int(eligibility),
        _basis_points(request.entity_cap_percent),
        request.investor_cap,
        _basis_points(request.group_cap_percent),
        TieRule.TIME if request.tie_rule == "time" else TieRule.PRO_RATA,
        Undersubscription.SELL_BID
        if request.undersubscription == "sell_bid"
        else Undersubscription.CANCEL,
        request.surrender_only,
        request.irrevocable,
        [(e.account, e.verified_emissions, e.shortfall) for e in request.entities],
        actor,
        request.comment,
    )


def auctions_routers(
    gateway: GatewayService,
    board: AuctionBoard,
    supervisors: SupervisorAuth,
    members: MemberAuth,
    clock: Clock,
) -> list[APIRouter]:
    admin = APIRouter(
        prefix="/api/admin/auctions",
        tags=["auctions"],
        responses=documented(401, 404, 409, 422, 429, 503, 504),
    )
    member = APIRouter(
        prefix="/api/member/auctions",
        tags=["auctions"],
        responses=documented(401, 403, 404, 409, 422, 429, 503, 504),
    )
    public = APIRouter(tags=["auctions"], responses=documented(404, 422, 503))
    Supervisor = Annotated[User, Depends(supervisors)]
    Member = Annotated[User, Depends(members)]

    async def sequence(command: Command) -> list[dict]:
        try:
            events = await gateway.request(command)
        except RequestTimeout as timeout:
            raise HTTPException(504, {"reason": "timeout", "text": str(timeout)}) from None
        for event in events:
            if isinstance(event, CommandRejected | BidRejected | BidChangeRejected):
                raise refused(Reason(event.reason), event.text)
        return [event_json(event) for event in events]

    def find(auction_id: str, public_only: bool = True) -> AuctionView:
        auction = board.auctions.get(auction_id)
        if auction is None or (public_only and auction not in board.public()):
            raise HTTPException(404, {"reason": "unknown_auction", "text": "no such auction"})
        return auction

    def accounts_of(user: User) -> set[str]:
        member = members.directory.members.get(user.member)
        return set(member.accounts) if member is not None else set()

    def supervised(auction: AuctionView) -> dict:
        return {
            **auction.schedule(),
            "entities": auction.created.entities,
            "created_by": auction.created.actor,
            "demand_curve": board.demand_curve(auction),
            "bidders": board.bidders(auction),
            "allotments": board.allotments(auction),
            "results": auction.first_results(),
            "full_results": auction.full_results(),
        }

    # --- the authority's supervisors --------------------------------------------------

    @admin.post("", status_code=201)
    async def create(request: CreateAuctionRequest, user: Supervisor) -> list[dict]:
        return await sequence(create_command(request, clock.now(), user.name))

    @admin.post("/{auction_id}/cancel")
    async def cancel(auction_id: str, request: CancelRequest, user: Supervisor) -> list[dict]:
        return await sequence(CancelAuction(clock.now(), auction_id, user.name, request.comment))

    @admin.post("/{auction_id}/clear")
    async def clear(auction_id: str, user: Supervisor) -> list[dict]:
        return await sequence(ClearAuction(clock.now(), auction_id, user.name))

    @admin.get("")
    async def calendar(user: Supervisor) -> list[dict]:
        return [auction.schedule() for auction in list(board.auctions.values())[::-1]]

    @admin.get("/{auction_id}")
    async def detail(auction_id: str, user: Supervisor) -> dict:
        return supervised(find(auction_id, public_only=False))

    # --- bidders ----------------------------------------------------------------------

    @member.get("")
    async def listing(user: Member) -> list[dict]:
        accounts = accounts_of(user)
        return [
            auction.schedule() | {"bids": board.bids_of(auction, accounts)}
            for auction in board.public()
        ]

    @member.post("/{auction_id}/bids", status_code=201)
    async def place(auction_id: str, request: BidRequest, user: Member) -> list[dict]:
        members.check_account(user, request.account)
        return await sequence(
            PlaceBid(
                clock.now(),
                auction_id,
                request.account,
                request.client_bid_id,
                _price(request.price),
                request.quantity,
            )
        )

    @member.put("/{auction_id}/bids/{client_bid_id}")
    async def amend(
        auction_id: str, client_bid_id: str, request: AmendRequest, user: Member
    ) -> list[dict]:
        members.check_account(user, request.account)
        return await sequence(
            AmendBid(
                clock.now(),
                auction_id,
                request.account,
                request.client_bid_id,
                client_bid_id,
                _price(request.price),
                request.quantity,
            )
        )

    @member.delete("/{auction_id}/bids/{client_bid_id}")
    async def withdraw(
        auction_id: str, client_bid_id: str, account: str, request_id: str, user: Member
    ) -> list[dict]:
        members.check_account(user, account)
        return await sequence(
            WithdrawBid(clock.now(), auction_id, account, request_id, client_bid_id)
        )

    @member.get("/{auction_id}/result")
    async def own_result(auction_id: str, user: Member) -> dict:
        auction = find(auction_id)
        return {
            "results": auction.first_results(),
            "bids": board.bids_of(auction, accounts_of(user)),
        }

    # --- everyone -----------------------------------------------------------------------

    @public.get("/api/auctions")
    async def schedule() -> list[dict]:
        return [
            auction.schedule()
            | {"results": auction.first_results(), "full_results": auction.full_results()}
            for auction in board.public()
        ]

    @public.get("/api/auctions/results.csv")
    async def results_download() -> Response:
        return Response(
            results_csv(board.public()),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="auction-results.csv"'},
        )

    @public.get("/api/auctions/{auction_id}")
    async def one(auction_id: str) -> dict:
        auction = find(auction_id)
        return auction.schedule() | {
            "results": auction.first_results(),
            "full_results": auction.full_results(),
        }

    @public.get("/auctions", response_class=HTMLResponse)
    async def page() -> str:
        return results_page(board.public())

    return [admin, member, public]


def results_page(auctions: list[AuctionView]) -> str:
    """The public page: each announced auction, its schedule and its published results."""
    rows = []
    for auction in auctions:
        created = auction.created
        first = auction.first_results() or {}
        full = auction.full_results() or {}
        cells = [
            created.auction_id,
            created.instrument,
            _when(created.open_at) + " – " + _when(created.close_at),
            f"{created.volume:,} t",
            format_cny(created.floor_price),
            auction.schedule()["state"],
            format_cny(first["price"]) if first.get("price") else "",
            f"{first['volume_sold']:,} t" if first else "",
            f"{full['cover_ratio_bp'] / 10_000:.2f}" if full else "",
            str(full.get("bidders", "")),
            str(full.get("winners", "")),
            str(full.get("hhi", "")),
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head = (
        "auction", "instrument", "bidding window", "volume", "floor (CNY)", "state",
        "clearing price (CNY)", "sold", "cover ratio", "bidders", "winners", "HHI",
    )  # fmt: skip
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>tcx auctions</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
        "<h1>Government allowance auctions</h1>"
        "<p>Results in two steps: the clearing price and volume sold at the close, the "
        "rest when published. <a href='/api/auctions/results.csv'>CSV</a></p>"
        "<table id='auctions'><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def _when(ns: int) -> str:
    beijing = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.fromtimestamp(ns / 1e9, beijing).strftime("%Y-%m-%d %H:%M")
