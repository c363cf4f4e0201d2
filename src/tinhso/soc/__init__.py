"""Cyber-security operations centre: Sigma detection over Windows event logs."""
