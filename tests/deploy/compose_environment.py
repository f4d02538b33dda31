"""What a compose service's process sees: the image's TCX_* settings, then the service's."""

import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def compose_file() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def image_environment() -> dict[str, str]:
    """TCX_* values the Dockerfile's ENV lines set (continued with backslashes)."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    pairs = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            pairs.update(re.findall(r"(\w+)=(\S+)", line))
    return {name: value for name, value in pairs.items() if name.startswith("TCX_")}


def service_environment(service: dict) -> dict[str, str]:
    return {**image_environment(), **{k: str(v) for k, v in service.get("environment", {}).items()}}
