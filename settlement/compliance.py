"""The compliance registry in one place: the operation log and the three groups of
operations on it (the compliance year, pledges, exits), wired to one ledger and engine."""

from collections.abc import Callable

from engine.reference import ReferenceData
from settlement.administration import Submit
from settlement.compliance_operations import Exposure, OperationLog
from settlement.compliance_parameters import ComplianceParameters, compliance_parameters
from settlement.compliance_year import ComplianceYear
from settlement.exits import Exits
from settlement.ledger import Ledger
from settlement.pledges import Pledges


class Compliance:
    def __init__(
        self,
        ledger: Ledger,
        reference: ReferenceData,
        submit: Submit,
        exposure: Exposure,
        clock: Callable[[], int],
        parameters: ComplianceParameters | None = None,
    ):
        self.log = OperationLog(ledger.database, submit, clock)
        self.year = ComplianceYear(
            self.log, ledger, reference, parameters or compliance_parameters(reference), exposure
        )
        self.pledges = Pledges(self.log, ledger, reference, exposure)
        self.exits = Exits(self.year)

    def resume(self) -> list[str]:
        """Completes the operations a crash left pending (call before taking new ones)."""
        return self.log.resume()
