"""The demo market: simulated members and the registry content a new user sees at start."""
