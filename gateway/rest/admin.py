"""The supervisors' REST API: accounts, cash, tonnes, halts, reference prices, the day's end.

Every change is a command through the sequencer, built and checked by settlement's
`Administration`; the answer is the event that recorded it, carrying who did it and when
(the audit record the registry keeps). A refused request gets 422 with the reason's code
and a text a person can act on, and changes nothing.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from engine.commands import Command, EndOfDay, Halt, Resume, SetReferencePrice
from engine.events import CommandRejected, Event
from engine.money import parse_cny
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reasons import TEXT, Reason
from engine.reference import ReferenceData
from engine.trading_dates import trading_day
from gateway.clock import Clock
from gateway.rest.supervisor_auth import SupervisorAuth, User
from gateway.trading.gateway_service import GatewayService, RequestTimeout
from settlement.administration import Administration, AdministrationError
from settlement.ledger import Ledger
from settlement.statements import StatementError, end_of_day, statements_csv, statements_json
from surveillance.http_responses import documented

RegistryRead = Callable[[Callable[[Ledger], Any]], Awaitable[Any]]

INT64_MAX = 2**63 - 1  # what the registry's integer columns hold
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class OpenAccountRequest(BaseModel):
    account: Name
    member: Name
    kind: Literal["compliance", "investor"]
    control_group: str = ""
    allocation: int = Field(0, ge=0, le=INT64_MAX, description="this year's allocation, tonnes")


class ControlGroupRequest(BaseModel):
    control_group: str = Field("", description="empty unlinks the account")


class CashRequest(BaseModel):
    account: Name
    kind: Literal["deposit", "withdraw"]
    amount: str = Field(description="CNY, at most two decimals, e.g. '250000.00'")
    reference: Name


HOLDING_KINDS = tuple(kind.name.lower() for kind in HoldingMovementKind)
HoldingKind = Literal[HOLDING_KINDS]  # allocate, transfer_in, ..., unfreeze


class HoldingRequest(BaseModel):
    account: Name
    instrument: Name
    kind: HoldingKind
    quantity: int = Field(gt=0, le=INT64_MAX, description="tonnes")
    reference: Name


class TradingStatusRequest(BaseModel):
    instrument: str = Field("", description="empty for the whole market")
    reason: str = Field(min_length=1, max_length=200)


class ReferencePriceRequest(BaseModel):
    instrument: Name
    price: str = Field(description="CNY per tonne, e.g. '50.00'")


class EndOfDayRequest(BaseModel):
    trading_date: str = Field(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="a trading day; refused if it, or a later one, is closed already",
    )


def event_json(event: Event) -> dict:
    return msgspec.structs.asdict(event) | {"type": event.__struct_config__.tag}


def refused(reason: Reason, text: str) -> HTTPException:
    return HTTPException(422, {"reason": reason.name.lower(), "text": text})


async def sequenced(gateway: GatewayService, command: Command) -> list[dict]:
    """One supervisor command through the engine: its events, or 422 with the refusal."""
    try:
        events = await gateway.request(command)
    except RequestTimeout as timeout:
        raise HTTPException(504, {"reason": "timeout", "text": str(timeout)}) from None
    for event in events:
        if isinstance(event, CommandRejected):
            raise refused(Reason(event.reason), event.text)
    return [event_json(event) for event in events]


def admin_router(
    gateway: GatewayService,
    reference: ReferenceData,
    auth: SupervisorAuth,
    clock: Clock,
    read_registry: RegistryRead,
) -> APIRouter:
    router = APIRouter(
        prefix="/api/admin",
        tags=["administration"],
        responses=documented(401, 404, 422, 429, 503, 504),
    )
    Supervisor = Annotated[User, Depends(auth)]
    loop_holder: dict[str, asyncio.AbstractEventLoop] = {}

    def submit_from_thread(command: Command) -> list[Event]:
        """Administration is synchronous; it runs on a worker thread and waits here."""
        future = asyncio.run_coroutine_threadsafe(gateway.request(command), loop_holder["loop"])
        return future.result()

    administration = Administration(submit_from_thread, reference, clock=clock.now)

    async def administer(call: Callable[[], Event]) -> dict:
        loop_holder["loop"] = asyncio.get_running_loop()
        try:
            return event_json(await asyncio.to_thread(call))
        except AdministrationError as error:
            raise refused(error.reason, error.text) from None
        except RequestTimeout as timeout:
            raise HTTPException(504, {"reason": "timeout", "text": str(timeout)}) from None

    async def sequence(command: Command) -> list[dict]:
        return await sequenced(gateway, command)

    @router.post("/accounts", status_code=201)
    async def open_account(request: OpenAccountRequest, user: Supervisor) -> dict:
        kind = AccountKind.COMPLIANCE if request.kind == "compliance" else AccountKind.INVESTOR
        return await administer(
            lambda: administration.open_account(
                request.account,
                request.member,
                kind,
                user.name,
                request.control_group,
                request.allocation,
            )
        )

    @router.put("/accounts/{account}/control-group")
    async def set_control_group(account: str, request: ControlGroupRequest, user: Supervisor):
        return await administer(
            lambda: administration.set_control_group(account, request.control_group, user.name)
        )

    @router.post("/cash", status_code=201)
    async def move_cash(request: CashRequest, user: Supervisor) -> dict:
        try:
            amount = parse_cny(request.amount)
        except ValueError as error:
            raise refused(Reason.BAD_AMOUNT, f"amount: {error}") from None
        kind = CashMovementKind[request.kind.upper()]
        return await administer(
            lambda: administration.move_cash(
                request.account, amount, kind, request.reference, user.name
            )
        )

    @router.post("/holdings", status_code=201)
    async def move_holding(request: HoldingRequest, user: Supervisor) -> dict:
        kind = HoldingMovementKind[request.kind.upper()]
        return await administer(
            lambda: administration.move_holding(
                request.account,
                request.instrument,
                request.quantity,
                kind,
                request.reference,
                user.name,
            )
        )

    def known_instrument(symbol: str) -> None:
        if symbol and symbol not in reference.instruments:
            raise refused(Reason.UNKNOWN_INSTRUMENT, f"unknown instrument {symbol!r}")

    @router.post("/halt")
    async def halt(request: TradingStatusRequest, user: Supervisor) -> list[dict]:
        known_instrument(request.instrument)
        return await sequence(Halt(clock.now(), request.instrument, user.name, request.reason))

    @router.post("/resume")
    async def resume(request: TradingStatusRequest, user: Supervisor) -> list[dict]:
        known_instrument(request.instrument)
        return await sequence(Resume(clock.now(), request.instrument, user.name, request.reason))

    @router.post("/reference-price")
    async def set_reference_price(request: ReferencePriceRequest, user: Supervisor):
        known_instrument(request.instrument)
        try:
            price = parse_cny(request.price)
        except ValueError as error:
            raise refused(Reason.BAD_PRICE, f"price: {error}") from None
        return await sequence(SetReferencePrice(clock.now(), request.instrument, price, user.name))

    @router.post("/end-of-day")
    async def close_day(request: EndOfDayRequest, user: Supervisor) -> list[dict]:
        if trading_day(request.trading_date, reference.calendar) is None:
            raise refused(Reason.NOT_A_TRADING_DAY, TEXT[Reason.NOT_A_TRADING_DAY])
        return await sequence(EndOfDay(clock.now(), request.trading_date))

    @router.get("/accounts/{account}")
    async def account(account: str, user: Supervisor) -> dict:
        def read(ledger: Ledger) -> dict | None:
            record = ledger.account(account)
            if record is None:
                return None
            balances = [
                {"asset": asset, "state": state, "amount": amount}
                for (asset, state), amount in sorted(ledger.balances(account).items())
            ]
            return msgspec.structs.asdict(record) | {"balances": balances}

        found = await read_registry(read)
        if found is None:
            raise HTTPException(
                404, {"reason": "unknown_account", "text": TEXT[Reason.UNKNOWN_ACCOUNT]}
            )
        return found

    @router.get("/audit")
    async def audit(user: Supervisor, account: str | None = None) -> list[dict]:
        entries = await read_registry(lambda ledger: ledger.audit(account))
        return [msgspec.structs.asdict(entry) for entry in entries]

    @router.get("/settlement-failures")
    async def settlement_failures(user: Supervisor) -> list[dict]:
        failures = await read_registry(lambda ledger: ledger.failures())
        return [msgspec.structs.asdict(failure) for failure in failures]

    @router.get("/statements/{trading_date}")
    async def statements(
        trading_date: str,
        user: Supervisor,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
    ) -> Response:
        try:
            report = await read_registry(lambda ledger: end_of_day(ledger, trading_date))
        except StatementError as error:
            raise HTTPException(404, {"reason": "no_statement", "text": str(error)}) from None
        if format == "csv":
            return Response(statements_csv(report), media_type="text/csv")
        return Response(statements_json(report), media_type="application/json")

    return router
