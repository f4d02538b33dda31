"""The composition root: builds the exchange's parts from Settings and wires them.

Everything is written against the stream interface, so the same parts run in one process
(`tcx up`: the in-process stream, SQLite) or one per process over Kafka and PostgreSQL
(`tcx engine`, `tcx settlement`, `tcx gateway`). Only this module knows which.
"""

import asyncio
import fcntl
import logging
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter

from engine.auction_timer import AuctionTimer
from engine.block_timer import BlockTimer
from engine.command_intake import resume_point
from engine.commands import Command
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.engine_service import EngineService
from engine.event_replay import events_after
from engine.memory_stream import MemoryStream
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from engine.stream import EVENTS_TOPIC, Stream
from engine.timers import Timers
from gateway.clock import Clock, SessionClock, WallClock
from gateway.disclosure.desk import DisclosureDesk
from gateway.fix.acceptor import Acceptor
from gateway.fix.application import SessionId
from gateway.fix.dictionary import load_dictionary
from gateway.fix.logon_throttle import FailedLogonThrottle
from gateway.fix.password_checks import PasswordChecks
from gateway.fix.session import SessionSettings
from gateway.fix.store import SessionStore
from gateway.fix.websocket import FixServer
from gateway.holds_reconciliation import reconcile_holds
from gateway.members import Directory, MemberFileError, load_directory
from gateway.rest.admin import admin_router
from gateway.rest.app import create_app
from gateway.rest.auctions import auctions_routers
from gateway.rest.block_trades import block_admin_router
from gateway.rest.compliance import compliance_router
from gateway.rest.disclosure import disclosure_router
from gateway.rest.market_data import market_data_router
from gateway.rest.member_auth import MemberAuth
from gateway.rest.member_file_reload import MembersReloaded, members_router
from gateway.rest.reference_data import public_router
from gateway.rest.registry_reader import RegistryReader
from gateway.rest.restrictions import restrictions_router
from gateway.rest.supervisor_auth import SupervisorAuth
from gateway.settings import Settings
from gateway.trading.auction_board import AuctionBoard
from gateway.trading.fix_bridge import FixBridge
from gateway.trading.gateway_service import GatewayService
from gateway.trading.market_data import FixMarketData
from gateway.trading.member_application import MemberApplication
from settlement.compliance_operations import Exposure, HoldsExposure, RegistryExposure
from settlement.database import open_database
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.settlement_service import SettlementService
from surveillance.alerts_api import alerts_router
from surveillance.dashboard import DayHistory, dashboard_router
from surveillance.market_data import MarketDataPublisher
from surveillance.market_data.registry_bulletins import RegistryBulletins
from surveillance.market_data.stream_topic import TopicPublication, market_data_topic
from surveillance.parameters import Parameters
from surveillance.runner import Surveillance
from surveillance.store_thread import StoreThread
from surveillance.surveillance_service import SurveillanceService
from surveillance.warning_letters_api import warning_letters_router

log = logging.getLogger("tcx.exchange")

EVERYTHING = ("engine", "settlement", "surveillance", "gateway")


class AlreadyRunning(RuntimeError):
    """Another process holds this data directory's journal."""


class JournalBehindStream(RuntimeError):
    """The events topic holds seqs this journal never produced: another journal fed it
    (a wiped or wrong data directory). New events would reuse those seqs and every
    consumer would drop them as already seen, so the engine refuses to start."""


def open_stream(settings: Settings) -> Stream:
    if settings.stream == "kafka":
        from engine.kafka_stream import KafkaStream  # only the distributed mode needs aiokafka

        return KafkaStream(settings.kafka_bootstrap, fetch_wait_ms=settings.kafka_fetch_wait_ms)
    return MemoryStream()


class Exchange:
    """The parts that run in this process: any of engine, settlement, surveillance, gateway."""

    def __init__(
        self,
        settings: Settings,
        components: Sequence[str] = EVERYTHING,
        stream: Stream | None = None,
        clock: Clock | None = None,
        directory: Directory | None = None,
        serve_http: bool = True,
    ):
        self.settings = settings
        self.serve_http = serve_http  # the exchange side of a two-process `tcx up` serves none
        self.reference: ReferenceData = load_reference_data(settings.reference_data)
        self.stream = stream if stream is not None else open_stream(settings)
        if clock is None:
            session = settings.clock == "session"
            clock = SessionClock(self.reference.calendar) if session else WallClock()
        self.clock = clock
        self.components = tuple(components)
        self.started = time.time()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.journal_dir = settings.data_dir / "journal"
        self.engine: EngineService | None = None
        self.settlement: SettlementService | None = None
        self.gateway: GatewayService | None = None
        self.http: uvicorn.Server | None = None
        self.fix_port: int | None = None  # where the FIX websocket listens, once it does
        self.reconciliation: list[str] | None = None  # differences found at start-up
        if "engine" in self.components:
            self._lock = _lock_directory(settings.data_dir)
            policy = GroupCommit(
                max_commands=settings.journal_batch_size,
                snapshot_every=settings.snapshot_every,
            )
            self.sequencer = self.fresh_sequencer()
            durable = DurableSequencer(self.journal_dir, self.sequencer, policy)
            self.engine = EngineService(
                durable,
                self.stream,
                resume_point(self.journal_dir),
                timer=Timers(
                    AuctionTimer(self.sequencer.auctions, self.clock.now),
                    BlockTimer(self.sequencer.blocks, self.clock.now),
                ),
            )
        if "settlement" in self.components:
            self.settlement = SettlementService(
                lambda: Ledger.open(settings.registry, self.reference), self.stream
            )
        self.surveillance: SurveillanceService | None = None
        self.acceptor: Acceptor | None = None
        self.disclosure: DisclosureDesk | None = None  # where this process serves its REST
        self.directory: Directory | None = None  # the logins, where people log in
        # the demo's logins are built in; otherwise they come from the member file
        self.members_file = None if directory else settings.members
        self.app = create_app(self._routers(directory), self.health)

    def _routers(self, directory: Directory | None) -> list[APIRouter]:
        """What this process serves over HTTP besides /health and /metrics: the processes
        people talk to (gateway, surveillance) serve the APIs and need the logins."""
        settings = self.settings
        if not {"gateway", "surveillance", "admin"} & set(self.components):
            return []
        self.directory = directory or load_directory(settings.members)
        # one allowance of failed logins per address, whether it tries FIX, REST or the page
        self.logon_throttle = FailedLogonThrottle(
            max_failures=settings.failed_logins_per_minute, window_ns=60 * 1_000_000_000
        )
        self.password_checks = PasswordChecks(self.logon_throttle)
        auth = SupervisorAuth(self.directory, self.password_checks)
        routers = [members_router(self.reload_members, auth)]
        # the bulletins' own connection, used on the event loop's thread (see the store)
        self.bulletin_database = open_database(settings.registry)
        self.market_data = MarketDataPublisher(
            self.reference, RegistryBulletins(self.bulletin_database)
        )
        routers += [public_router(self.reference), market_data_router(self.market_data)]
        if "surveillance" in self.components:
            parameters = Parameters()
            self.alert_store = StoreThread(lambda: open_database(settings.registry), parameters)
            self.surveillance = SurveillanceService(
                self.stream,
                Surveillance(self.reference, parameters),
                self.alert_store,
                self.market_data,
                TopicPublication(self.stream, market_data_topic(settings.market_data_topic)),
                self.clock.now,
            )
            routers.append(alerts_router(self.alert_store, auth, self.clock.now))
            routers.append(warning_letters_router(self.alert_store, auth, self.clock.now))
            self.day_history = DayHistory(self.reference)
            routers.append(
                dashboard_router(
                    self.reference,
                    self.day_history,
                    self.alert_store,
                    auth,
                    self.clock.now,
                    self._registry_balances,
                )
            )
        if {"gateway", "admin"} & set(self.components):  # admin: REST without FIX
            name = "gateway" if "gateway" in self.components else "admin"
            self.gateway = GatewayService(self.stream, len(self.reference.instruments), name=name)
            if self.surveillance is None:  # market data then follows the gateway's events
                self.gateway.listeners.append(self.market_data.apply_all)
            self.registry_reader = RegistryReader(settings.registry, self.reference)
            routers.append(
                admin_router(self.gateway, self.reference, auth, self.clock, self.registry_reader)
            )
            if self.serve_http:  # compliance, disclosure, auctions: where HTTP is served
                routers.append(
                    restrictions_router(
                        self.gateway, self.reference, auth, self.clock, self.registry_reader
                    )
                )
                self.disclosure = DisclosureDesk(settings.registry, self.reference)
                self.gateway.listeners.append(self.disclosure.on_events)
                routers.append(disclosure_router(self.disclosure, auth, self.clock))
                routers.append(self._compliance_router(auth))
                self.auction_board = AuctionBoard()
                self.gateway.listeners.append(self.auction_board.apply_all)
                routers += auctions_routers(
                    self.gateway,
                    self.auction_board,
                    auth,
                    MemberAuth(self.directory, self.password_checks),
                    self.clock,
                )
                routers.append(block_admin_router(self.gateway, auth, self.clock))
        if "gateway" in self.components:
            self.acceptor = self._fix_acceptor()
        return routers

    def _compliance_router(self, auth: SupervisorAuth) -> APIRouter:
        return compliance_router(
            self.gateway,
            self.reference,
            auth,
            self.clock,
            self.settings.registry,
            self.compliance_exposure,
        )

    def compliance_exposure(self, ledger: Ledger) -> Exposure:
        """What compliance operations check first: the engine's holds when they live in
        this process, else the registry's balances (the engine's check stays the last)."""
        if self.engine is not None:
            return HoldsExposure(self.sequencer.holds)
        return RegistryExposure(ledger)

    def reload_members(self) -> MembersReloaded:
        """Reads the member file again, for new members and passwords without a restart.
        A file with a mistake changes nothing (MemberFileError names it); sessions removed
        from it, or moved to another member or type, are logged out."""
        if self.directory is None:
            raise MemberFileError("-", "(file)", "no one logs in to this process")
        if self.members_file is None:
            raise MemberFileError("<demo>", "(file)", "the demo market's logins are built in")
        dropped = self.directory.adopt(load_directory(self.members_file))
        gateway = self.settings.fix_comp_id
        logged_out = [
            session
            for session in dropped
            if self.acceptor is not None
            and self.acceptor.logout(SessionId(session, gateway), "removed from the member file")
        ]
        reloaded = MembersReloaded(
            members=len(self.directory.members),
            sessions=len(self.directory.sessions),
            logged_out=logged_out,
        )
        log.info("member file reloaded", extra={"file": str(self.members_file), **vars(reloaded)})
        return reloaded

    def _fix_acceptor(self) -> Acceptor:
        """The members' FIX 4.4 sessions, bridged to the member application and the engine,
        and to the market data publisher for MarketDataRequests."""
        fix_dir = self.settings.data_dir / "fix"
        self.fix_bridge = FixBridge(
            MemberApplication(self.directory, self.reference),
            self.directory,
            self.gateway,
            self.clock,
            self.settings.fix_comp_id,
            fix_dir / "delivered-seq",
        )
        calendar = self.reference.calendar
        acceptor = Acceptor(
            settings=SessionSettings(comp_id=self.settings.fix_comp_id),
            dictionary=load_dictionary(),
            store=SessionStore(fix_dir),
            authenticator=self.fix_bridge,
            application=self.fix_bridge,
            throttle=self.logon_throttle,
            password_checks=self.password_checks,
            trading_day=lambda ns: calendar.trading_date(ns).isoformat(),
        )
        self.fix_bridge.outbox = acceptor
        self.fix_bridge.market_data = FixMarketData(self.market_data, acceptor)
        self.gateway.listeners.append(self.fix_bridge.on_events)
        return acceptor

    async def _registry_balances(self, account: str) -> list[dict]:
        """For the dashboard's account page, where this process reads the registry."""
        if self.gateway is None:
            return []
        found = await self.registry_reader(lambda ledger: ledger.balances(account))
        return [{"asset": a, "state": s, "amount": n} for (a, s), n in sorted(found.items())]

    def fresh_sequencer(self) -> Sequencer:
        return Sequencer(self.reference, SettlementHolds(self.reference))

    async def submit(self, commands: Sequence[Command]) -> None:
        """Hands commands to the engine (through the commands topic)."""
        if self.gateway is None:
            raise RuntimeError("commands enter through the gateway, which is not in this process")
        await self.gateway.submit(commands)

    def health(self) -> dict:
        return {
            "ok": not any(part and part.stalled for part in (self.settlement, self.surveillance)),
            "components": list(self.components),
            "uptime_seconds": round(time.time() - self.started, 1),
            "engine_last_seq": self.engine.last_seq if self.engine else None,
            "settlement_last_seq": self.settlement.last_seq if self.settlement else None,
            "surveillance_last_seq": self.surveillance.last_seq if self.surveillance else None,
            "gateway_last_seq": self.gateway.last_seq if self.gateway else None,
        }

    async def run(self, stop: asyncio.Event) -> None:
        """Runs every component of this process until `stop` is set."""
        tasks = []
        if self.settlement is not None:
            tasks.append(asyncio.create_task(self.settlement.run(stop), name="settlement"))
        if self.engine is not None:
            await self._catch_up_consumers(stop)
            if self.settlement is not None:  # the registry is booked by this process
                self.reconciliation = await self._reconcile_holds()
            tasks.append(asyncio.create_task(self.engine.run(stop), name="engine"))
        if self.surveillance is not None:
            tasks.append(asyncio.create_task(self.surveillance.run(stop), name="surveillance"))
            tasks.append(
                asyncio.create_task(self.day_history.run(self.stream, stop), name="dashboard")
            )
        if self.gateway is not None:
            tasks.append(asyncio.create_task(self.gateway.run(stop), name="gateway"))
        if self.acceptor is not None:
            tasks.append(asyncio.create_task(self._serve_fix(stop), name="fix"))
        if self.serve_http:
            tasks.append(asyncio.create_task(self._serve_http(stop), name="http"))
        try:
            await asyncio.gather(*tasks)
        finally:
            stop.set()
            if self.gateway is not None:
                self.registry_reader.close()
            if self.disclosure is not None:
                await self.disclosure.close()
            if self.gateway is not None or self.surveillance is not None:
                self.bulletin_database.close()
            if self.surveillance is not None:
                self.alert_store.close()
            if self.engine is not None:
                self._lock.close()

    async def _reconcile_holds(self) -> list[str] | None:
        """Before the engine takes commands: its recovered holds against the registry."""
        registry = RegistryReader(self.settings.registry, self.reference)
        try:
            return await reconcile_holds(registry, self.reference, self.sequencer)
        finally:
            registry.close()

    async def _serve_http(self, stop: asyncio.Event) -> None:
        config = uvicorn.Config(
            self.app,
            host=self.settings.http_host,
            port=self.settings.http_port,
            log_level=self.settings.log_level,
            lifespan="off",
            log_config=None,  # uvicorn logs through our JSON handler
            timeout_graceful_shutdown=5,  # then open websockets are closed
            # X-Forwarded-For names the client only when a trusted proxy sends it
            proxy_headers=bool(self.settings.trusted_proxies),
            forwarded_allow_ips=list(self.settings.trusted_proxies) or None,
        )
        self.http = uvicorn.Server(config)
        self.http.install_signal_handlers = lambda: None  # the command line owns signals
        serving = asyncio.create_task(self.http.serve())
        await stop.wait()
        self.http.should_exit = True
        await serving

    async def _serve_fix(self, stop: asyncio.Event) -> None:
        """The members' FIX websocket, on its own port beside HTTP (picows, not ASGI)."""
        server = FixServer(self.acceptor)
        self.fix_port = await server.start(self.settings.http_host, self.settings.fix_port)
        await stop.wait()
        await server.close()

    async def _catch_up_consumers(self, stop: asyncio.Event) -> None:
        """Republishes from the journal the events the consumers cannot get otherwise.
        The in-process stream starts empty, so that is what this process's consumers have
        not seen (each skips what it already applied). A broker outlives the engine, so
        there it is what the topic lacks: a backlog the last run never delivered."""
        if isinstance(self.stream, MemoryStream):
            after = self._in_process_consumers_seq()
        else:
            after = await _unless_stopped(self.stream.last_seq(EVENTS_TOPIC), stop)
            if after is not None and after > self.sequencer.next_seq - 1:
                raise JournalBehindStream(
                    f"the events topic is at seq {after} but the journal in "
                    f"{self.journal_dir} only reaches seq {self.sequencer.next_seq - 1}: "
                    "start the engine on the data directory that fed this topic"
                )
        if after is not None and after < self.sequencer.next_seq - 1:
            await self.engine.republish(events_after(self.journal_dir, self.fresh_sequencer, after))
        self.engine.last_seq = self.sequencer.next_seq - 1

    def _in_process_consumers_seq(self) -> int | None:
        if self.gateway is not None or self.surveillance is not None:
            return 0  # the gateway's order views and surveillance rebuild from the day
        if self.settlement is None:
            return None
        ledger = Ledger.open(self.settings.registry, self.reference)
        try:
            return ledger.last_seq()
        finally:
            ledger.close()


async def _unless_stopped(work: Coroutine[Any, Any, int], stop: asyncio.Event) -> int | None:
    """`work`'s result, or None if `stop` comes first (a SIGTERM while the broker is away)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


def _lock_directory(data_dir: Path):
    """One engine per journal: a second process on the same data would corrupt it."""
    lock = open(data_dir / "engine.lock", "w")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise AlreadyRunning(
            f"{data_dir} is in use by another tcx engine (stop it, or use --data-dir)"
        ) from None
    return lock
