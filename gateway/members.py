"""Members, their FIX sessions and the accounts they may act for.

The member file (TOML) is the gateway's entitlement list:

    [members.M01]
    name = "Bohai Carbon Brokerage"
    role = "member"                 # member | supervisor
    accounts = ["A0101", "A0102"]   # each account belongs to exactly one member

    [sessions.M01-OE1]              # the session's SenderCompID, also its logon Username
    member = "M01"
    type = "order_entry"            # order_entry | drop_copy | market_data
    password = "scrypt$16384$8$1$<salt>$<hash>"
    cancel_on_disconnect = true     # optional, default false
    messages_per_second = 50        # optional, default 50

Passwords are stored only as salted scrypt hashes and compared in constant time. A bad file
is refused at load with a `MemberFileError` naming the field, so a typo never admits or
locks out a member silently.
"""

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

DEFAULT_MESSAGES_PER_SECOND = 50
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# scrypt cost: ~16 MiB and tens of milliseconds per logon; a stolen file stays expensive.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32


class Role(StrEnum):
    MEMBER = "member"
    SUPERVISOR = "supervisor"  # the exchange's desk: market-wide mass cancel, every drop copy


class SessionType(StrEnum):
    ORDER_ENTRY = "order_entry"
    DROP_COPY = "drop_copy"  # a read-only copy of every execution report of the member
    MARKET_DATA = "market_data"


class MemberFileError(ValueError):
    def __init__(self, path: str | Path, field_name: str, reason: str):
        super().__init__(f"{path}: {field_name}: {reason}")
        self.path = str(path)
        self.field = field_name
        self.reason = reason


class LogonRefused(Exception):
    """Why a logon failed, for the gateway's log. The member is told only that it failed,
    so nobody can probe which session ids exist."""


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    role: Role
    accounts: frozenset[str]


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    member: str
    type: SessionType
    password_hash: str
    cancel_on_disconnect: bool = False
    messages_per_second: int = DEFAULT_MESSAGES_PER_SECOND


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(key)]
    )


def verify_password(password: str, stored: str) -> bool:
    n, r, p, salt, key = _parse_hash(stored)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), key)


@functools.cache
def _unknown_session_hash() -> str:
    return hash_password(secrets.token_urlsafe())


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=_KEY_BYTES
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """Raises ValueError saying what is wrong with a stored hash."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("must be 'scrypt$N$r$p$salt$hash' (set it with a password command)")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise ValueError(f"malformed scrypt hash ({exc})") from exc
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or len(salt) < 8 or len(key) != _KEY_BYTES:
        raise ValueError("scrypt parameters, salt or hash length out of range")
    return n, r, p, salt, key


class Directory:
    """Who may log on, for which member, and which accounts that member may act for."""

    def __init__(self, members: dict[str, Member], sessions: dict[str, Session]):
        self.members = members
        self.sessions = sessions
        self._owner = {account: m.id for m in members.values() for account in m.accounts}
        self._granted: dict[str, str] = {}  # account -> member, granted since the file was read
        supervision = [
            s
            for s in sessions.values()
            if s.type is SessionType.DROP_COPY and members[s.member].role is Role.SUPERVISOR
        ]
        self._report_sessions = {
            member: [
                s
                for s in sessions.values()
                if s.member == member and s.type is not SessionType.MARKET_DATA
            ]
            + [s for s in supervision if s.member != member]
            for member in members
        }

    def authenticate(self, session_id: str, password: str) -> Session:
        """The session, or `LogonRefused`. An unknown session id costs the same scrypt
        work as a wrong password, so timing does not reveal which ids exist."""
        session = self.sessions.get(session_id)
        if session is None:
            verify_password(password, _unknown_session_hash())
            raise LogonRefused(f"unknown session {session_id!r}")
        if not verify_password(password, session.password_hash):
            raise LogonRefused(f"wrong password for session {session_id!r}")
        return session

    def member_of(self, account: str) -> str | None:
        return self._owner.get(account)

    def may_act_for(self, member: str, account: str) -> bool:
        return self._owner.get(account) == member

    def report_sessions(self, member: str) -> list[Session]:
        """Sessions that receive the member's execution reports: its order-entry and
        drop-copy sessions, plus every supervisor's drop-copy session."""
        return self._report_sessions.get(member, [])

    def grant_account(self, account: str, member: str) -> bool:
        """An account the registry opened for `member` (an AccountOpened event): the member
        may act for it from now on. False, and nothing changed, for an unknown member or
        an account that already belongs to another member."""
        owner = self._owner.get(account)
        if member not in self.members or owner not in (None, member):
            return False
        if owner is None:
            self._owner[account] = member
            self._granted[account] = member
            known = self.members[member]
            self.members[member] = replace(known, accounts=known.accounts | {account})
        return True

    def adopt(self, newer: "Directory") -> list[str]:
        """Takes the logins of a re-read member file in place (every part of the gateway
        holds this object), keeping the accounts the registry granted since the last read.
        Returns the sessions that are gone or now belong to another member or session type:
        those logged on must be logged out."""
        dropped = [
            session.id
            for session in self.sessions.values()
            if (kept := newer.sessions.get(session.id)) is None
            or (kept.member, kept.type) != (session.member, session.type)
        ]
        granted = {
            account: member
            for account, member in self._granted.items()
            if member in newer.members and newer.member_of(account) in (None, member)
        }
        members = dict(newer.members)
        for account, member in granted.items():
            known = members[member]
            members[member] = replace(known, accounts=known.accounts | {account})
        rebuilt = Directory(members, newer.sessions)
        self.members, self.sessions = rebuilt.members, rebuilt.sessions
        self._owner, self._report_sessions = rebuilt._owner, rebuilt._report_sessions
        self._granted = granted
        return dropped

    def with_member(self, member: Member) -> "Directory":
        """A directory with `member` added or replaced; its accounts must be no one else's."""
        _check_id("members", member.id)
        for account in member.accounts:
            _check_id(f"members.{member.id}.accounts", account)
            owner = self._owner.get(account)
            if owner is not None and owner != member.id:
                raise MemberFileError(
                    "<directory>",
                    f"members.{member.id}.accounts",
                    f"account {account!r} already belongs to member {owner}",
                )
        return Directory({**self.members, member.id: member}, self.sessions)

    def with_session(self, session: Session) -> "Directory":
        _check_id("sessions", session.id)
        if session.member not in self.members:
            raise MemberFileError(
                "<directory>", f"sessions.{session.id}.member", f"no member {session.member!r}"
            )
        return Directory(self.members, {**self.sessions, session.id: session})

    def without_session(self, session_id: str) -> "Directory":
        return Directory(self.members, {k: v for k, v in self.sessions.items() if k != session_id})

    def with_password(self, session_id: str, password: str) -> "Directory":
        session = self.sessions[session_id]
        return self.with_session(replace(session, password_hash=hash_password(password)))


def _check_id(field_name: str, value: str) -> None:
    if not _ID.fullmatch(value):
        raise MemberFileError(
            "<directory>",
            field_name,
            f"{value!r} must be 1-64 letters, digits, '_', '.' or '-', starting with a letter "
            "or digit",
        )


def load_directory(path: str | Path) -> Directory:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MemberFileError(path, "(file)", "no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MemberFileError(path, "(syntax)", str(exc)) from exc
    return parse_directory(raw, path)


def parse_directory(raw: dict, path: str | Path = "<memory>") -> Directory:
    def fail(field_name: str, reason: str) -> MemberFileError:
        return MemberFileError(path, field_name, reason)

    def table(parent: dict, key: str, name: str) -> dict:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise fail(name, "must be a table")
        return value

    def text(parent: dict, key: str, name: str, default: str | None = None) -> str:
        value = parent.get(key, default)
        if value is None:
            raise fail(name, "missing")
        if not isinstance(value, str):
            raise fail(name, f"{value!r} must be text")
        return value

    def choice(parent: dict, key: str, name: str, options: type[StrEnum], default=None):
        value = text(parent, key, name, default)
        if value not in options._value2member_map_:
            raise fail(name, f"{value!r} is not one of {', '.join(options)}")
        return options(value)

    directory = Directory({}, {})
    for member_id, entry in table(raw, "members", "members").items():
        prefix = f"members.{member_id}"
        if not isinstance(entry, dict):
            raise fail(prefix, "must be a table")
        accounts = entry.get("accounts", [])
        if not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts):
            raise fail(f"{prefix}.accounts", "must be a list of account ids")
        if len(set(accounts)) != len(accounts):
            raise fail(f"{prefix}.accounts", "lists an account twice")
        member = Member(
            id=member_id,
            name=text(entry, "name", f"{prefix}.name", member_id),
            role=choice(entry, "role", f"{prefix}.role", Role, Role.MEMBER.value),
            accounts=frozenset(accounts),
        )
        directory = _relabel(path, directory.with_member, member)
    for session_id, entry in table(raw, "sessions", "sessions").items():
        prefix = f"sessions.{session_id}"
        if not isinstance(entry, dict):
            raise fail(prefix, "must be a table")
        password_hash = text(entry, "password", f"{prefix}.password")
        try:
            _parse_hash(password_hash)
        except ValueError as exc:
            raise fail(f"{prefix}.password", str(exc)) from exc
        cancel_on_disconnect = entry.get("cancel_on_disconnect", False)
        if not isinstance(cancel_on_disconnect, bool):
            raise fail(f"{prefix}.cancel_on_disconnect", "must be true or false")
        rate = entry.get("messages_per_second", DEFAULT_MESSAGES_PER_SECOND)
        if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
            raise fail(f"{prefix}.messages_per_second", f"{rate!r} must be a whole number >= 1")
        session = Session(
            id=session_id,
            member=text(entry, "member", f"{prefix}.member"),
            type=choice(entry, "type", f"{prefix}.type", SessionType),
            password_hash=password_hash,
            cancel_on_disconnect=cancel_on_disconnect,
            messages_per_second=rate,
        )
        directory = _relabel(path, directory.with_session, session)
    return directory


def _relabel(path: str | Path, build, item: Member | Session) -> Directory:
    """Runs a Directory builder, naming the file in any error it raises."""
    try:
        return build(item)
    except MemberFileError as exc:
        raise MemberFileError(path, exc.field, exc.reason) from None


def save_directory(directory: Directory, path: str | Path) -> None:
    """Writes the member file atomically, readable by its owner only (it holds hashes)."""
    lines: list[str] = []
    for member in sorted(directory.members.values(), key=lambda m: m.id):
        lines += [
            f"[members.{_toml(member.id)}]",
            f"name = {_toml(member.name)}",
            f"role = {_toml(member.role.value)}",
            f"accounts = [{', '.join(_toml(a) for a in sorted(member.accounts))}]",
            "",
        ]
    for session in sorted(directory.sessions.values(), key=lambda s: s.id):
        lines += [
            f"[sessions.{_toml(session.id)}]",
            f"member = {_toml(session.member)}",
            f"type = {_toml(session.type.value)}",
            f"password = {_toml(session.password_hash)}",
            f"cancel_on_disconnect = {'true' if session.cancel_on_disconnect else 'false'}",
            f"messages_per_second = {session.messages_per_second}",
            "",
        ]
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines))
    os.replace(temporary, path)


def _toml(value: str) -> str:
    """A TOML basic string: backslash, quote and every control character escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
