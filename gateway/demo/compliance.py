"""The demo registry's compliance year: last year's verified emissions, this year's
batches, one entity compliant, one short, one in surplus with a pledge to a bank, so the
dashboard's compliance pages have content from the start.

It runs once after the demo's opening commands, through the same `Compliance` operations
and sequencer commands a supervisor's REST call uses, on a thread of its own where the
registry database is open.
"""

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from engine.commands import Command, OpenAccount
from engine.events import Event
from engine.orders import AccountKind
from engine.reference import ReferenceData
from gateway.clock import Clock
from gateway.trading.gateway_service import GatewayService
from settlement.compliance import Compliance
from settlement.compliance_operations import Exposure
from settlement.compliance_year import Verification
from settlement.ledger import Ledger

YEAR = 2025
ACTOR = "demo-setup"
BANK_ACCOUNT = "BANK-TJ"
# entity -> (previous year's verified t, baseline t, this year's verified t)
ENTITIES = {
    "CE1": (120_000, 118_000, 110_000),  # compliant: surrenders its emissions
    "CE2": (100_000, 80_000, 104_000),  # short: its allocation is below its emissions
    "CE3": (90_000, 96_000, 84_000),  # in surplus, and pledges part of it
}


async def seed_compliance(
    gateway: GatewayService,
    reference: ReferenceData,
    clock: Clock,
    registry_url: str,
    exposure: Callable[[Ledger], Exposure],
) -> None:
    await gateway.submit(
        [OpenAccount(clock.now(), BANK_ACCOUNT, "SIM", AccountKind.INVESTOR, "", 0, ACTOR)]
    )
    loop = asyncio.get_running_loop()
    abandoned = threading.Event()  # the demo is stopping: the seeding thread gives up

    def submit(command: Command) -> list[Event]:
        answer = asyncio.run_coroutine_threadsafe(gateway.request(command), loop)
        while not abandoned.is_set():
            with contextlib.suppress(TimeoutError):
                return answer.result(0.1)
        answer.cancel()
        raise SeedingAbandoned

    def seed() -> None:
        ledger = Ledger.open(registry_url, reference)
        try:
            for _ in range(300):  # settlement books the opening accounts asynchronously
                if ledger.account(BANK_ACCOUNT) is not None:
                    break
                time.sleep(0.1)
            compliance = Compliance(ledger, reference, submit, exposure(ledger), clock.now)
            year = compliance.year
            for entity, (previous, baseline, _) in ENTITIES.items():
                year.enrol(
                    entity, YEAR, previous, "historical_emissions", baseline, 10_000,
                    f"demo-enrol-{entity}", ACTOR,
                )  # fmt: skip
            year.run_batch1(YEAR, "demo-batch1", ACTOR)
            year.add_incentive(
                "CE3", YEAR, "energy_benchmark", "cement clinker at the national benchmark",
                "demo-incentive-CE3", ACTOR,
            )  # fmt: skip
            year.verify_all(
                [Verification(entity, YEAR, e[2]) for entity, e in ENTITIES.items()],
                "demo-verification",
                ACTOR,
            )
            year.run_batch2(YEAR, "demo-batch2", ACTOR)
            year.surrender("CE1", YEAR, "TJEA25", ENTITIES["CE1"][2], "demo-surrender-CE1", ACTOR)
            pledges = compliance.pledges
            pledges.register_pledgee(
                "BOC-TJ", "Bank of China, Tianjin branch", BANK_ACCOUNT, "demo-pledgee", ACTOR
            )
            pledges.propose(
                "CE3", "BOC-TJ", "TJEA25", 10_000, "BOC-TJ-2026-017", 40_000_000_00,
                "2027-06-30", "demo-pledge-CE3", ACTOR,
            )  # fmt: skip
            pledges.confirm("demo-pledge-CE3", "BOC-TJ", "boc-tj-officer")
        finally:
            ledger.close()

    thread = ThreadPoolExecutor(1, thread_name_prefix="demo-compliance")
    try:
        await loop.run_in_executor(thread, seed)
    finally:
        # Cancelled (Ctrl-C while seeding): waiting here for the thread would block the
        # loop its pending request needs, so let it see `abandoned` and end on its own.
        abandoned.set()
        thread.shutdown(wait=False)


class SeedingAbandoned(Exception):
    """The demo stopped before its registry was seeded."""
