"""The supervisors' REST API of the compliance year and pledge financing.

Each request runs one operation of settlement's `Compliance` on a thread of its own, where
the registry database is open; its tonnes go through the sequencer as commands, like every
administrative movement. A refusal is 422 with the reason's code and a text.
"""

import asyncio
import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from engine.commands import Command
from engine.events import Event
from engine.reference import ReferenceData
from gateway.clock import Clock
from gateway.rest.member_auth import MemberAuth
from gateway.rest.supervisor_auth import SupervisorAuth, User
from gateway.trading.gateway_service import GatewayService, RequestTimeout
from settlement.compliance import Compliance
from settlement.compliance_operations import ComplianceError, Exposure
from settlement.compliance_year import Verification, days_left
from settlement.ledger import Ledger
from surveillance.http_responses import documented

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")]
# What the registry's columns and Python's dates hold: past them a request is refused, 422.
Year = Annotated[int, Field(ge=1, le=9998)]
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]


class Enrolment(BaseModel):
    account: Name
    year: Year
    previous_emissions: Count
    method: str = "historical_emissions"
    baseline: Count
    control_factor_bps: Count = 10_000
    reference: Name


class Run(BaseModel):
    year: Year
    reference: Name


class VerificationRequest(BaseModel):
    account: Name
    year: Year
    verified_emissions: Count
    new_facility_emissions: Count = 0
    output: Count = 0
    non_fossil_mwh: Count = 0
    non_fossil_channel: str = ""
    reference: Name


class IncentiveRequest(BaseModel):
    account: Name
    year: Year
    criterion: str
    evidence: str
    reference: Name


class SurrenderRequest(BaseModel):
    account: Name
    year: Year
    instrument: Name
    quantity: Count
    reference: Name


class Reversal(BaseModel):
    reason: str


class ExitRequest(BaseModel):
    account: Name
    year: Year
    emissions: Count | None = None
    reference: Name


class NationalMoveRequest(BaseModel):
    account: Name
    sector: str
    moved_on: str
    reference: Name


class NationalCancelRequest(BaseModel):
    account: Name
    reference: Name


class PledgeeRequest(BaseModel):
    pledgee: Name
    name: str
    account: Name
    reference: Name


class PledgeRequest(BaseModel):
    account: Name
    pledgee: Name
    instrument: Name
    quantity: Count
    contract: str
    amount: Count = Field(description="fen lent against the pledge")
    maturity: str
    reference: Name


class PledgeeAct(BaseModel):
    pledgee: Name = Field(description="the pledgee whose confirmation this records")


def compliance_router(
    gateway: GatewayService,
    reference: ReferenceData,
    auth: SupervisorAuth,
    clock: Clock,
    registry_url: str,
    exposure: Callable[[Ledger], Exposure],
) -> APIRouter:
    router = APIRouter(
        tags=["compliance"], responses=documented(401, 403, 404, 409, 422, 429, 503, 504)
    )
    Supervisor = Annotated[User, Depends(auth)]
    member_auth = MemberAuth(auth.directory, auth.password_checks)
    Member = Annotated[User, Depends(member_auth)]
    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compliance")
    held: dict[str, Any] = {}

    def submit(command: Command) -> list[Event]:
        future = asyncio.run_coroutine_threadsafe(gateway.request(command), held["loop"])
        return future.result()

    def compliance() -> Compliance:
        if "compliance" not in held:  # opened on the compliance thread, as SQLite wants
            ledger = Ledger.open(registry_url, reference)
            held["compliance"] = Compliance(ledger, reference, submit, exposure(ledger), clock.now)
            held["compliance"].resume()
        return held["compliance"]

    async def run(call: Callable[[Compliance], Any]) -> Any:
        held["loop"] = asyncio.get_running_loop()
        try:
            return await held["loop"].run_in_executor(thread, lambda: call(compliance()))
        except ComplianceError as error:
            raise HTTPException(422, {"reason": error.reason, "text": error.text}) from None
        except RequestTimeout as timeout:
            raise HTTPException(504, {"reason": "timeout", "text": str(timeout)}) from None

    @router.post("/api/admin/compliance/enrolments", status_code=201)
    async def enrol(request: Enrolment, user: Supervisor):
        r = request
        return await run(
            lambda c: c.year.enrol(
                r.account,
                r.year,
                r.previous_emissions,
                r.method,
                r.baseline,
                r.control_factor_bps,
                r.reference,
                user.name,
            )
        )

    @router.post("/api/admin/compliance/batch1", status_code=201)
    async def batch1(request: Run, user: Supervisor):
        return await run(lambda c: c.year.run_batch1(request.year, request.reference, user.name))

    @router.post("/api/admin/compliance/verifications", status_code=201)
    async def verify(request: VerificationRequest, user: Supervisor):
        fields = request.model_dump(exclude={"reference"})
        return await run(
            lambda c: c.year.verify(Verification(**fields), request.reference, user.name)
        )

    @router.post("/api/admin/compliance/verifications/import", status_code=201)
    async def import_verifications(
        user: Supervisor,
        reference: Annotated[str, Query()],
        text: Annotated[str, Body(media_type="text/csv")],
    ):
        return await run(lambda c: c.year.import_verifications(text, reference, user.name))

    @router.post("/api/admin/compliance/incentives", status_code=201)
    async def incentive(request: IncentiveRequest, user: Supervisor):
        r = request
        return await run(
            lambda c: c.year.add_incentive(
                r.account, r.year, r.criterion, r.evidence, r.reference, user.name
            )
        )

    @router.post("/api/admin/compliance/batch2", status_code=201)
    async def batch2(request: Run, user: Supervisor):
        return await run(lambda c: c.year.run_batch2(request.year, request.reference, user.name))

    @router.post("/api/admin/compliance/surrenders", status_code=201)
    async def surrender(request: SurrenderRequest, user: Supervisor):
        r = request
        return await run(
            lambda c: c.year.surrender(
                r.account, r.year, r.instrument, r.quantity, r.reference, user.name
            )
        )

    @router.post("/api/admin/compliance/surrenders/{reference}/reversal", status_code=201)
    async def reverse(reference: str, request: Reversal, user: Supervisor):
        return await run(lambda c: c.year.reverse(reference, request.reason, user.name))

    @router.post("/api/admin/compliance/snapshots", status_code=201)
    async def snapshot(request: Run, user: Supervisor):
        return await run(
            lambda c: c.year.deadline_snapshot(request.year, request.reference, user.name)
        )

    @router.post("/api/admin/compliance/exits", status_code=201)
    async def exit_(request: ExitRequest, user: Supervisor):
        r = request
        return await run(
            lambda c: c.exits.exit(r.account, r.year, r.emissions, r.reference, user.name)
        )

    @router.post("/api/admin/compliance/national-moves", status_code=201)
    async def national_move(request: NationalMoveRequest, user: Supervisor):
        r = request
        return await run(
            lambda c: c.exits.move_to_national(
                r.account, r.sector, r.moved_on, r.reference, user.name
            )
        )

    @router.post("/api/admin/compliance/national-cancellations", status_code=201)
    async def national_cancel(request: NationalCancelRequest, user: Supervisor):
        r = request
        return await run(lambda c: c.exits.cancel_national(r.account, True, r.reference, user.name))

    @router.get("/api/admin/compliance/years/{year}")
    async def year_table(
        year: Annotated[int, Path(ge=1, le=9998)], user: Supervisor, status: str | None = None
    ):
        def table(c: Compliance) -> dict:
            deadline = c.year.parameters.deadline(year)
            today = reference.calendar.trading_date(clock.now())
            rows = [
                s._asdict() | {"coverage": c.year.coverage(s.account)}
                for s in c.year.statuses(year)
                if status is None or s.status == status
            ]
            return {
                "year": year,
                "deadline": deadline.isoformat(),
                "days_left": days_left(deadline, today),
                "entities": rows,
                "non_compliant": c.year.non_compliant(year),
            }

        return await run(table)

    @router.get("/api/admin/compliance/entities/{account}")
    async def entity(account: str, user: Supervisor):
        def page(c: Compliance) -> dict:
            return {
                "account": account,
                "coverage": c.year.coverage(account),
                "years": [
                    e._asdict() | {"status": c.year.status(account, e.year).status}
                    for e in c.year.entity_years()
                    if e.account == account
                ],
                "lots": [
                    dict(
                        zip(
                            ("instrument", "state", "acquired_seq", "source", "quantity"),
                            (row[1], row[2], row[4], row[5], row[6]),
                            strict=True,
                        )
                    )
                    for row in c.year.ledger.lots(account)
                ],
                "surrenders": [s._asdict() for s in c.year.surrenders(account)],
                "pledges": [p._asdict() for p in c.pledges.register(account=account)],
                "national_move": (m := c.exits.national_move(account)) and m._asdict(),
                "operations": [
                    {
                        "reference": o.reference,
                        "kind": o.kind,
                        "year": o.year,
                        "ts": o.ts,
                        "actor": o.actor,
                        "state": o.state,
                        "outcome": o.outcome,
                    }
                    for o in c.log.history(account)
                ],
            }

        return await run(page)

    @router.get("/api/admin/compliance/national-moves")
    async def national_moves(user: Supervisor):
        def rows(c: Compliance) -> list[dict]:
            today = reference.calendar.trading_date(clock.now())
            return [
                m._asdict() | {"days_left": days_left(dt.date.fromisoformat(m.deadline), today)}
                for m in c.exits.national_moves()
            ]

        return await run(rows)

    @router.post("/api/admin/pledges/pledgees", status_code=201)
    async def register_pledgee(request: PledgeeRequest, user: Supervisor):
        r = request
        return await run(
            lambda c: c.pledges.register_pledgee(
                r.pledgee, r.name, r.account, r.reference, user.name
            )
        )

    @router.post("/api/admin/pledges", status_code=201)
    async def propose(request: PledgeRequest, user: Supervisor):
        r = request
        return await run(
            lambda c: c.pledges.propose(
                r.account,
                r.pledgee,
                r.instrument,
                r.quantity,
                r.contract,
                r.amount,
                r.maturity,
                r.reference,
                user.name,
            )
        )

    def supervisor_act(action: str):
        """The route for one pledge action. The action is bound here, not as a default
        argument, which FastAPI would expose as a query parameter naming any method."""

        async def act(reference: str, request: PledgeeAct, user: Supervisor):
            return await run(
                lambda c: getattr(c.pledges, action)(reference, request.pledgee, user.name)
            )

        return act

    for action in ("confirm", "release", "enforce"):
        router.add_api_route(
            f"/api/admin/pledges/{{reference}}/{action}",
            supervisor_act(action),
            methods=["POST"],
            status_code=201,
        )

    @router.get("/api/admin/pledges")
    async def pledge_register(user: Supervisor, state: str | None = None):
        def rows(c: Compliance) -> dict:
            return {
                "pledgees": [p._asdict() for p in c.pledges.pledgees()],
                "pledges": [p._asdict() for p in c.pledges.register(state=state)],
            }

        return await run(rows)

    @router.post("/api/member/compliance/surrenders", status_code=201)
    async def member_surrender(request: SurrenderRequest, user: Member):
        """An entity's own member surrenders for it."""
        member_auth.check_account(user, request.account)
        return await surrender(request, user)

    @router.post("/api/member/pledges", status_code=201)
    async def member_pledge(request: PledgeRequest, user: Member):
        """An entity's own member proposes a pledge of its tonnes."""
        member_auth.check_account(user, request.account)
        return await propose(request, user)

    def pledgee_act(action: str):
        async def act_as_pledgee(reference: str, user: Member):
            """A pledgee's own login acts for it: its member id is its pledgee id."""
            return await run(
                lambda c: getattr(c.pledges, action)(reference, user.member, user.name)
            )

        return act_as_pledgee

    for action in ("confirm", "release", "enforce"):
        router.add_api_route(
            f"/api/member/pledges/{{reference}}/{action}",
            pledgee_act(action),
            methods=["POST"],
            status_code=201,
        )

    return router
