"""A running exchange takes a changed member file without a restart."""

import asyncio
import json
import signal
import time

import httpx
from websockets.asyncio.client import connect

from gateway.cli.main import main
from gateway.members import save_directory
from tests.gateway.exchange_fixtures import (
    SUPERVISOR,
    TRADER,
    directory,
    free_port,
    running_exchange,
    start_tcx_up,
)
from tests.gateway.fix_harness import SimpleFixMember, text

GATEWAY = "TCX"


async def log_on(
    url: str, session: str, password: str, seq: int = 1
) -> tuple[SimpleFixMember, str]:
    """A member connected and answered: 'A' (logged on) or '5' (logged out)."""
    connection = await connect(url)
    member = SimpleFixMember(connection, comp_id=session, seq=seq, gateway=GATEWAY)
    await member.send("A", (98, "0"), (108, "30"), (553, session), (554, password))
    try:
        return member, text(await member.receive(), 35)
    except Exception:  # closed without a word: a refused logon
        return member, "closed"


def reloaded(output: str) -> dict:
    """The JSON `tcx admin reload-members` printed, after any earlier lines."""
    return json.loads(output[output.index("{") :])


def test_new_sessions_log_on_and_removed_ones_are_logged_out(tmp_path, capsys):
    members_file = tmp_path / "members.toml"
    save_directory(directory(), members_file)
    with running_exchange(tmp_path, members_file=members_file) as running:
        url = running.fix_url
        admin = [
            "admin",
            "--url",
            running.base_url,
            "--user",
            SUPERVISOR[0],
            "--password",
            SUPERVISOR[1],
        ]
        files = ["members", "--file", str(members_file)]
        assert main([*files, "add-session", "M1-DC", "--member", "M1", "--type", "drop_copy"]) == 0
        password = capsys.readouterr().out.rsplit(": ", 1)[1].strip()

        async def day() -> None:
            trader, answer = await log_on(url, *TRADER)
            assert answer == "A"
            _, answer = await log_on(url, "M1-DC", password)
            assert answer != "A"  # not in the directory the exchange read at start

            assert main([*admin, "reload-members"]) == 0
            assert reloaded(capsys.readouterr().out) == {
                "members": 2,
                "sessions": 3,
                "logged_out": [],
            }
            drop_copy, answer = await log_on(url, "M1-DC", password)
            assert answer == "A"

            assert main([*files, "remove-session", TRADER[0]]) == 0
            assert main([*admin, "reload-members"]) == 0
            assert reloaded(capsys.readouterr().out)["logged_out"] == [TRADER[0]]
            goodbye = await trader.receive()
            assert text(goodbye, 35) == "5"
            assert "member file" in text(goodbye, 58)

            await drop_copy.send("5")
            assert text(await drop_copy.receive(), 35) == "5"
            members_file.write_text("[members\n")  # a mistake: nothing changes
            assert main([*admin, "reload-members"]) == 1
            assert "members.toml" in capsys.readouterr().err
            _, answer = await log_on(url, "M1-DC", password, seq=drop_copy.seq)
            assert answer == "A"
            _, answer = await log_on(url, *TRADER)
            assert answer != "A"

        asyncio.run(day())


def test_sighup_reloads_the_member_file_of_a_running_process(tmp_path, capsys):
    members_file = tmp_path / "members.toml"
    save_directory(directory(), members_file)
    port = free_port()
    process = start_tcx_up(tmp_path, port)
    audit = f"http://127.0.0.1:{port}/api/admin/audit"
    try:
        assert _answers(audit, SUPERVISOR) == 200
        files = ["members", "--file", str(members_file)]
        assert (
            main([*files, "add-session", "EXCH-2", "--member", "EXCH", "--type", "drop_copy"]) == 0
        )
        second = ("EXCH-2", capsys.readouterr().out.rsplit(": ", 1)[1].strip())
        assert _answers(audit, second) == 401  # not read yet
        process.send_signal(signal.SIGHUP)
        assert _answers(audit, second, until=200) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "member file reloaded" in output


def _answers(url: str, login: tuple[str, str], until: int | None = None) -> int | None:
    """The status of a GET with this login, once the server answers (and, with `until`,
    once it answers that); None if it never did within 30 s."""
    status = None
    for _ in range(120):
        try:
            status = httpx.get(url, auth=login, timeout=5).status_code
        except httpx.HTTPError:
            time.sleep(0.25)
            continue
        if until is None or status == until:
            return status
        time.sleep(0.25)
    return status
