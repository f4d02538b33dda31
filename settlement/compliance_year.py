"""The compliance year of each entity: enrolment, batch 1, verification, batch 2 with the
true-up, surrender with offsets and its reversal, status and the deadline snapshot.

Every change is a compliance operation (compliance_operations.py): audited, idempotent by
its reference, its tonnes moved through the engine. One check per rule, each refusal with
its own reason code; a refused operation changes nothing.
"""

import csv
import datetime as dt
import io
from typing import NamedTuple

from engine.orders import AccountKind, HoldingMovementKind
from engine.reference import ReferenceData
from settlement.allocation_rules import METHODS, NON_FOSSIL_CHANNELS, batch1, true_up
from settlement.compliance_operations import (
    ComplianceError,
    Exposure,
    Movement,
    Operation,
    OperationLog,
    movement_reference,
)
from settlement.compliance_parameters import INCENTIVE_CRITERIA, ComplianceParameters
from settlement.ledger import Ledger
from settlement.lots import REVERSAL_PREFIX

NS_PER_DAY = 86_400 * 1_000_000_000
AWAITING, OUTSTANDING, COMPLIANT, NON_COMPLIANT = (
    "awaiting_emissions",
    "outstanding",
    "compliant",
    "non_compliant",
)
OFFSETS = ("CCER", "TJCER")


class EntityYear(NamedTuple):
    account: str
    year: int
    previous_emissions: int
    method: str
    baseline: int
    control_factor_bps: int
    output: int
    verified_emissions: int | None
    new_facility_emissions: int
    non_fossil_mwh: int
    non_fossil_channel: str
    batch1: int
    debt_deducted: int
    batch2: int
    final_allocation: int
    incentives: int
    non_fossil: int
    clawed_back: int
    debt: int
    batch2_done: int
    snapshot_status: str
    snapshot_shortfall: int


class Verification(NamedTuple):
    account: str
    year: int
    verified_emissions: int
    new_facility_emissions: int = 0
    output: int = 0
    non_fossil_mwh: int = 0
    non_fossil_channel: str = ""


class Surrender(NamedTuple):
    reference: str
    movement: str
    account: str
    year: int
    instrument: str
    unit: str
    quantity: int
    ts: int
    actor: str
    reversed_ts: int
    reversed_by: str
    reversal_reason: str


class Status(NamedTuple):
    account: str
    year: int
    status: str
    verified_emissions: int | None
    surrendered_allowances: int
    surrendered_offsets: int
    shortfall: int  # tonnes still to surrender (0 when compliant)


VERIFICATION_FIELDS = Verification._fields


class ComplianceYear:
    def __init__(
        self,
        log: OperationLog,
        ledger: Ledger,
        reference: ReferenceData,
        parameters: ComplianceParameters,
        exposure: Exposure,
    ):
        self.log = log
        self.database = ledger.database
        self.ledger = ledger
        self.reference = reference
        self.parameters = parameters
        self.exposure = exposure
        for kind in ("enrol", "batch1", "verify", "incentive", "batch2", "surrender", "reverse"):
            log.finisher(kind, getattr(self, f"_finish_{kind}"))
        log.finisher("snapshot", lambda operation, applied: operation.detail)

    # -- reading ---------------------------------------------------------------------

    def entity_year(self, account: str, year: int) -> EntityYear | None:
        rows = self.database.query(
            f"{_YEAR_SELECT} WHERE account = ? AND year = ?", (account, year)
        )
        return EntityYear(*rows[0]) if rows else None

    def entity_years(self, year: int | None = None) -> list[EntityYear]:
        if year is None:
            rows = self.database.query(f"{_YEAR_SELECT} ORDER BY year, account")
        else:
            rows = self.database.query(f"{_YEAR_SELECT} WHERE year = ? ORDER BY account", (year,))
        return [EntityYear(*row) for row in rows]

    def surrenders(self, account: str | None = None) -> list[Surrender]:
        if account is None:
            rows = self.database.query(f"{_SURRENDER_SELECT} ORDER BY ts, reference")
        else:
            rows = self.database.query(
                f"{_SURRENDER_SELECT} WHERE account = ? ORDER BY ts, reference", (account,)
            )
        return [Surrender(*row) for row in rows]

    def incentives(self, account: str, year: int) -> list[tuple[str, str, int]]:
        return self.database.query(
            "SELECT criterion, evidence, tonnes FROM incentives WHERE account = ? AND year = ? "
            "ORDER BY criterion",
            (account, year),
        )

    def coverage(self, account: str) -> str:
        rows = self.database.query(
            "SELECT coverage FROM compliance_entities WHERE account = ?", (account,)
        )
        return rows[0][0] if rows else "covered"

    def status(self, account: str, year: int) -> Status:
        entity = self._entity_year(account, year)
        allowances = offsets = 0
        for surrender in self.surrenders(account):
            if surrender.year == year and not surrender.reversed_ts:
                if surrender.unit == "allowance":
                    allowances += surrender.quantity
                else:
                    offsets += surrender.quantity
        verified = entity.verified_emissions
        if verified is None:
            return Status(account, year, AWAITING, None, allowances, offsets, 0)
        shortfall = max(0, verified - allowances - offsets)
        status = entity.snapshot_status or (COMPLIANT if not shortfall else OUTSTANDING)
        return Status(account, year, status, verified, allowances, offsets, shortfall)

    def statuses(self, year: int) -> list[Status]:
        return [self.status(e.account, year) for e in self.entity_years(year)]

    def non_compliant(self, year: int) -> list[dict]:
        """After the deadline snapshot: each entity still short, its shortfall and the
        consequence recorded (the shortfall deducted from next year's batch 1)."""
        return [
            {
                "account": e.account,
                "year": year,
                "shortfall": e.snapshot_shortfall,
                "consequence": f"{e.snapshot_shortfall} t deducted from {year + 1}'s batch 1",
            }
            for e in self.entity_years(year)
            if e.snapshot_status == NON_COMPLIANT
        ]

    def debt_before(self, account: str, year: int) -> int:
        """What the entity owes from earlier years (claw-backs its holdings could not
        cover, shortfalls at a deadline): deducted from its next batch 1."""
        ((debt,),) = self.database.query(
            "SELECT COALESCE(SUM(debt), 0) FROM entity_years WHERE account = ? AND year < ?",
            (account, year),
        )
        return int(debt)  # PostgreSQL sums BIGINT to NUMERIC

    def instrument_of(self, year: int) -> str:
        for symbol, instrument in sorted(self.reference.instruments.items()):
            if instrument.kind == "allowance" and instrument.vintage == year:
                return symbol
        raise ComplianceError("no_vintage", f"no allowance instrument of vintage {year} is listed")

    # -- enrolment and batch 1 ---------------------------------------------------------

    def enrol(
        self,
        account: str,
        year: int,
        previous_emissions: int,
        method: str,
        baseline: int,
        control_factor_bps: int,
        reference: str,
        actor: str,
    ) -> dict:
        """Puts a compliance entity into year `year` with its allocation method."""

        def plan() -> tuple[dict, list[Movement]]:
            self._compliance_account(account)
            _year(year)
            if self.coverage(account) != "covered":
                raise ComplianceError(
                    "not_covered", f"{account} is {self.coverage(account)}, no longer covered"
                )
            if self.entity_year(account, year) is not None:
                raise ComplianceError("already_enrolled", f"{account} is enrolled for {year}")
            _tonnes("previous_emissions", previous_emissions)
            _tonnes("baseline", baseline)
            _tonnes("control_factor_bps", control_factor_bps)
            if method not in METHODS:
                raise ComplianceError("bad_method", f"method must be one of {', '.join(METHODS)}")
            return {
                "previous_emissions": previous_emissions,
                "method": method,
                "baseline": baseline,
                "control_factor_bps": control_factor_bps,
            }, []

        return self.log.run(reference, "enrol", account, year, actor, plan)

    def _finish_enrol(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "INSERT INTO entity_years (account, year, previous_emissions, method, baseline, "
            "control_factor_bps, output, verified_emissions, new_facility_emissions, "
            "non_fossil_mwh, non_fossil_channel, batch1, debt_deducted, batch2, "
            "final_allocation, incentives, non_fossil, clawed_back, debt, batch2_done, "
            "snapshot_status, snapshot_shortfall) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 0, 0, '', 0, 0, 0, 0, 0, 0, 0, 0, 0, '', 0)",
            (
                operation.account,
                operation.year,
                d["previous_emissions"],
                d["method"],
                d["baseline"],
                d["control_factor_bps"],
            ),
        )
        self.database.execute(
            "INSERT INTO compliance_entities (account, coverage, sector) VALUES (?, 'covered', '') "
            "ON CONFLICT (account) DO NOTHING",
            (operation.account,),
        )
        return d

    def run_batch1(self, year: int, reference: str, actor: str) -> list[dict]:
        """Batch 1 for every entity enrolled in `year`, in one run. A run interrupted by a
        crash is completed by running it again; a finished run is not repeated."""
        instrument = self.instrument_of(year)
        run = self._start_run(1, year, reference, actor)
        outcomes = []
        for entity in self.entity_years(year):
            if self.coverage(entity.account) != "covered":
                continue
            outcomes.append(
                self.log.run(
                    f"{run}/{entity.account}",
                    "batch1",
                    entity.account,
                    year,
                    actor,
                    lambda entity=entity: self._plan_batch1(entity, instrument),
                )
            )
        self._complete_run(1, year)
        return outcomes

    def _plan_batch1(self, entity: EntityYear, instrument: str) -> tuple[dict, list[Movement]]:
        entitled = batch1(entity.previous_emissions, self.parameters)
        debt = self.debt_before(entity.account, entity.year)
        deducted = min(debt, entitled)
        detail = {
            "instrument": instrument,
            "entitled": entitled,
            "debt_deducted": deducted,
            "debt_carried": debt - deducted,
            "allocated": entitled - deducted,
        }
        movements = []
        if entitled - deducted:
            movements.append(
                Movement(
                    entity.account,
                    instrument,
                    entitled - deducted,
                    HoldingMovementKind.ALLOCATE,
                    True,
                )
            )
        return detail, movements

    def _finish_batch1(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "UPDATE entity_years SET batch1 = ?, debt_deducted = ?, debt = debt + ? "
            "WHERE account = ? AND year = ?",
            (
                d["entitled"],
                d["debt_deducted"],
                d["debt_carried"],
                operation.account,
                operation.year,
            ),
        )
        if d["debt_deducted"] or d["debt_carried"]:
            self.database.execute(
                "UPDATE entity_years SET debt = 0 WHERE account = ? AND year < ?",
                (operation.account, operation.year),
            )
        return d | {"account": operation.account}

    def _start_run(self, batch: int, year: int, reference: str, actor: str) -> str:
        rows = self.database.query(
            "SELECT reference, completed_ts FROM batch_runs WHERE batch = ? AND year = ?",
            (batch, year),
        )
        if rows and rows[0][1]:
            raise ComplianceError(
                f"batch{batch}_done", f"batch {batch} for {year} was run already ({rows[0][0]})"
            )
        if rows:
            return rows[0][0]  # an interrupted run: complete it under its own reference
        self.database.execute(
            "INSERT INTO batch_runs (batch, year, reference, started_ts, completed_ts, actor) "
            "VALUES (?, ?, ?, ?, 0, ?)",
            (batch, year, reference, self.log.clock(), actor),
        )
        return reference

    def _complete_run(self, batch: int, year: int) -> None:
        self.database.execute(
            "UPDATE batch_runs SET completed_ts = ? WHERE batch = ? AND year = ?",
            (self.log.clock(), batch, year),
        )

    # -- verification ------------------------------------------------------------------

    def verify(self, verification: Verification, reference: str, actor: str) -> dict:
        return self.verify_all([verification], reference, actor)[0]

    def import_verifications(self, text: str, reference: str, actor: str) -> list[dict]:
        """A CSV file (header: account,year,verified_emissions[,new_facility_emissions,
        output,non_fossil_mwh,non_fossil_channel]); refused whole at its first bad row."""
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            raise ComplianceError("bad_file", "the file is empty")
        header = [name.strip() for name in rows[0]]
        for name in header:
            if name not in VERIFICATION_FIELDS:
                raise ComplianceError("bad_file", f"line 1: unknown column {name!r}")
        for name in VERIFICATION_FIELDS[:3]:
            if name not in header:
                raise ComplianceError("bad_file", f"line 1: column {name!r} is missing")
        verifications = []
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ComplianceError(
                    "bad_file", f"line {line}: {len(row)} fields where {len(header)} were due"
                )
            values: dict = {}
            for name, cell in zip(header, row, strict=True):
                cell = cell.strip()
                if name in ("account", "non_fossil_channel"):
                    values[name] = cell
                    continue
                try:
                    values[name] = int(cell)
                except ValueError:
                    raise ComplianceError(
                        "bad_file", f"line {line}, field {name}: {cell!r} is not a whole number"
                    ) from None
            verification = Verification(**values)
            try:
                self._check_verification(verification)
            except ComplianceError as error:
                raise ComplianceError(error.reason, f"line {line}: {error.text}") from None
            verifications.append(verification)
        return self.verify_all(verifications, reference, actor)

    def verify_all(
        self, verifications: list[Verification], reference: str, actor: str
    ) -> list[dict]:
        """Enters verified emissions for several entities: every row is checked before
        any is entered, so a bad one refuses them all."""
        seen = set()
        for verification in verifications:
            self._check_verification(verification)
            key = (verification.account, verification.year)
            if key in seen:
                raise ComplianceError("bad_file", f"{key[0]} {key[1]} appears twice")
            seen.add(key)
        return [
            self.log.run(
                f"{reference}/{v.account}/{v.year}" if len(verifications) > 1 else reference,
                "verify",
                v.account,
                v.year,
                actor,
                lambda v=v: (v._asdict(), []),
            )
            for v in verifications
        ]

    def _check_verification(self, v: Verification) -> None:
        entity = self.entity_year(v.account, v.year)
        if entity is None:
            raise ComplianceError("unknown_entity", f"{v.account!r} is not enrolled for {v.year}")
        for name in ("verified_emissions", "new_facility_emissions", "output", "non_fossil_mwh"):
            _tonnes(name, getattr(v, name))
        if v.non_fossil_channel not in NON_FOSSIL_CHANNELS:
            raise ComplianceError(
                "bad_input",
                "non_fossil_channel must be empty or one of " + ", ".join(NON_FOSSIL_CHANNELS[1:]),
            )
        if entity.batch2_done:
            raise ComplianceError(
                "already_trued_up", f"{v.account} {v.year}: batch 2 was run on the emissions"
            )

    def _finish_verify(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "UPDATE entity_years SET verified_emissions = ?, new_facility_emissions = ?, "
            "output = ?, non_fossil_mwh = ?, non_fossil_channel = ? WHERE account = ? AND year = ?",
            (
                d["verified_emissions"],
                d["new_facility_emissions"],
                d["output"],
                d["non_fossil_mwh"],
                d["non_fossil_channel"],
                operation.account,
                operation.year,
            ),
        )
        return d

    # -- incentives and batch 2 --------------------------------------------------------

    def add_incentive(
        self, account: str, year: int, criterion: str, evidence: str, reference: str, actor: str
    ) -> dict:
        """A supervisor-entered incentive criterion with its evidence (before batch 2)."""

        def plan() -> tuple[dict, list[Movement]]:
            entity = self._entity_year(account, year)
            if criterion not in INCENTIVE_CRITERIA:
                raise ComplianceError(
                    "bad_criterion", f"criterion must be one of {', '.join(INCENTIVE_CRITERIA)}"
                )
            if not evidence.strip():
                raise ComplianceError("bad_input", "the evidence may not be empty")
            if entity.batch2_done:
                raise ComplianceError("already_trued_up", f"batch 2 for {year} was run")
            if any(c == criterion for c, _, _ in self.incentives(account, year)):
                raise ComplianceError("duplicate_incentive", f"{criterion} is recorded already")
            return {"criterion": criterion, "evidence": evidence}, []

        return self.log.run(reference, "incentive", account, year, actor, plan)

    def _finish_incentive(self, operation: Operation, applied: list[bool]) -> dict:
        self.database.execute(
            "INSERT INTO incentives (account, year, criterion, evidence, tonnes) "
            "VALUES (?, ?, ?, ?, 0)",
            (
                operation.account,
                operation.year,
                operation.detail["criterion"],
                operation.detail["evidence"],
            ),
        )
        return operation.detail

    def run_batch2(self, year: int, reference: str, actor: str) -> list[dict]:
        """Batch 2 for every covered entity of `year`; refused whole while any of them
        awaits verified emissions."""
        instrument = self.instrument_of(year)
        entities = [e for e in self.entity_years(year) if self.coverage(e.account) == "covered"]
        waiting = [e.account for e in entities if e.verified_emissions is None]
        if waiting:
            raise ComplianceError(
                "not_verified", f"verified emissions missing for {', '.join(waiting)}"
            )
        run = self._start_run(2, year, reference, actor)
        outcomes = [
            self.log.run(
                f"{run}/{e.account}",
                "batch2",
                e.account,
                year,
                actor,
                lambda e=e: self._plan_batch2(e, instrument),
            )
            for e in entities
            if not e.batch2_done or self.log.get(f"{run}/{e.account}") is not None
        ]
        self._complete_run(2, year)
        return outcomes

    def _plan_batch2(self, entity: EntityYear, instrument: str) -> tuple[dict, list[Movement]]:
        criteria = [c for c, _, _ in self.incentives(entity.account, entity.year)]
        result = true_up(
            method=entity.method,
            baseline=entity.baseline,
            control_factor_bps=entity.control_factor_bps,
            output=entity.output,
            verified=entity.verified_emissions,
            batch1_entitled=entity.batch1,
            criteria=criteria,
            non_fossil_mwh=entity.non_fossil_mwh,
            non_fossil_channel=entity.non_fossil_channel,
            parameters=self.parameters,
        )
        detail = {"instrument": instrument, **result._asdict(), "claim": 0}
        if result.batch2 > 0:
            movement = Movement(
                entity.account, instrument, result.batch2, HoldingMovementKind.ALLOCATE, True
            )
            return detail, [movement]
        excess = -result.batch2
        claim = min(excess, self.exposure.movable(entity.account, instrument))
        detail["claim"] = claim
        if not claim:
            return detail, []
        return detail, [
            Movement(entity.account, instrument, claim, HoldingMovementKind.RETURN, False)
        ]

    def _finish_batch2(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        clawed = d["claim"] if applied and applied[0] and d["batch2"] < 0 else 0
        debt = max(0, -d["batch2"]) - clawed
        self.database.execute(
            "UPDATE entity_years SET batch2 = ?, final_allocation = ?, incentives = ?, "
            "non_fossil = ?, clawed_back = ?, debt = debt + ?, batch2_done = 1 "
            "WHERE account = ? AND year = ?",
            (
                d["batch2"],
                d["final"],
                sum(d["incentives"].values()),
                d["non_fossil"],
                clawed,
                debt,
                operation.account,
                operation.year,
            ),
        )
        for criterion, tonnes in d["incentives"].items():
            self.database.execute(
                "UPDATE incentives SET tonnes = ? WHERE account = ? AND year = ? AND criterion = ?",
                (tonnes, operation.account, operation.year, criterion),
            )
        return d | {"account": operation.account, "clawed_back": clawed, "debt": debt}

    # -- surrender ---------------------------------------------------------------------

    def surrender(
        self, account: str, year: int, instrument: str, quantity: int, reference: str, actor: str
    ) -> dict:
        """Moves `quantity` of `instrument` to the government surrender account for `year`:
        allowances of that vintage or earlier, offsets (CCER + TJCER together) up to
        offset_cap of verified emissions."""

        def plan() -> tuple[dict, list[Movement]]:
            entity = self._entity_year(account, year)
            _tonnes("quantity", quantity, minimum=1)
            listed = self.reference.instruments.get(instrument)
            if listed is None:
                raise ComplianceError("unknown_instrument", f"{instrument!r} is not listed")
            if entity.verified_emissions is None:
                raise ComplianceError(
                    "not_verified", f"{account} {year}: verified emissions are not entered yet"
                )
            if entity.snapshot_status:
                raise ComplianceError("deadline_passed", f"the {year} deadline snapshot is taken")
            if listed.kind == "allowance":
                if not 0 < listed.vintage <= year:
                    raise ComplianceError(
                        "wrong_vintage",
                        f"{instrument} is vintage {listed.vintage}: only {year} or earlier count",
                    )
                unit = "allowance"
            elif instrument in OFFSETS:
                unit = instrument
                cap = entity.verified_emissions * self.parameters.offset_cap_bps // 10_000
                used = self.status(account, year).surrendered_offsets
                if used + quantity > cap:
                    raise ComplianceError(
                        "offset_cap",
                        f"offsets would be {used + quantity} t, above the cap of {cap} t "
                        f"({self.parameters.offset_cap_bps / 100:g} % of verified emissions)",
                    )
            else:
                raise ComplianceError("not_surrenderable", f"{instrument} cannot be surrendered")
            movement = Movement(account, instrument, quantity, HoldingMovementKind.SURRENDER, True)
            return {"instrument": instrument, "unit": unit, "quantity": quantity}, [movement]

        return self.log.run(reference, "surrender", account, year, actor, plan)

    def _finish_surrender(self, operation: Operation, applied: list[bool]) -> dict:
        d = operation.detail
        self.database.execute(
            "INSERT INTO surrenders (reference, movement, account, year, instrument, unit, "
            "quantity, ts, actor, reversed_ts, reversed_by, reversal_reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '')",
            (
                operation.reference,
                movement_reference(operation.reference, 0),
                operation.account,
                operation.year,
                d["instrument"],
                d["unit"],
                d["quantity"],
                operation.ts,
                operation.actor,
            ),
        )
        return d | {"account": operation.account, "year": operation.year}

    def reverse(self, surrender_reference: str, reason: str, actor: str) -> dict:
        """A supervisor takes back a mistaken surrender within reversal_days, with a reason."""
        rows = self.database.query(
            f"{_SURRENDER_SELECT} WHERE reference = ?", (surrender_reference,)
        )
        if not rows:
            raise ComplianceError("unknown_surrender", f"no surrender {surrender_reference!r}")
        surrender = Surrender(*rows[0])
        if surrender.reversed_ts:  # the reversal's own reference is the surrender's
            raise ComplianceError("already_reversed", "that surrender was reversed already")

        def plan() -> tuple[dict, list[Movement]]:
            if not reason.strip():
                raise ComplianceError("bad_input", "a reversal needs a reason")
            if self.log.clock() - surrender.ts > self.parameters.reversal_days * NS_PER_DAY:
                raise ComplianceError(
                    "reversal_too_late",
                    f"surrenders may be reversed within {self.parameters.reversal_days} days",
                )
            movement = Movement(
                surrender.account,
                surrender.instrument,
                surrender.quantity,
                HoldingMovementKind.REVERSE_SURRENDER,
                True,
            )
            return {"surrender": surrender.reference, "reason": reason}, [movement]

        # The reversal's movement reference names the surrender's, so its lineage returns.
        return self.log.run(
            REVERSAL_PREFIX + surrender.movement.removesuffix("#0"),
            "reverse",
            surrender.account,
            surrender.year,
            actor,
            plan,
        )

    def _finish_reverse(self, operation: Operation, applied: list[bool]) -> dict:
        self.database.execute(
            "UPDATE surrenders SET reversed_ts = ?, reversed_by = ?, reversal_reason = ? "
            "WHERE reference = ?",
            (
                operation.ts,
                operation.actor,
                operation.detail["reason"],
                operation.detail["surrender"],
            ),
        )
        return operation.detail

    # -- the deadline --------------------------------------------------------------------

    def deadline_snapshot(self, year: int, reference: str, actor: str) -> list[dict]:
        """At the surrender deadline: each entity's status is fixed; those still short are
        non-compliant and their shortfall is recorded as a debt on next year's batch 1."""
        deadline = self.parameters.deadline(year)
        today = self.reference.calendar.trading_date(self.log.clock())
        if today < deadline:
            raise ComplianceError(
                "deadline_not_reached", f"the {year} surrender deadline is {deadline}"
            )
        if self.log.get(reference) is None:
            with self.database.transaction():
                rows = []
                for status in self.statuses(year):
                    if (
                        status.status == AWAITING
                        or self.entity_year(status.account, year).snapshot_status
                    ):
                        continue
                    final = NON_COMPLIANT if status.shortfall else COMPLIANT
                    self.database.execute(
                        "UPDATE entity_years SET snapshot_status = ?, snapshot_shortfall = ?, "
                        "debt = debt + ? WHERE account = ? AND year = ?",
                        (final, status.shortfall, status.shortfall, status.account, year),
                    )
                    rows.append(
                        {"account": status.account, "status": final, "shortfall": status.shortfall}
                    )
                outcome = {"deadline": deadline.isoformat(), "entities": rows}
                ts = self.log.clock()
                self.log.record(
                    Operation(reference, "snapshot", "", year, ts, actor, {}, [], "done", outcome)
                )
        return self.log.get(reference).outcome["entities"]

    # -- checks ----------------------------------------------------------------------

    def _entity_year(self, account: str, year: int) -> EntityYear:
        entity = self.entity_year(account, year)
        if entity is None:
            raise ComplianceError("unknown_entity", f"{account!r} is not enrolled for {year}")
        return entity

    def _compliance_account(self, account: str) -> None:
        record = self.ledger.account(account)
        if record is None:
            raise ComplianceError("unknown_entity", f"no registry account {account!r}")
        if record.kind != AccountKind.COMPLIANCE:
            raise ComplianceError("not_compliance", f"{account} is not a compliance account")


def days_left(deadline: dt.date, today: dt.date) -> int:
    return (deadline - today).days


def _year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ComplianceError("bad_input", f"year {year!r} is not a year")


def _tonnes(field: str, value: int, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ComplianceError("bad_input", f"{field} {value!r} is not a whole number")
    if value < minimum:
        raise ComplianceError(
            "negative" if value < 0 else "bad_input", f"{field} {value} is below {minimum}"
        )


_YEAR_SELECT = (
    "SELECT account, year, previous_emissions, method, baseline, control_factor_bps, output, "
    "verified_emissions, new_facility_emissions, non_fossil_mwh, non_fossil_channel, batch1, "
    "debt_deducted, batch2, final_allocation, incentives, non_fossil, clawed_back, debt, "
    "batch2_done, snapshot_status, snapshot_shortfall FROM entity_years"
)
_SURRENDER_SELECT = (
    "SELECT reference, movement, account, year, instrument, unit, quantity, ts, actor, "
    "reversed_ts, reversed_by, reversal_reason FROM surrenders"
)
