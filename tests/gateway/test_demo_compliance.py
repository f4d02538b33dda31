"""`tcx up --demo` starts with a compliance year in its registry: three entities with last
year's verified emissions and this year's batches, one compliant, one short, one in
surplus with a pledge, so the dashboard's compliance pages have content."""

import signal
import time

import httpx
import pytest

from tests.gateway.exchange_fixtures import free_port, start_tcx_up


@pytest.mark.slow
def test_the_demo_registry_holds_a_compliance_year(tmp_path):
    port = free_port()
    process = start_tcx_up(tmp_path, port, "--demo", "--speed", "4")
    auth = ("demo-supervisor", "demo")
    try:
        table = pledges = None
        for _ in range(120):
            time.sleep(0.5)
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/admin/pledges", auth=auth, timeout=5
                )
                if answer.status_code == 200 and answer.json()["pledges"]:
                    pledges = answer.json()["pledges"]
                    table = httpx.get(
                        f"http://127.0.0.1:{port}/api/admin/compliance/years/2025",
                        auth=auth,
                        timeout=5,
                    ).json()
                    break
            except httpx.HTTPError:
                continue
        assert pledges, "the demo's pledge never appeared"
        status = {e["account"]: (e["status"], e["shortfall"]) for e in table["entities"]}
        assert status["CE1"] == ("compliant", 0)
        assert status["CE2"][0] == "outstanding" and status["CE2"][1] == 104_000
        assert [p["state"] for p in pledges] == ["pledged"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
