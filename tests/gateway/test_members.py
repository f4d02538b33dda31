"""The member file: hashed credentials, accounts, session types, roles; load and save."""

import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.members import (
    Directory,
    LogonRefused,
    Member,
    MemberFileError,
    Role,
    Session,
    SessionType,
    hash_password,
    load_directory,
    parse_directory,
    save_directory,
    verify_password,
)

HASH = hash_password("s3cret")


def raw_file() -> dict:
    return {
        "members": {
            "M01": {"name": "Bohai Carbon", "accounts": ["A1", "A2"]},
            "M02": {"name": "Jinmen Trading", "accounts": ["B1"]},
            "SUP": {"name": "TCX market supervision", "role": "supervisor"},
        },
        "sessions": {
            "M01-OE": {"member": "M01", "type": "order_entry", "password": HASH},
            "M01-DC": {"member": "M01", "type": "drop_copy", "password": HASH},
            "M01-MD": {"member": "M01", "type": "market_data", "password": HASH},
            "M02-OE": {
                "member": "M02",
                "type": "order_entry",
                "password": HASH,
                "cancel_on_disconnect": True,
                "messages_per_second": 5,
            },
            "SUP-DC": {"member": "SUP", "type": "drop_copy", "password": HASH},
        },
    }


@pytest.fixture(scope="module")
def directory() -> Directory:
    return parse_directory(raw_file())


def test_password_is_stored_salted_and_verifies():
    password = "correct horse battery staple"
    first, second = hash_password("pw"), hash_password("pw")
    assert first != second  # per-hash salt
    assert password not in hash_password(password)  # a two-letter one may occur in base64
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_password("pw", first)
    assert not verify_password("pW", first)


def test_authenticate_returns_the_session(directory):
    session = directory.authenticate("M02-OE", "s3cret")
    assert session.member == "M02"
    assert session.type is SessionType.ORDER_ENTRY
    assert session.cancel_on_disconnect
    assert session.messages_per_second == 5


def test_authenticate_refuses_wrong_password_and_unknown_session(directory):
    with pytest.raises(LogonRefused, match="wrong password for session 'M01-OE'"):
        directory.authenticate("M01-OE", "guess")
    with pytest.raises(LogonRefused, match="unknown session 'M99'"):
        directory.authenticate("M99", "s3cret")


def test_defaults(directory):
    assert directory.members["M01"].role is Role.MEMBER
    assert directory.members["SUP"].role is Role.SUPERVISOR
    assert directory.members["SUP"].accounts == frozenset()
    session = directory.sessions["M01-OE"]
    assert not session.cancel_on_disconnect
    assert session.messages_per_second == 50


def test_accounts_belong_to_one_member(directory):
    assert directory.member_of("A2") == "M01"
    assert directory.member_of("B1") == "M02"
    assert directory.member_of("Z9") is None
    assert directory.may_act_for("M01", "A1")
    assert not directory.may_act_for("M01", "B1")
    assert not directory.may_act_for("SUP", "A1")


def test_report_sessions_are_the_members_own_and_supervisor_drop_copies(directory):
    assert sorted(s.id for s in directory.report_sessions("M01")) == [
        "M01-DC",
        "M01-OE",
        "SUP-DC",
    ]
    assert sorted(s.id for s in directory.report_sessions("M02")) == ["M02-OE", "SUP-DC"]
    assert [s.id for s in directory.report_sessions("SUP")] == ["SUP-DC"]


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda r: r["members"].__setitem__("M01", "x"), "members.M01", "must be a table"),
        (
            lambda r: r["members"]["M01"].__setitem__("accounts", "A1"),
            "members.M01.accounts",
            "must be a list of account ids",
        ),
        (
            lambda r: r["members"]["M01"].__setitem__("accounts", ["A1", "A1"]),
            "members.M01.accounts",
            "lists an account twice",
        ),
        (
            lambda r: r["members"]["M02"].__setitem__("accounts", ["A1"]),
            "members.M02.accounts",
            "account 'A1' already belongs to member M01",
        ),
        (
            lambda r: r["members"]["M01"].__setitem__("role", "admin"),
            "members.M01.role",
            "'admin' is not one of member, supervisor",
        ),
        (
            lambda r: r["members"]["M01"].__setitem__("name", 7),
            "members.M01.name",
            "7 must be text",
        ),
        (
            lambda r: r["members"].__setitem__("bad id", {}),
            "members",
            "'bad id' must be 1-64 letters",
        ),
        (
            lambda r: r["members"]["M01"].__setitem__("accounts", [""]),
            "members.M01.accounts",
            "'' must be 1-64 letters",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("member", "M77"),
            "sessions.M01-OE.member",
            "no member 'M77'",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].pop("member"),
            "sessions.M01-OE.member",
            "missing",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("type", "admin"),
            "sessions.M01-OE.type",
            "'admin' is not one of order_entry, drop_copy, market_data",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("password", "plaintext"),
            "sessions.M01-OE.password",
            "must be 'scrypt$N$r$p$salt$hash'",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("password", "scrypt$3$8$1$AAAA$AAAA"),
            "sessions.M01-OE.password",
            "out of range",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("password", "scrypt$x$8$1$AA$AA"),
            "sessions.M01-OE.password",
            "malformed scrypt hash",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("cancel_on_disconnect", "yes"),
            "sessions.M01-OE.cancel_on_disconnect",
            "must be true or false",
        ),
        (
            lambda r: r["sessions"]["M01-OE"].__setitem__("messages_per_second", 0),
            "sessions.M01-OE.messages_per_second",
            "0 must be a whole number >= 1",
        ),
        (lambda r: r.__setitem__("sessions", []), "sessions", "must be a table"),
    ],
)
def test_bad_file_names_the_field(mutate, field, reason):
    raw = raw_file()
    mutate(raw)
    with pytest.raises(MemberFileError) as caught:
        parse_directory(raw, "members.toml")
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"members.toml: {field}: ")


def test_load_reports_missing_file_and_syntax(tmp_path):
    with pytest.raises(MemberFileError, match=r"\(file\): no such file"):
        load_directory(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[members\n")
    with pytest.raises(MemberFileError) as caught:
        load_directory(broken)
    assert caught.value.field == "(syntax)"


def test_save_then_load_is_the_same_directory_and_owner_only(directory, tmp_path):
    path = tmp_path / "members.toml"
    save_directory(directory, path)
    loaded = load_directory(path)
    assert loaded.members == directory.members
    assert loaded.sessions == directory.sessions
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "s3cret" not in path.read_text()


def test_building_a_directory_and_changing_a_password(tmp_path):
    directory = (
        Directory({}, {})
        .with_member(Member("M05", "Haihe", Role.MEMBER, frozenset({"C1"})))
        .with_session(Session("M05-OE", "M05", SessionType.ORDER_ENTRY, HASH))
        .with_password("M05-OE", "new password")
    )
    assert directory.authenticate("M05-OE", "new password").member == "M05"
    with pytest.raises(LogonRefused):
        directory.authenticate("M05-OE", "s3cret")
    with pytest.raises(MemberFileError, match="account 'C1' already belongs to member M05"):
        directory.with_member(Member("M06", "Other", Role.MEMBER, frozenset({"C1"})))


ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,10}", fullmatch=True)


@settings(max_examples=30, deadline=None)
@given(
    name=st.text(max_size=30),
    accounts=st.lists(ids, unique=True, max_size=4),
    member_id=ids,
    session_id=ids,
    session_type=st.sampled_from(SessionType),
    cancel=st.booleans(),
    rate=st.integers(1, 10_000),
)
def test_any_valid_directory_round_trips_through_the_file(
    tmp_path_factory, name, accounts, member_id, session_id, session_type, cancel, rate
):
    directory = (
        Directory({}, {})
        .with_member(Member(member_id, name, Role.SUPERVISOR, frozenset(accounts)))
        .with_session(Session(session_id, member_id, session_type, HASH, cancel, rate))
    )
    path = tmp_path_factory.mktemp("members") / "members.toml"
    save_directory(directory, path)
    loaded = load_directory(path)
    assert loaded.members == directory.members
    assert loaded.sessions == directory.sessions


def test_accounts_the_registry_opens_are_granted_to_their_member():
    directory = parse_directory(
        {
            "members": {
                "M1": {"name": "One", "role": "member", "accounts": ["A1"]},
                "M2": {"name": "Two", "role": "member", "accounts": []},
            },
            "sessions": {},
        }
    )
    assert directory.grant_account("A9", "M2")
    assert directory.may_act_for("M2", "A9")
    assert "A9" in directory.members["M2"].accounts
    assert not directory.grant_account("A1", "M2")  # already M1's
    assert not directory.grant_account("A7", "NOBODY")
    assert directory.member_of("A1") == "M1" and directory.member_of("A7") is None


def _logins(members: dict, sessions: dict) -> Directory:
    """A directory as parsed from a file; session passwords are their ids."""
    return parse_directory(
        {
            "members": {
                member: {"name": member, "role": "member", "accounts": accounts}
                for member, accounts in members.items()
            },
            "sessions": {
                session: {
                    "member": member,
                    "type": kind,
                    "password": hash_password(session),
                }
                for session, (member, kind) in sessions.items()
            },
        }
    )


def test_adopting_a_reread_file_changes_the_directory_in_place():
    directory = _logins(
        {"M1": ["A1"], "M2": ["A2"]},
        {
            "M1-OE": ("M1", "order_entry"),
            "M2-OE": ("M2", "order_entry"),
            "M2-DC": ("M2", "drop_copy"),
        },
    )
    held_by_the_gateway = directory
    assert directory.grant_account("A9", "M1")  # the registry opened an account meanwhile

    dropped = directory.adopt(
        _logins(
            {"M1": ["A1"], "M2": ["A2"], "M3": ["A3"]},
            {
                "M1-OE": ("M1", "order_entry"),
                "M2-DC": ("M1", "drop_copy"),
                "M3-OE": ("M3", "order_entry"),
            },
        )
    )

    assert held_by_the_gateway is directory
    assert sorted(dropped) == ["M2-DC", "M2-OE"]  # removed; moved to another member
    assert directory.authenticate("M3-OE", "M3-OE").member == "M3"
    with pytest.raises(LogonRefused):
        directory.authenticate("M2-OE", "M2-OE")
    assert directory.may_act_for("M1", "A9")  # the grant outlives the reload
    assert directory.may_act_for("M3", "A3")
    assert [s.id for s in directory.report_sessions("M1")] == ["M1-OE", "M2-DC"]


def test_a_grant_the_file_now_gives_another_member_is_not_kept():
    directory = _logins({"M1": [], "M2": []}, {})
    directory.grant_account("A9", "M1")
    directory.adopt(_logins({"M1": [], "M2": ["A9"]}, {}))
    assert directory.member_of("A9") == "M2"
    directory.adopt(_logins({"M1": [], "M2": []}, {}))
    assert directory.member_of("A9") is None  # the file, now the authority, dropped it
