"""Incidents: alerts grouped per host, user, rule and time window, and the work of analysts on them."""
