"""Property: across any sequence of allocations, trades, surrenders, reversals, pledges,
enforcements, exits, national moves and cancellations, tonnes are conserved, every
tonne's lineage adds up to its holding (Ledger.verify checks both), and the engine's holds
equal the registry's after every single operation."""

from collections.abc import Callable

import psycopg
import pytest
from compliance_market import ComplianceMarket, compliance_reference
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.orders import AccountKind, HoldingMovementKind, Side
from settlement.compliance_operations import ComplianceError
from settlement.compliance_year import Verification
from settlement.ledger import Ledger

REFERENCE = compliance_reference()
ENTITIES = ("E1", "E2")
INSTRUMENTS = ("TJEA25", "TJEA24", "CCER")

step = st.one_of(
    st.tuples(st.just("give"), st.sampled_from(ENTITIES), st.sampled_from(INSTRUMENTS),
              st.integers(1, 5_000)),
    st.tuples(st.just("trade"), st.sampled_from(ENTITIES), st.integers(1, 3_000)),
    st.tuples(st.just("order"), st.sampled_from(ENTITIES), st.integers(1, 3_000)),
    st.tuples(st.just("surrender"), st.sampled_from(ENTITIES), st.sampled_from(INSTRUMENTS),
              st.integers(1, 8_000)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("pledge"), st.sampled_from(ENTITIES), st.integers(1, 8_000)),
    st.tuples(st.just("unpledge"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("exit"), st.sampled_from(ENTITIES), st.integers(0, 9_000)),
    st.tuples(st.just("national"), st.sampled_from(ENTITIES), st.booleans()),
    st.tuples(st.just("cancel"), st.sampled_from(ENTITIES)),
    st.tuples(st.just("allocate"), st.sampled_from(ENTITIES), st.integers(1, 5_000)),
    st.tuples(st.just("batch2")),
)  # fmt: skip


def apply(market: ComplianceMarket, n: int, op: tuple) -> None:
    c = market.compliance
    kind = op[0]
    if kind == "give":
        market.give(op[1], op[2], op[3], f"give{n}")
    elif kind in ("trade", "order"):
        market.order(op[1], "TJEA25", Side.SELL, op[2], 5_000)
        if kind == "trade":
            market.order("INV", "TJEA25", Side.BUY, op[2], 5_000)
    elif kind == "surrender":
        c.year.surrender(op[1], 2025, op[2], op[3], f"s{n}", "m")
    elif kind == "reverse":
        surrenders = c.year.surrenders()
        if surrenders:
            c.year.reverse(surrenders[op[1] % len(surrenders)].reference, "mistake", "sup")
    elif kind == "pledge":
        c.pledges.propose(op[1], "BANK", "TJEA25", op[2], "L", 1, "2030-01-01", f"p{n}", "m")
        c.pledges.confirm(f"p{n}", "BANK", "bank")
    elif kind == "unpledge":
        pledged = c.pledges.register(state="pledged")
        if pledged:
            chosen = pledged[op[1] % len(pledged)].reference
            (c.pledges.enforce if op[2] else c.pledges.release)(chosen, "BANK", "bank")
    elif kind == "exit":
        c.exits.exit(op[1], 2025, op[2], f"x{n}", "sup")
    elif kind == "national":
        c.exits.move_to_national(op[1], "power" if op[2] else "glass", "2026-03-01", f"n{n}", "s")
    elif kind == "cancel":
        c.exits.cancel_national(op[1], False, f"c{n}", "m")
    elif kind == "allocate":
        market.admin.move_holding(
            op[1], "TJEA25", op[2], HoldingMovementKind.ALLOCATE, f"a{n}", "s"
        )
    elif kind == "batch2":  # allocates, or claws back what the holdings still cover
        c.year.run_batch2(2025, f"b2-{n}", "sup")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_registry(request, tmp_path_factory) -> Callable[[], str]:
    """A function giving an empty registry database per example, on each backend."""
    if request.param == "sqlite":
        return lambda: str(tmp_path_factory.mktemp("registry") / "r.db")
    server = request.getfixturevalue("postgres_server")

    def emptied() -> str:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
        return server

    return emptied


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(step, max_size=14),
    # batch 1 from 3,500 to 17,500 t against a final allocation of 9,600 to 14,400 t:
    # batch 2 either allocates or claws back
    previous=st.tuples(st.integers(5_000, 25_000), st.integers(5_000, 25_000)),
)
def test_tonnes_lineage_and_holds_agree_after_every_operation(fresh_registry, steps, previous):
    ledger = Ledger.open(fresh_registry(), REFERENCE)
    market = ComplianceMarket(ledger, REFERENCE)
    market.open("INV", AccountKind.INVESTOR, cash=10**13)
    market.open("BANKACCT", AccountKind.INVESTOR)
    c = market.compliance
    c.pledges.register_pledgee("BANK", "a bank", "BANKACCT", "pg", "sup")
    for entity, emitted in zip(ENTITIES, previous, strict=True):
        market.open(entity)
        c.year.enrol(
            entity, 2025, emitted, "historical_emissions", 9_000, 10_000, f"en-{entity}", "s"
        )
    c.year.run_batch1(2025, "b1", "sup")
    for entity in ENTITIES:
        c.year.verify(Verification(entity, 2025, 12_000), f"v-{entity}", "sup")
    try:
        for n, op in enumerate(steps):
            try:
                apply(market, n, op)
                event(f"{op[0]} done")
            except ComplianceError as refusal:  # must have changed nothing: checked below
                event(f"{op[0]} refused: {refusal.reason}")
            assert market.differences() == [], (n, op)
        total = sum(
            sum(q for *_, q in ledger.lots(owner)) for owner in ("INV", "BANKACCT", *ENTITIES)
        )
        retired = sum(
            ledger.balance(owner, symbol, "available")
            for owner in ("@surrendered", "@cancelled", "@enforcement")
            for symbol in INSTRUMENTS
        )
        issued = -sum(
            ledger.balance(owner, symbol, "available")
            for owner in ("@issuer", "@outside")
            for symbol in INSTRUMENTS
        )
        assert total + retired == issued
    finally:
        ledger.close()
