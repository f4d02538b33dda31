"""Service configuration: one TOML file and TCX_* environment variables, checked at start.

Precedence, highest first: environment (TCX_HTTP_PORT=9000), the TOML file given by
`--config` or TCX_CONFIG, then the embedded defaults, which run the whole exchange in one
process on SQLite with the in-process stream. A bad value stops the service before it
starts, with a message that names the setting.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from engine.reference import DEFAULT_PATH as DEFAULT_REFERENCE_DATA
from surveillance.market_data.stream_topic import MARKET_DATA_TOPIC


class SettingsError(ValueError):
    """A configuration problem, phrased for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TCX_", extra="forbid")

    data_dir: Path = Field(Path("var"), description="journal, snapshots, registry, FIX store")
    reference_data: Path = Field(DEFAULT_REFERENCE_DATA, description="instruments and market rules")
    members_file: Path | None = Field(
        None, description="member and session logins (TOML); default data_dir/members.toml"
    )
    registry_url: str = Field(
        "", description="sqlite:///PATH or postgresql://...; empty = SQLite in data_dir"
    )
    stream: Literal["memory", "kafka"] = "memory"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_fetch_wait_ms: int = Field(
        10, ge=1, le=500, description="longest a consumer's fetch waits at the broker for news"
    )
    market_data_topic: str = Field(
        MARKET_DATA_TOPIC,
        pattern=r"^[A-Za-z0-9._-]{1,200}$",
        description="the stream topic surveillance publishes market data on",
    )
    fix_comp_id: str = Field("TCX", description="the exchange's CompID (TargetCompID for members)")
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=0, le=65535)
    trusted_proxies: list[str] = Field(
        [],
        description="addresses of reverse proxies whose X-Forwarded-For names the client; "
        "empty: the peer address is the client, whatever headers say",
    )
    failed_logins_per_minute: int = Field(
        5, ge=1, le=1000, description="per address, FIX, REST and dashboard together"
    )
    fix_port: int = Field(
        8001, ge=0, le=65535, description="the members' FIX websocket (ws://HOST:PORT/fix)"
    )
    journal_batch_size: int = Field(
        512, ge=1, description="commands waiting for the journal before reading pauses"
    )
    snapshot_every: int = Field(100_000, ge=1, description="commands between snapshots")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    clock: Literal["wall", "session"] = Field(
        "wall",
        description="session: commands stamped from today's first trading session on, "
        "at any hour (demos, benchmarks); never in production",
    )

    @field_validator("registry_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if url and not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url

    @property
    def members(self) -> Path:
        return self.members_file or self.data_dir / "members.toml"

    @property
    def registry(self) -> str:
        return self.registry_url or f"sqlite:///{self.data_dir / 'registry.sqlite3'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)


def load_settings(config_file: str | Path | None = None, **overrides) -> Settings:
    """Defaults < TOML file < environment < explicit overrides (the command line)."""
    settings_class = Settings
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise SettingsError(f"configuration file {path}: no such file")
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": path})
        settings_class = type("FileSettings", (Settings,), {"model_config": config})
    try:
        settings = settings_class(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise SettingsError(_describe(exc, config_file)) from None
    return settings


def _describe(error: ValidationError, config_file: str | Path | None) -> str:
    where = f" (from {config_file} or TCX_* environment)" if config_file else ""
    lines = [f"invalid configuration{where}:"]
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        lines.append(f"  {name} (env TCX_{name.upper()}): {problem['msg']}")
    return "\n".join(lines)
