"""Configuration: embedded defaults; file < environment < command line; errors name it."""

import pytest

from gateway.settings import SettingsError, load_settings


def test_defaults_are_the_embedded_exchange(monkeypatch):
    settings = load_settings()
    assert settings.stream == "memory"
    assert settings.registry.startswith("sqlite:///")


def test_file_then_environment_then_command_line(tmp_path, monkeypatch):
    config = tmp_path / "tcx.toml"
    config.write_text('http_port = 9001\nstream = "kafka"\n')
    assert load_settings(config).http_port == 9001
    monkeypatch.setenv("TCX_HTTP_PORT", "9002")
    assert load_settings(config).http_port == 9002
    assert load_settings(config, http_port=9003).http_port == 9003
    assert load_settings(config).stream == "kafka"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("http_port = 99999\n", "http_port (env TCX_HTTP_PORT)"),
        ('streem = "kafka"\n', "streem"),
        ('stream = "carrier-pigeon"\n', "stream"),
        ('registry_url = "mysql://x"\n', "registry_url"),
        ("journal_batch_size = 0\n", "journal_batch_size"),
    ],
)
def test_a_bad_setting_is_named(tmp_path, content, named):
    config = tmp_path / "tcx.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match="invalid configuration") as error:
        load_settings(config)
    assert named in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match=r"absent\.toml: no such file"):
        load_settings(tmp_path / "absent.toml")
