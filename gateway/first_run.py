"""The first start on a new data directory: a member file with one supervisor login.

An exchange with no logins cannot be administered, and a fixed default password would
be a hole; so the first start writes a supervisor with a random password and prints it
once. The operator adds members with `tcx members add`.
"""

import secrets
from pathlib import Path

from gateway.members import (
    Directory,
    Member,
    Role,
    Session,
    SessionType,
    hash_password,
    save_directory,
)

FIRST_SUPERVISOR = "SUPERVISOR"


def ensure_member_file(path: Path) -> str | None:
    """Creates the member file if there is none; returns the new supervisor's password."""
    if path.exists():
        return None
    password = secrets.token_urlsafe(12)
    directory = Directory(
        {
            "EXCHANGE": Member(
                "EXCHANGE", "Exchange market supervision", Role.SUPERVISOR, frozenset()
            )
        },
        {
            FIRST_SUPERVISOR: Session(
                FIRST_SUPERVISOR, "EXCHANGE", SessionType.DROP_COPY, hash_password(password)
            )
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_directory(directory, path)
    return password
