"""Supervisors' changes to the detectors' parameters at run time, every one audited.

A change makes the next version of one pattern's set, stored whole beside the set it
replaced, with who, when and why, in an append-only table. The parameters in force are
the defaults the service started with (its TOML file), each set overlaid by its newest
stored version when that is at least as new: a restart keeps the changes, and a file an
operator raised to a higher version wins. Subscribers (the runner) hear of a change after
its commit. Values are checked by `surveillance.parameters`, so a typo is refused with the
field named and nothing stored.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import msgspec

from surveillance.migrations import Database
from surveillance.parameters import (
    PATTERNS,
    ParameterError,
    Parameters,
    ParameterSet,
    parse_parameters,
)
from surveillance.workflow import Reason, Refused, User, require_comment, require_supervisor

log = logging.getLogger(__name__)


class ParameterChange(msgspec.Struct, frozen=True, kw_only=True):
    pattern: str
    version: int
    ts: int
    actor: str
    comment: str
    parameters: dict[str, Any]  # the whole set as of this version
    previous: dict[str, Any]  # the set it replaced


ParameterListener = Callable[[str, ParameterSet], None]

_COLUMNS = "pattern, version, ts, actor, comment, parameters, previous"


class ParameterHistory:
    """Made by the AlertStore, whose connection and lock it shares."""

    def __init__(self, database: Database, lock: threading.Lock, defaults: Parameters):
        self._database = database
        self._lock = lock
        self._defaults = defaults
        self._listeners: list[ParameterListener] = []

    def subscribe(self, listener: ParameterListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def current(self) -> Parameters:
        with self._lock:
            return self._current()

    def change(
        self, pattern: str, values: dict[str, Any], user: User, comment: str, now: int
    ) -> ParameterSet:
        """The next version of `pattern`'s set with `values` changed; `Refused` stores nothing."""
        require_supervisor(user)
        comment = require_comment(comment)
        _require_pattern(pattern)
        if not values:
            raise Refused(Reason.NO_CHANGE, "name at least one parameter to change")
        if "version" in values:
            raise Refused(
                Reason.BAD_PARAMETER, "version: set by the store, one more than the current"
            )
        with self._lock, self._database.transaction():
            before: ParameterSet = getattr(self._current(), pattern)
            table = msgspec.to_builtins(before) | values
            table["version"] = before.version + 1
            try:
                after: ParameterSet = getattr(parse_parameters({pattern: table}), pattern)
            except ParameterError as exc:
                raise Refused(Reason.BAD_PARAMETER, f"{exc.field}: {exc.reason}") from exc
            if msgspec.structs.replace(after, version=before.version) == before:
                raise Refused(Reason.NO_CHANGE, f"{pattern} already has these values")
            self._database.execute(
                f"INSERT INTO surveillance_parameter_versions ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    pattern,
                    after.version,
                    now,
                    user.name,
                    comment,
                    msgspec.json.encode(after).decode(),
                    msgspec.json.encode(before).decode(),
                ),
            )
        for listener in list(self._listeners):
            try:
                listener(pattern, after)
            except Exception:
                log.exception("parameter subscriber failed on %s v%d", pattern, after.version)
        return after

    def history(self, pattern: str) -> list[ParameterChange]:
        """Every stored version of `pattern`'s set, oldest first."""
        _require_pattern(pattern)
        with self._lock:
            rows = self._database.query(
                f"SELECT {_COLUMNS} FROM surveillance_parameter_versions "
                "WHERE pattern = ? ORDER BY version",
                (pattern,),
            )
        decode = msgspec.json.decode
        return [
            ParameterChange(
                pattern=row[0],
                version=row[1],
                ts=row[2],
                actor=row[3],
                comment=row[4],
                parameters=decode(row[5]),
                previous=decode(row[6]),
            )
            for row in rows
        ]

    def _current(self) -> Parameters:
        rows = self._database.query(
            "SELECT pattern, version, parameters FROM surveillance_parameter_versions AS v "
            "WHERE version = (SELECT MAX(version) FROM surveillance_parameter_versions "
            "WHERE pattern = v.pattern)"
        )
        newer = {}
        for pattern, version, stored in rows:
            if pattern not in PATTERNS:  # a detector since retired
                continue
            default: ParameterSet = getattr(self._defaults, pattern)
            if version >= default.version:
                newer[pattern] = msgspec.json.decode(stored, type=type(default))
        return msgspec.structs.replace(self._defaults, **newer)


def _require_pattern(pattern: str) -> None:
    if pattern not in PATTERNS:
        raise Refused(
            Reason.UNKNOWN_PATTERN, f"no detector {pattern!r}; known: {', '.join(PATTERNS)}"
        )
