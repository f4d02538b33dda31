"""The `tcx` command line, one module per command group; `main` holds `up` and the services."""
