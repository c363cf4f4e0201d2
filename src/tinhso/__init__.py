"""Tỉnh số: an open platform for a Vietnamese province's operations centre and sector systems."""

__version__ = "0.1.0"
