"""Public disclosure: reports published on the trading calendar, kept as history, read
without a login (gateway/rest/disclosure.py serves them as JSON, CSV and a plain page).

Dependency direction: disclosure reads the registry (settlement's tables) and the daily
bulletins (surveillance's), so it imports engine, settlement and surveillance; only the
gateway imports it. See docs/disclosure.md.
"""
