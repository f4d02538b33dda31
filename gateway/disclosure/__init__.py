"""Public disclosure: reports published on the trading calendar, kept as history, read
without a login (gateway/rest/disclosure.py serves them as JSON, CSV and a plain page).

It reads the registry (settlement's tables) and the daily bulletins (surveillance's), so
it sits in the gateway, which may import both. See docs/disclosure.md.
"""
