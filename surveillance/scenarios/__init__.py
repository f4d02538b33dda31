"""Labelled scenarios: generated days with injected manipulation, to measure detectors."""
