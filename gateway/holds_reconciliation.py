"""At start-up, the engine's holds checked against the registry.

The engine recovers its holds from its own journal; the registry ledger is the system of
record. Before the engine takes new commands, the holds are rebuilt from the ledger plus
the open orders (settlement/rebuild.py) and compared with the recovered ones: any
difference (a registry changed behind the exchange's back, a lost booking) is reported
to the operator, field by field.
"""

import asyncio
import logging

from prometheus_client import Gauge

from engine.reference import ReferenceData
from engine.sequencer import Sequencer
from gateway.rest.registry_reader import RegistryReader
from settlement.rebuild import rebuild_holds

log = logging.getLogger("tcx.reconciliation")

DIFFERENCES = Gauge(
    "tcx_holds_reconciliation_differences",
    "Differences between the engine's holds and the registry found at start-up",
)


async def reconcile_holds(
    registry: RegistryReader,
    reference: ReferenceData,
    sequencer: Sequencer,
    timeout: float = 30.0,
) -> list[str] | None:
    """The differences found, or None when the registry did not catch up with the
    journal within `timeout` seconds (then there is nothing fair to compare). Call it
    before the engine runs: the sequencer's state must hold still."""
    target = sequencer.next_seq - 1
    deadline = asyncio.get_running_loop().time() + timeout
    while await registry(lambda ledger: ledger.last_seq()) < target:
        if asyncio.get_running_loop().time() > deadline:
            log.warning(
                "holds not reconciled: the registry is behind the journal",
                extra={"journal_seq": target},
            )
            return None
        await asyncio.sleep(0.05)
    orders = list(sequencer.orders.values())
    blocks = list(sequencer.blocks.allegations.values())
    found = await registry(
        lambda ledger: rebuild_holds(ledger, reference, orders, sequencer.holds, blocks)
    )
    DIFFERENCES.set(len(found.differences))
    for difference in found.differences:
        log.error("holds differ from the registry", extra={"difference": difference})
    log.info(
        "holds reconciled with the registry",
        extra={"seq": target, "differences": len(found.differences)},
    )
    return found.differences
