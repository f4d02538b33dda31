"""Fixtures every part's tests may use: real registry databases (tests/databases.py)."""

pytest_plugins = ["tests.databases"]
