"""Threat intelligence: indicator lists and STIX 2.1 bundles, matched against events."""
