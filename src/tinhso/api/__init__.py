"""The REST API under ``/api/v1/``: API keys per agency, scopes, rate limits and the access log."""
