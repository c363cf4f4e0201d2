"""Explainable anomaly detection over authentication and process events."""
