"""The deployment files against the code they deploy.

No container engine or cluster runs here, so these check what can be checked without
one: every file parses, every tcx container runs a real `tcx` subcommand with settings
`gateway.settings` accepts, ports agree from the service to the probe to Prometheus, and
every metric Grafana asks for is one the services export.
"""

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import prometheus_client
import pytest
import yaml

import gateway.exchange  # noqa: F401 - imports every service module, registering its metrics
from gateway.cli.main import build_parser
from gateway.exchange import EVERYTHING
from gateway.settings import Settings, SettingsError, load_settings
from tests.deploy.compose_environment import compose_file, service_environment
from tests.deploy.dashboard_metrics import dashboard, dashboard_queries, series_types, tcx_metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DEV_OVERLAY = K8S / "overlays" / "dev"
OPERATOR_SECRETS = {"tcx-members"}  # made from the member file by the operator (README)


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def _kustomization_files(directory: Path) -> list[Path]:
    """The manifest files a kustomization builds from, following its bases."""
    files = []
    for entry in _yaml(directory / "kustomization.yaml")["resources"]:
        path = (directory / entry).resolve()
        files += _kustomization_files(path) if path.is_dir() else [path]
    return files


def _container(workload: dict) -> dict:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


COMPOSE = compose_file()
TCX_SERVICES = {n: s for n, s in COMPOSE["services"].items() if s["image"].startswith("tcx")}
RUNNING_TCX = {n: s for n, s in TCX_SERVICES.items() if "profiles" not in s}
PROMETHEUS = _yaml(DEPLOY / "prometheus" / "prometheus.yml")
DASHBOARD = dashboard()
DATASOURCES = _yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml")

K8S_OBJECTS = [doc for f in _kustomization_files(DEV_OVERLAY) for doc in _documents(f)]
WORKLOADS = {
    o["metadata"]["name"]: o for o in K8S_OBJECTS if o["kind"] in {"StatefulSet", "Deployment"}
}
TCX_WORKLOADS = {n: w for n, w in WORKLOADS.items() if _container(w)["image"].startswith("tcx")}


def _k8s_settings() -> dict[str, str]:
    """What a tcx pod's environment holds: the settings ConfigMap and the overlay's
    registry secret, as envFrom loads them."""
    environment = {}
    for o in K8S_OBJECTS:
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "tcx-settings":
            environment.update(o["data"])
    overlay = _yaml(DEV_OVERLAY / "kustomization.yaml")
    for generator in overlay["secretGenerator"]:
        if generator["name"] == "tcx-registry":
            environment.update(literal.split("=", 1) for literal in generator["literals"])
    return environment


def _settings_from(environment: dict[str, str], monkeypatch) -> Settings:
    """Settings exactly as a service would load them from this environment."""
    for name in list(os.environ):
        if name.startswith("TCX_"):
            monkeypatch.delenv(name)
    unknown = {
        n for n in environment if n.removeprefix("TCX_").lower() not in Settings.model_fields
    }
    assert not unknown, f"not settings of gateway.settings.Settings: {sorted(unknown)}"
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return load_settings()


# --- every file parses --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml", ".json"}),
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_every_yaml_and_json_file_parses(path):
    if path.suffix == ".json":
        assert json.loads(path.read_text())
    else:
        assert _documents(path), f"{path} holds no document"


# --- commands -----------------------------------------------------------------------


def _parses_as_tcx(argv: list[str]) -> None:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"`tcx {' '.join(argv)}` is not a tcx command line")


@pytest.mark.parametrize("name", sorted(TCX_SERVICES))
def test_compose_runs_a_real_tcx_command(name):
    service = TCX_SERVICES[name]
    entrypoint = service.get("entrypoint", ["tcx"])
    assert entrypoint[0] == "tcx"
    _parses_as_tcx(entrypoint[1:] + service["command"])


@pytest.mark.parametrize("name", sorted(TCX_WORKLOADS))
def test_kubernetes_runs_a_real_tcx_command(name):
    container = _container(TCX_WORKLOADS[name])
    assert "command" not in container, "the image's entrypoint is tcx; give args only"
    _parses_as_tcx(container["args"])


def test_each_service_runs_once_in_compose_and_in_kubernetes():
    assert sorted(s["command"][0] for s in RUNNING_TCX.values()) == sorted(EVERYTHING)
    assert sorted(_container(w)["args"][0] for w in TCX_WORKLOADS.values()) == sorted(EVERYTHING)


def test_the_image_runs_tcx_as_an_unprivileged_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert 'ENTRYPOINT ["tcx"]' in dockerfile
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["tcx"] == "gateway.cli.main:main"


def test_every_data_file_in_the_packages_is_installed_with_them():
    """The image installs the project with pip, which copies only package-data globs."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["*"]
    missing = [
        str(path.relative_to(ROOT))
        for package in ("engine", "settlement", "surveillance", "gateway")
        for path in (ROOT / package).rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc", ".c", ".so"}  # .c, .so: setup.py builds them
        and not any(fnmatch.fnmatch(path.name, glob) for glob in globs)
    ]
    assert not missing, f"pip install would leave out {missing}: add them to package-data"


# --- settings -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TCX_SERVICES))
def test_every_compose_variable_is_a_valid_setting(name, monkeypatch):
    environment = service_environment(TCX_SERVICES[name])
    assert _settings_from(environment, monkeypatch).members_file is not None


@pytest.mark.parametrize("name", sorted(RUNNING_TCX))
def test_compose_settings_are_valid_for_the_distributed_mode(name, monkeypatch):
    settings = _settings_from(service_environment(RUNNING_TCX[name]), monkeypatch)
    assert settings.stream == "kafka"  # `tcx engine` and the others refuse anything else
    assert settings.registry.startswith("postgresql://")
    assert settings.http_host == "0.0.0.0"  # reachable from the other containers


@pytest.mark.parametrize("name", sorted(TCX_WORKLOADS))
def test_kubernetes_settings_are_valid_for_the_distributed_mode(name, monkeypatch):
    container = _container(TCX_WORKLOADS[name])
    own = {e["name"]: e["value"] for e in container.get("env", []) if e["name"].startswith("TCX_")}
    settings = _settings_from({**_k8s_settings(), **own}, monkeypatch)
    assert settings.stream == "kafka"
    assert settings.registry.startswith("postgresql://")
    assert settings.http_host == "0.0.0.0"


def test_a_wrong_setting_in_a_deployment_would_be_caught(monkeypatch):
    environment = {**_k8s_settings(), "TCX_HTTP_PORT": "eighty"}
    with pytest.raises(SettingsError, match="http_port"):
        _settings_from(environment, monkeypatch)


def test_compose_points_the_services_at_its_kafka_and_postgres(monkeypatch):
    settings = _settings_from(service_environment(RUNNING_TCX["engine"]), monkeypatch)
    kafka = COMPOSE["services"]["kafka"]["environment"]
    assert f"PLAINTEXT://{settings.kafka_bootstrap}" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    registry = urlsplit(settings.registry)
    postgres = COMPOSE["services"]["postgres"]["environment"]
    assert registry.hostname == "postgres" and registry.port == 5432
    assert (registry.username, registry.password, registry.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )


def test_kubernetes_points_the_services_at_the_dev_kafka_and_postgres(monkeypatch):
    settings = _settings_from(_k8s_settings(), monkeypatch)
    services = {o["metadata"]["name"]: o for o in K8S_OBJECTS if o["kind"] == "Service"}
    host, port = settings.kafka_bootstrap.split(":")
    assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}
    registry = urlsplit(settings.registry)
    assert registry.port in {p["port"] for p in services[registry.hostname]["spec"]["ports"]}


def test_kubernetes_references_only_objects_it_creates_or_the_operator_does():
    created = {o["metadata"]["name"] for o in K8S_OBJECTS}
    for generator in _yaml(DEV_OVERLAY / "kustomization.yaml")["secretGenerator"]:
        created.add(generator["name"])
    for name, workload in WORKLOADS.items():
        pod = workload["spec"]["template"]["spec"]
        container = _container(workload)
        referenced = {
            ref.get("configMapRef", ref.get("secretRef"))["name"]
            for ref in container.get("envFrom", [])
        }
        referenced |= {
            v.get("secret", {}).get("secretName") or v.get("configMap", {}).get("name")
            for v in pod.get("volumes", [])
            if "secret" in v or "configMap" in v
        }
        assert referenced <= created | OPERATOR_SECRETS, name


# --- state ----------------------------------------------------------------------------


def test_the_engine_is_one_replica_with_its_journal_on_a_persistent_volume(monkeypatch):
    data_dir = str(_settings_from(_k8s_settings(), monkeypatch).data_dir)
    engine = WORKLOADS["engine"]
    assert engine["kind"] == "StatefulSet" and engine["spec"]["replicas"] == 1
    claims = {c["metadata"]["name"] for c in engine["spec"]["volumeClaimTemplates"]}
    mounts = {m["mountPath"]: m["name"] for m in _container(engine)["volumeMounts"]}
    assert mounts[data_dir] in claims
    named_volumes = set(COMPOSE["volumes"])
    compose_mounts = dict(v.split(":")[::-1][:2] for v in RUNNING_TCX["engine"]["volumes"])
    assert compose_mounts[data_dir] in named_volumes
    assert "deploy" not in RUNNING_TCX["engine"]  # compose would honour deploy.replicas


def test_the_services_that_serve_logins_read_the_member_file(monkeypatch):
    members = _settings_from(_k8s_settings(), monkeypatch).members
    for name in ("gateway", "surveillance"):
        mounts = {m["mountPath"] for m in _container(TCX_WORKLOADS[name])["volumeMounts"]}
        assert str(members.parent) in mounts, name
        compose_mounts = {v.split(":")[1] for v in RUNNING_TCX[name]["volumes"]}
        assert str(members.parent) in compose_mounts, name
    tool = TCX_SERVICES["members"]
    assert tool["environment"]["TCX_MEMBERS_FILE"] == str(members)
    assert f"members:{members.parent}" in tool["volumes"]  # writable, the same volume


# --- ports --------------------------------------------------------------------------


def _scrape_targets() -> dict[str, str]:
    (job,) = PROMETHEUS["scrape_configs"]
    return {
        static["labels"]["service"]: target
        for static in job["static_configs"]
        for target in static["targets"]
    }


@pytest.mark.parametrize("name", sorted(RUNNING_TCX))
def test_compose_ports_agree_with_the_http_port_setting(name, monkeypatch):
    service = RUNNING_TCX[name]
    settings = _settings_from(service_environment(service), monkeypatch)
    port = settings.http_port
    healthcheck = " ".join(service["healthcheck"]["test"])
    assert re.search(rf"127\.0\.0\.1:{port}/health", healthcheck)
    served = [port, settings.fix_port] if name == "gateway" else [port]
    assert [int(m.split(":")[-1]) for m in service.get("ports", [])] in ([], served)
    assert _scrape_targets()[name] == f"{name}:{port}"


@pytest.mark.skipif(
    shutil.which("promtool") is None and not os.environ.get("CI"),
    reason="promtool is not installed (scripts/test.sh installs it; CI fails without it)",
)
def test_prometheus_accepts_its_configuration():
    checked = subprocess.run(
        ["promtool", "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_scrapes_every_tcx_service_and_nothing_else():
    assert set(_scrape_targets()) == set(RUNNING_TCX)
    (job,) = PROMETHEUS["scrape_configs"]
    assert job["metrics_path"] == "/metrics"


@pytest.mark.parametrize("name", sorted(TCX_WORKLOADS))
def test_kubernetes_ports_agree_with_the_http_port_setting(name, monkeypatch):
    settings = _settings_from(_k8s_settings(), monkeypatch)
    port = settings.http_port
    workload = TCX_WORKLOADS[name]
    container = _container(workload)
    served = [port, settings.fix_port] if name == "gateway" else [port]
    assert [p["containerPort"] for p in container["ports"]] == served
    annotations = workload["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}
    for service in (o for o in K8S_OBJECTS if o["kind"] == "Service"):
        if service["metadata"]["name"] == name:
            names = ["http", "fix"] if name == "gateway" else ["http"]
            assert [p["targetPort"] for p in service["spec"]["ports"]] == names


def test_the_dev_prometheus_scrapes_pods_by_their_annotations():
    (config_map,) = [
        o for o in K8S_OBJECTS if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "prometheus"
    ]
    (job,) = yaml.safe_load(config_map["data"]["prometheus.yml"])["scrape_configs"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["tcx"]}}]
    read = {label for rule in job["relabel_configs"] for label in rule["source_labels"]}
    for workload in TCX_WORKLOADS.values():
        for annotation in workload["spec"]["template"]["metadata"]["annotations"]:
            meta = "__meta_kubernetes_pod_annotation_" + re.sub(r"[^a-z0-9]", "_", annotation)
            assert meta in read, f"Prometheus ignores the pods' {annotation}"


def test_grafana_reads_the_provisioned_prometheus_and_dashboards():
    (datasource,) = DATASOURCES["datasources"]
    prometheus_port = COMPOSE["services"]["prometheus"]["ports"][0].split(":")[-1]
    assert datasource["url"] == f"http://prometheus:{prometheus_port}"
    assert datasource["type"] == "prometheus" and datasource["isDefault"]
    (variable,) = DASHBOARD["templating"]["list"]  # the default, or any chosen on import
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    sources = [
        source
        for panel in DASHBOARD["panels"]
        for source in [panel["datasource"], *(t["datasource"] for t in panel["targets"])]
    ]
    assert all(s == {"type": "prometheus", "uid": f"${{{variable['name']}}}"} for s in sources)
    (provider,) = _yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "tcx.yaml")[
        "providers"
    ]
    mounts = dict(v.split(":")[:2] for v in COMPOSE["services"]["grafana"]["volumes"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]


# --- metrics ------------------------------------------------------------------------


def _exported_series() -> dict[str, str]:
    return series_types(prometheus_client.REGISTRY.collect())


def test_every_metric_grafana_and_prometheus_name_is_exported():
    exported = _exported_series()
    named = tcx_metrics(" ".join(dashboard_queries()))
    named |= tcx_metrics((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert named, "the dashboard queries no tcx metric"
    assert named <= set(exported), f"not exported: {sorted(named - set(exported))}"


def test_grafana_takes_rates_of_counters_and_quantiles_of_histograms():
    exported = _exported_series()
    for query in dashboard_queries():
        for metric in re.findall(r"(?:rate|increase)\((tcx_\w+)", query):
            assert metric.endswith(("_total", "_bucket")), f"rate of a gauge: {query}"
        for inner in re.findall(r"histogram_quantile\([^,]+,(.*)", query):
            (bucket,) = tcx_metrics(inner)
            assert bucket.endswith("_bucket") and exported[bucket] == "histogram", query


def test_the_dashboard_shows_throughput_latency_lag_and_alerts():
    queries = " ".join(dashboard_queries())
    for metric in (
        "tcx_engine_commands_total",
        "tcx_engine_batch_seconds_bucket",
        "tcx_journal_fsync_seconds_bucket",
        "tcx_surveillance_alerts_total",
    ):
        assert metric in queries
    assert "by (pattern)" in queries
    for consumer in ("settlement", "surveillance", "gateway"):
        assert f"max(tcx_engine_last_seq) - max(tcx_{consumer}_last_seq)" in queries


# --- kustomize ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kustomization", sorted(K8S.rglob("kustomization.yaml")), ids=lambda p: p.parent.name
)
def test_every_kustomize_resource_exists_and_every_manifest_is_listed(kustomization):
    directory = kustomization.parent
    resources = _yaml(kustomization)["resources"]
    for entry in resources:
        path = directory / entry
        assert path.is_file() or (path / "kustomization.yaml").is_file(), entry
    manifests = {p.name for p in directory.glob("*.yaml")} - {"kustomization.yaml"}
    assert manifests <= set(resources), f"not in {kustomization}: {manifests - set(resources)}"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("directory", [K8S / "base", DEV_OVERLAY], ids=["base", "dev"])
def test_kustomize_builds(directory):
    built = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    objects = [o for o in yaml.safe_load_all(built.stdout) if o]
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"tcx"}
    assert {
        o["metadata"]["name"] for o in objects if o["kind"] in {"StatefulSet", "Deployment"}
    } >= set(EVERYTHING)
