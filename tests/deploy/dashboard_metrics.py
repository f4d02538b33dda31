"""The metrics the Grafana dashboard queries, and the series a metric family exposes.

prometheus_client names a counter family without `_total` and a histogram without its
`_bucket`/`_sum`/`_count`; PromQL names the series. Both deploy tests compare the two.
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.metrics_core import Metric

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards" / "tcx.json"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def dashboard_queries() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]


def tcx_metrics(text: str) -> set[str]:
    """The tcx series named in PromQL (or any text)."""
    return set(re.findall(r"\btcx_[a-z0-9_]+", text))


def series_types(families: Iterable[Metric]) -> dict[str, str]:
    """Each series name the families expose, with its family's type; a labelled metric
    that has no sample yet still names its series."""
    series = {}
    for family in families:
        for suffix in SUFFIXES.get(family.type, ("",)):
            series[family.name + suffix] = family.type
    return series
