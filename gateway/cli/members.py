"""`tcx members ...`: the member file from the command line.

Operators add members and their FIX sessions here; a session's password is generated,
printed once and stored only as a hash. A running gateway reads the file when it starts
and again on `tcx admin reload-members` or SIGHUP.
"""

import argparse
import os
import secrets
import sys
from pathlib import Path

from gateway.members import (
    Directory,
    Member,
    Role,
    Session,
    SessionType,
    hash_password,
    load_directory,
    save_directory,
)


def add_member_commands(subparsers: argparse._SubParsersAction) -> None:
    members = subparsers.add_parser("members", help="member and session logins (member file)")
    members.add_argument(
        "--file",
        type=Path,
        default=Path(os.environ.get("TCX_MEMBERS_FILE", "var/members.toml")),
        help="the member file (default var/members.toml, or TCX_MEMBERS_FILE)",
    )
    commands = members.add_subparsers(dest="members_command", required=True, metavar="COMMAND")

    add = commands.add_parser("add-member", help="add or replace a member")
    add.add_argument("member")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.MEMBER.value)
    add.add_argument("--account", action="append", default=[], help="repeat for each account")
    add.set_defaults(run=_add_member)

    session = commands.add_parser(
        "add-session", help="add a FIX session for a member; prints its new password"
    )
    session.add_argument("session", help="SenderCompID and logon Username")
    session.add_argument("--member", required=True)
    session.add_argument(
        "--type", choices=[t.value for t in SessionType], default=SessionType.ORDER_ENTRY.value
    )
    session.add_argument("--cancel-on-disconnect", action="store_true")
    session.add_argument("--messages-per-second", type=int, default=50)
    session.set_defaults(run=_add_session)

    password = commands.add_parser("password", help="give a session a new password; prints it")
    password.add_argument("session")
    password.set_defaults(run=_new_password)

    remove = commands.add_parser("remove-session", help="remove a FIX session")
    remove.add_argument("session")
    remove.set_defaults(run=_remove_session)

    listing = commands.add_parser("list", help="members, their accounts and sessions")
    listing.set_defaults(run=_list)


def _load(path: Path) -> Directory:
    return load_directory(path) if path.exists() else Directory({}, {})


def _add_member(args: argparse.Namespace) -> int:
    directory = _load(args.file).with_member(
        Member(args.member, args.name, Role(args.role), frozenset(args.account))
    )
    args.file.parent.mkdir(parents=True, exist_ok=True)
    save_directory(directory, args.file)
    print(f"member {args.member} saved in {args.file}")
    return 0


def _add_session(args: argparse.Namespace) -> int:
    password = secrets.token_urlsafe(12)
    session = Session(
        args.session,
        args.member,
        SessionType(args.type),
        hash_password(password),
        args.cancel_on_disconnect,
        args.messages_per_second,
    )
    save_directory(_load(args.file).with_session(session), args.file)
    print(f"session {args.session} saved in {args.file}; password (shown once): {password}")
    return 0


def _new_password(args: argparse.Namespace) -> int:
    directory = _load(args.file)
    if args.session not in directory.sessions:
        return _no_session(args)
    password = secrets.token_urlsafe(12)
    save_directory(directory.with_password(args.session, password), args.file)
    print(f"session {args.session}: new password (shown once): {password}")
    return 0


def _remove_session(args: argparse.Namespace) -> int:
    directory = _load(args.file)
    if args.session not in directory.sessions:
        return _no_session(args)
    save_directory(directory.without_session(args.session), args.file)
    print(f"session {args.session} removed from {args.file}")
    return 0


def _no_session(args: argparse.Namespace) -> int:
    print(f"tcx members: no session {args.session!r} in {args.file}", file=sys.stderr)
    return 1


def _list(args: argparse.Namespace) -> int:
    directory = _load(args.file)
    for member in sorted(directory.members.values(), key=lambda m: m.id):
        accounts = ", ".join(sorted(member.accounts)) or "-"
        print(f"{member.id}  {member.role.value:<10}  {member.name}  accounts: {accounts}")
        for session in sorted(directory.sessions.values(), key=lambda s: s.id):
            if session.member == member.id:
                print(f"    session {session.id}  {session.type.value}")
    return 0
