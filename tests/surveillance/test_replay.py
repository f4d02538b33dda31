import json

import pytest

from surveillance.event_file import write_events
from surveillance.parameters import PATTERNS, SIMULATED_PATTERNS
from surveillance.replay import main
from surveillance.runner import Surveillance
from surveillance.scenarios.day import generate_day


@pytest.fixture(scope="module")
def stored_day(tmp_path_factory):
    day = generate_day(11, episodes_per_pattern=1)
    path = tmp_path_factory.mktemp("replay") / "2026-11-24.tcxev"
    write_events(path, day.events)
    return path, day


def alert_lines(capsys):
    table = capsys.readouterr().out.splitlines()
    return {line.split()[0]: int(line.split()[-1]) for line in table[1:]}


def test_replay_prints_alerts_per_pattern(stored_day, capsys, tmp_path, reference):
    path, day = stored_day
    out = tmp_path / "alerts.jsonl"
    assert main([str(path), "--quiet", "--alerts", str(out)]) == 0
    counts = alert_lines(capsys)
    assert set(PATTERNS) <= set(counts)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert counts["total"] == len(written)
    assert {alert["pattern"] for alert in written} == set(SIMULATED_PATTERNS)
    live = Surveillance(reference).run(day.events)
    assert sorted(a.id for a in live) == sorted(alert["id"] for alert in written)


def test_a_parameter_file_back_tests_a_change(stored_day, capsys, tmp_path):
    path, _ = stored_day
    main([str(path), "--quiet"])
    before = alert_lines(capsys)
    parameters = tmp_path / "stricter.toml"
    parameters.write_text(
        "[self_trade]\nversion = 2\n\n[spoofing]\nversion = 2\nsize_multiple = 1000\n"
    )
    assert main([str(path), "--quiet", "--parameters", str(parameters)]) == 0
    output = capsys.readouterr().out
    after = {line.split()[0]: int(line.split()[-1]) for line in output.splitlines()[1:]}
    assert before["spoofing"] > 0
    assert after["spoofing"] == 0
    assert after["self_trade"] == before["self_trade"]
    assert "v2" in next(line for line in output.splitlines() if line.startswith("spoofing"))


def test_a_bad_parameter_file_is_refused_naming_the_field(stored_day, capsys, tmp_path):
    path, _ = stored_day
    parameters = tmp_path / "bad.toml"
    parameters.write_text("[spoofing]\nsize_multipel = 6\n")
    assert main([str(path), "--quiet", "--parameters", str(parameters)]) == 2
    captured = capsys.readouterr()
    assert "spoofing.size_multipel" in captured.err
    assert "unknown parameter" in captured.err
    assert captured.out == ""


def test_a_missing_event_file_is_refused(tmp_path, capsys):
    assert main([str(tmp_path / "none.tcxev"), "--quiet"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_progress_bar_goes_to_stderr(stored_day, capsys):
    path, _ = stored_day
    assert main([str(path)]) == 0
    captured = capsys.readouterr()
    assert "event" in captured.err
    assert captured.out.startswith("pattern")


def test_replaying_a_day_under_old_and_new_parameters_shows_what_changed(
    stored_day, capsys, tmp_path
):
    """The live version 1 against a version 2 that needs far larger spoofs: the spoofing
    alerts are listed as dropped, and nothing else changes."""
    path, _ = stored_day
    old = tmp_path / "live.toml"
    old.write_text("[spoofing]\nversion = 1\n")
    new = tmp_path / "candidate.toml"
    new.write_text("[spoofing]\nversion = 2\nsize_multiple = 1000\n")
    assert main([str(path), "--quiet", "--parameters", str(new), "--against", str(old)]) == 0
    lines = capsys.readouterr().out.splitlines()
    heading = next(line for line in lines if "added" in line and "dropped" in line)
    changes = lines[lines.index(heading) + 1 :]
    assert changes, "the stricter spoofing rule drops alerts"
    assert all(line.startswith("- spoofing ") for line in changes)
    assert "0 added" in heading
    assert f"{len(changes)} dropped" in heading
