"""Schemathesis against the running exchange's OpenAPI document, as a supervisor and as an
anonymous caller: no input gets a 5xx, and every status code answered is documented.
Bounded so the suite stays quick: a few derandomised examples per operation."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.gateway.exchange_fixtures import SUPERVISOR, running_exchange

EXAMPLES_PER_OPERATION = 8
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, status_code_conformance]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    with running_exchange(tmp_path_factory.mktemp("exchange")) as running:
        yield schemathesis.openapi.from_url(f"{running.base_url}/openapi.json")


@pytest.mark.parametrize("auth", [SUPERVISOR, None], ids=["supervisor", "anonymous"])
def test_no_input_gets_a_server_error_or_an_undocumented_status(api_schema, auth):
    failures = []
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @BOUNDED
        @given(case=operation.as_strategy())
        def probe(case) -> None:
            case.call_and_validate(auth=auth, checks=CHECKS)

        try:
            probe()
        except (Exception, FailureGroup) as failure:  # every operation is probed and reported
            failures.append(f"{operation.label}: {_described(failure)}")
    assert not failures, "\n\n".join(failures)


def _described(failure: BaseException) -> str:
    if isinstance(failure, BaseExceptionGroup):
        return "; ".join(_described(inner) for inner in failure.exceptions)
    return f"{type(failure).__name__}: {failure}"
