"""Leaving the Tianjin scheme: an entity's exit (item 10) and its move to the national
market (item 24).

Exit: allowances equal to the year's emissions are cancelled (its own vintage first,
then older ones), the rest of the year's free allocation is returned to the issuer as far
as the entity still holds it, and the entity becomes non-covered (no further batches).
An entity with open orders is refused: its orders reserve the tonnes the exit needs, so
they must be cancelled first (the exchange does not cancel a member's orders for it).

National move: the free-allocated tonnes it still holds (its free_allocation lots) are
frozen for cancellation at once; they are cancelled by the entity at any time, or by a
supervisor once the deadline (national_deadline for the national sectors, else
national_years after the move) has come.
"""

import datetime as dt
import json
from typing import NamedTuple

from engine.orders import HoldingMovementKind
from settlement.booking import AVAILABLE
from settlement.compliance_operations import ComplianceError, Movement, Operation
from settlement.compliance_year import ComplianceYear
from settlement.lots import FREE_ALLOCATION


class NationalMove(NamedTuple):
    account: str
    sector: str
    moved_on: str
    deadline: str
    frozen: dict[str, int]
    cancelled_ts: int
    cancelled_by: str


class Exits:
    def __init__(self, year: ComplianceYear):
        self.compliance = year
        self.log = year.log
        self.database = year.database
        self.log.finisher("exit", self._finish_exit)
        self.log.finisher("national_move", self._finish_move)
        self.log.finisher("national_cancel", self._finish_cancel)

    def national_moves(self) -> list[NationalMove]:
        rows = self.database.query(
            "SELECT account, sector, moved_on, deadline, frozen, cancelled_ts, cancelled_by "
            "FROM national_moves ORDER BY deadline, account"
        )
        return [NationalMove(*row[:4], json.loads(row[4]), *row[5:]) for row in rows]

    def national_move(self, account: str) -> NationalMove | None:
        return next((m for m in self.national_moves() if m.account == account), None)

    # -- exit ------------------------------------------------------------------------

    def exit(
        self, account: str, year: int, emissions: int | None, reference: str, actor: str
    ) -> dict:
        """Cancels the year's emissions, returns the rest of its free allocation."""

        def plan() -> tuple[dict, list[Movement]]:
            entity = self.compliance._entity_year(account, year)
            self._covered(account)
            exposure = self.compliance.exposure
            if exposure.has_open_orders(account):
                raise ComplianceError(
                    "open_orders", f"{account} has open orders: cancel them before the exit"
                )
            counted = entity.verified_emissions if emissions is None else emissions
            if (
                counted is None
                or isinstance(counted, bool)
                or not isinstance(counted, int)
                or counted < 0
            ):
                raise ComplianceError(
                    "bad_input", "the year's emissions are not verified: give them (whole tonnes)"
                )
            movements = []
            left = counted
            holdings: dict[str, int] = {}
            for symbol, instrument in sorted(
                self.compliance.reference.instruments.items(), key=lambda i: -i[1].vintage
            ):
                if instrument.kind == "allowance" and 0 < instrument.vintage <= year:
                    holdings[symbol] = exposure.movable(account, symbol)
                    take = min(left, holdings[symbol])
                    if take:
                        movements.append(
                            Movement(account, symbol, take, HoldingMovementKind.CANCEL, True)
                        )
                        holdings[symbol] -= take
                        left -= take
            if left:
                raise ComplianceError(
                    "insufficient_holdings",
                    f"{account} holds {counted - left} t of eligible allowances, "
                    f"{left} t short of its {counted} t of emissions",
                )
            own = self.compliance.instrument_of(year)
            allocated = (
                entity.batch1 - entity.debt_deducted + max(0, entity.batch2) - entity.clawed_back
            )
            to_return = min(max(0, allocated - counted), holdings.get(own, 0))
            if to_return:
                movements.append(
                    Movement(account, own, to_return, HoldingMovementKind.RETURN, True)
                )
            return {"emissions": counted, "returned": to_return, "allocated": allocated}, movements

        return self.log.run(reference, "exit", account, year, actor, plan)

    def _finish_exit(self, operation: Operation, applied: list[bool]) -> dict:
        self._set_coverage(operation.account, "exited", "")
        return operation.detail

    # -- national market -----------------------------------------------------------------

    def move_to_national(
        self, account: str, sector: str, moved_on: str, reference: str, actor: str
    ) -> dict:
        def plan() -> tuple[dict, list[Movement]]:
            self._covered(account)
            if not sector.strip():
                raise ComplianceError("bad_input", "the sector may not be empty")
            try:
                day = dt.date.fromisoformat(moved_on)
            except ValueError:
                raise ComplianceError("bad_input", f"{moved_on!r} is not a date") from None
            parameters = self.compliance.parameters
            if sector in parameters.national_sectors:
                deadline = parameters.national_deadline
            else:
                deadline = day.replace(year=day.year + parameters.national_years)
            frozen: dict[str, int] = {}
            for row in self.compliance.ledger.lots(account):
                _, instrument, state, _, _, source, quantity = row
                if state == AVAILABLE and source == FREE_ALLOCATION:
                    frozen[instrument] = frozen.get(instrument, 0) + quantity
            exposure = self.compliance.exposure
            for instrument, quantity in frozen.items():
                if quantity > exposure.free(account, instrument):
                    raise ComplianceError(
                        "holdings_reserved",
                        f"{quantity} t of free-allocated {instrument} must be frozen but only "
                        f"{exposure.free(account, instrument)} t are free: cancel open sell orders",
                    )
            movements = [
                Movement(
                    account, symbol, quantity, HoldingMovementKind.FREEZE_FREE_ALLOCATION, True
                )
                for symbol, quantity in sorted(frozen.items())
            ]
            return {
                "sector": sector,
                "moved_on": moved_on,
                "deadline": deadline.isoformat(),
                "frozen": frozen,
            }, movements

        return self.log.run(reference, "national_move", account, 0, actor, plan)

    def _finish_move(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "INSERT INTO national_moves (account, sector, moved_on, deadline, frozen, "
            "cancelled_ts, cancelled_by) VALUES (?, ?, ?, ?, ?, 0, '')",
            (operation.account, d["sector"], d["moved_on"], d["deadline"], json.dumps(d["frozen"])),
        )
        self._set_coverage(operation.account, "national", d["sector"])
        return d

    def cancel_national(
        self, account: str, by_supervisor: bool, reference: str, actor: str
    ) -> dict:
        """Cancels the frozen free-allocated tonnes: the entity at any time, a supervisor
        from the deadline on."""

        def plan() -> tuple[dict, list[Movement]]:
            move = self.national_move(account)
            if move is None:
                raise ComplianceError("no_national_move", f"{account} has not moved")
            if move.cancelled_ts:
                raise ComplianceError("already_cancelled", "the frozen tonnes are cancelled")
            today = self.compliance.reference.calendar.trading_date(self.log.clock())
            if by_supervisor and today < dt.date.fromisoformat(move.deadline):
                raise ComplianceError(
                    "deadline_not_reached",
                    f"a supervisor cancels from {move.deadline}; the entity may before",
                )
            movements = [
                Movement(account, symbol, quantity, HoldingMovementKind.CANCEL_FROZEN, True)
                for symbol, quantity in sorted(move.frozen.items())
            ]
            return {"frozen": move.frozen}, movements

        return self.log.run(reference, "national_cancel", account, 0, actor, plan)

    def _finish_cancel(self, operation: Operation, applied: list[bool]) -> dict:
        self.database.execute(
            "UPDATE national_moves SET cancelled_ts = ?, cancelled_by = ? WHERE account = ?",
            (operation.ts, operation.actor, operation.account),
        )
        return operation.detail

    def _covered(self, account: str) -> None:
        coverage = self.compliance.coverage(account)
        if coverage != "covered":
            raise ComplianceError("not_covered", f"{account} is {coverage}")

    def _set_coverage(self, account: str, coverage: str, sector: str) -> None:
        self.database.execute(
            "INSERT INTO compliance_entities (account, coverage, sector) VALUES (?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET coverage = excluded.coverage, "
            "sector = excluded.sector",
            (account, coverage, sector),
        )
