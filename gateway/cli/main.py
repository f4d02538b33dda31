"""The `tcx` command line: run the exchange, or one of its services, and administer it.

tcx up [--demo]           the exchange (engine, FIX gateway) and its back office (settlement,
                          surveillance, REST, dashboard) as two processes; --one-process
                          for one (SQLite, in-process stream)
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
import importlib.metadata
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

import uvloop

from engine.reference import ReferenceDataError, load_reference_data
from gateway.back_office import (
    BACK_OFFICE_SIDE,
    EXCHANGE_SIDE,
    BackOfficeProcess,
    back_office_arguments,
    back_office_stream,
    run_back_office,
)
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
    MORNING,
    DemoMarket,
    demo_directory,
)
from gateway.exchange import EVERYTHING, AlreadyRunning, Exchange, JournalBehindStream
from gateway.first_run import FIRST_SUPERVISOR, ensure_member_file
from gateway.fix import accelerator
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
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run the whole exchange: exchange and back office")
    _service_options(up)
    up.add_argument(
        "--one-process",
        action="store_true",
        help="everything in this process, no back-office process (tests, small installations)",
    )
    up.add_argument(
        "--demo",
        action="store_true",
        help="a fresh demo market with simulated members (data in DATA_DIR/demo, wiped)",
    )
    up.add_argument("--speed", type=float, default=1.0, help="demo clock speed (default 1)")
    up.set_defaults(run=_up)

    office = commands.add_parser("back-office", help="the back office of `tcx up` (it starts it)")
    _service_options(office)
    office.add_argument("--demo-speed", type=float, help="the demo market's logins and clock")
    office.set_defaults(run=_back_office)

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


def _version() -> str:
    """The package's version and which FIX codec runs (the accelerator is optional)."""
    try:
        number = importlib.metadata.version("tcx")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout
        number = "(not installed)"
    return f"tcx {number}; {accelerator.in_use()}"


def _service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (or TCX_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="journal, registry, FIX store")
    parser.add_argument("--host", dest="http_host", help="HTTP and FIX listen address")
    parser.add_argument("--port", dest="http_port", type=int, help="HTTP port")
    parser.add_argument("--fix-port", dest="fix_port", type=int, help="FIX websocket port")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config or os.environ.get("TCX_CONFIG"),
        data_dir=args.data_dir,
        http_host=args.http_host,
        http_port=args.http_port,
        fix_port=args.fix_port,
    )


def _up(args: argparse.Namespace) -> int:
    settings = _settings(args)
    configure_logging(settings.log_level)
    parts = {
        "components": EVERYTHING if args.one_process else EXCHANGE_SIDE,
        "serve_http": args.one_process,  # else the back office serves HTTP
    }
    password = None
    if args.demo:
        demo_dir = settings.data_dir / "demo"
        shutil.rmtree(demo_dir, ignore_errors=True)
        settings = settings.model_copy(update={"data_dir": demo_dir})
        calendar = load_reference_data(settings.reference_data).calendar
        parts |= {
            "clock": SessionClock(calendar, speed=args.speed, into_session=MORNING),
            "directory": demo_directory(),
        }
    else:
        password = ensure_member_file(settings.members)
    exchange = Exchange(settings, **parts)
    clock = exchange.clock
    extra = []
    if args.demo:
        demo = DemoMarket(
            exchange.gateway,
            exchange.reference,
            clock,
            clock.opening,
            registry_content=lambda: seed_compliance(
                exchange.gateway,
                exchange.reference,
                clock,
                settings.registry,
                exchange.compliance_exposure,
            ),
        )
        extra.append(demo.run)
    office = None
    if not args.one_process:
        office = BackOfficeProcess(
            back_office_arguments(
                settings.data_dir,
                args.config or os.environ.get("TCX_CONFIG"),
                args.speed if args.demo else None,
                settings.http_host,
                settings.http_port,
            ),
            settings.data_dir,
        )
        extra.append(lambda stop: run_back_office(exchange, office, stop))
    _print_welcome(settings, demo=args.demo, new_password=password)
    return _run(exchange, *extra, office=office)


def _back_office(args: argparse.Namespace) -> int:
    """Settlement, surveillance, REST and the dashboard, reading the exchange's stream."""
    settings = _settings(args)
    configure_logging(settings.log_level)
    parts = {}
    if args.demo_speed is not None:
        calendar = load_reference_data(settings.reference_data).calendar
        parts = {
            "clock": SessionClock(calendar, speed=args.demo_speed, into_session=MORNING),
            "directory": demo_directory(),
        }
    stream = back_office_stream(settings.data_dir)
    return _run(Exchange(settings, components=BACK_OFFICE_SIDE, stream=stream, **parts))


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


def _run(exchange: Exchange, *extra, office: BackOfficeProcess | None = None) -> int:
    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        loop.add_signal_handler(signal.SIGHUP, _reload_members, exchange, office)
        await asyncio.gather(exchange.run(stop), *(task(stop) for task in extra))

    uvloop.run(serve())  # libuv's loop: less CPU per message than asyncio's
    log.info("stopped cleanly")
    return 0


def _reload_members(exchange: Exchange, office: BackOfficeProcess | None = None) -> None:
    if office is not None:  # its REST and dashboard logins
        office.forward(signal.SIGHUP)
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
        f"  FIX 4.4 websocket   ws://{settings.http_host}:{settings.fix_port}/fix",
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
