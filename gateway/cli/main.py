"""The `tcx` command line: run the exchange, or one of its services, and administer it.

tcx up [--demo]           everything in one process (SQLite, in-process stream)
tcx engine | settlement | surveillance | gateway
                          one service per process, over Kafka (settings: stream = "kafka")
tcx admin ...             supervisors' administration of a running exchange (REST)
tcx admin compliance|pledge ...  the compliance year and pledge financing (REST)
tcx members ...           member and session logins (the member file)
tcx member ...            a member's FIX client: orders, cancels, reports, market data
tcx surveil ...           export a day's events from the journal; back-test detectors
tcx marketdata watch      print the market-data stream topic (over Kafka)
"""

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

import uvloop

from engine.reference import ReferenceDataError, load_reference_data
from gateway.cli.admin import add_admin_commands
from gateway.cli.compliance import add_compliance_commands
from gateway.cli.marketdata import add_market_data_commands
from gateway.cli.member import add_member_client_commands
from gateway.cli.members import add_member_commands
from gateway.cli.surveil import add_surveil_commands
from gateway.clock import SessionClock
from gateway.demo.compliance import seed_compliance
from gateway.demo.market import (
    DEMO_ACCOUNT,
    DEMO_MEMBER,
    DEMO_SUPERVISOR,
    DemoMarket,
    demo_directory,
)
from gateway.exchange import EVERYTHING, AlreadyRunning, Exchange, JournalBehindStream
from gateway.first_run import FIRST_SUPERVISOR, ensure_member_file
from gateway.members import MemberFileError
from gateway.settings import Settings, SettingsError, load_settings
from gateway.structured_logging import configure_logging

log = logging.getLogger("tcx")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (
        SettingsError,
        ReferenceDataError,
        MemberFileError,
        AlreadyRunning,
        JournalBehindStream,
    ) as error:
        print(f"tcx: {error}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tcx", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run the whole exchange in one process")
    _service_options(up)
    up.add_argument(
        "--demo",
        action="store_true",
        help="a fresh demo market with simulated members (data in DATA_DIR/demo, wiped)",
    )
    up.add_argument("--speed", type=float, default=1.0, help="demo clock speed (default 1)")
    up.set_defaults(run=_up)

    for component in EVERYTHING:
        service = commands.add_parser(component, help=f"run the {component} alone, over Kafka")
        _service_options(service)
        service.set_defaults(run=_one_service, component=component)

    add_compliance_commands(add_admin_commands(commands))
    add_member_commands(commands)
    add_member_client_commands(commands)
    add_surveil_commands(commands)
    add_market_data_commands(commands)
    return parser


def _service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (or TCX_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="journal, registry, FIX store")
    parser.add_argument("--host", dest="http_host", help="HTTP/FIX listen address")
    parser.add_argument("--port", dest="http_port", type=int, help="HTTP/FIX port")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config or os.environ.get("TCX_CONFIG"),
        data_dir=args.data_dir,
        http_host=args.http_host,
        http_port=args.http_port,
    )


def _up(args: argparse.Namespace) -> int:
    settings = _settings(args)
    configure_logging(settings.log_level)
    if args.demo:
        demo_dir = settings.data_dir / "demo"
        shutil.rmtree(demo_dir, ignore_errors=True)
        settings = settings.model_copy(update={"data_dir": demo_dir})
        calendar = load_reference_data(settings.reference_data).calendar
        exchange = Exchange(
            settings,
            clock=SessionClock(calendar, speed=args.speed),
            directory=demo_directory(),
        )
        demo = DemoMarket(
            exchange.gateway,
            exchange.reference,
            exchange.clock,
            registry_content=lambda: seed_compliance(
                exchange.gateway,
                exchange.reference,
                exchange.clock,
                settings.registry,
                exchange.compliance_exposure,
            ),
        )
        _print_welcome(settings, demo=True)
        return _run(exchange, demo.run)
    password = ensure_member_file(settings.members)
    exchange = Exchange(settings)
    _print_welcome(settings, demo=False, new_password=password)
    return _run(exchange)


def _one_service(args: argparse.Namespace) -> int:
    settings = _settings(args)
    configure_logging(settings.log_level)
    if settings.stream != "kafka":
        raise SettingsError(
            f'tcx {args.component} runs alone only over Kafka: set stream = "kafka" '
            "(TCX_STREAM=kafka) and kafka_bootstrap, or use `tcx up` for one process"
        )
    if args.component in ("gateway", "surveillance") and not settings.members.exists():
        raise SettingsError(
            f"no member file at {settings.members}: create the first supervisor with "
            "`tcx members --file FILE add-member ... --role supervisor` and "
            "`tcx members --file FILE add-session ...`, then set members_file"
        )
    return _run(Exchange(settings, components=(args.component,)))


def _run(exchange: Exchange, *extra) -> int:
    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        loop.add_signal_handler(signal.SIGHUP, _reload_members, exchange)
        await asyncio.gather(exchange.run(stop), *(task(stop) for task in extra))

    uvloop.run(serve())  # libuv's loop: less CPU per message than asyncio's
    log.info("stopped cleanly")
    return 0


def _reload_members(exchange: Exchange) -> None:
    try:
        exchange.reload_members()
    except MemberFileError as error:
        log.error("member file not reloaded, the logins in use stay: %s", error)


def _print_welcome(settings: Settings, demo: bool, new_password: str | None = None) -> None:
    base = f"http://{settings.http_host}:{settings.http_port}"
    lines = [
        "",
        "tcx — Tianjin carbon exchange" + (" (demo market)" if demo else ""),
        f"  dashboard           {base}/dashboard/",
        f"  REST API and docs   {base}/docs",
        f"  FIX 4.4 websocket   ws://{settings.http_host}:{settings.http_port}/fix",
        f"  metrics             {base}/metrics",
        f"  data                {settings.data_dir}",
    ]
    if demo:
        lines += [
            f"  supervisor login    {DEMO_SUPERVISOR[0]} / {DEMO_SUPERVISOR[1]}",
            f"  member FIX login    {DEMO_MEMBER[0]} / {DEMO_MEMBER[1]}  (account {DEMO_ACCOUNT})",
        ]
    elif new_password:
        lines += [
            f"  first start: supervisor {FIRST_SUPERVISOR} / {new_password}",
            f"  (saved hashed in {settings.members}; shown once)",
        ]
    lines += ["  stop with Ctrl-C", ""]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
