"""Test settings: the platform's settings plus an app whose records exercise the scope layer."""

from tinhso.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.scopeapp"]  # noqa: F405

# Fast hashing: the suite creates many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105 (tests only)

# Web imports run in the request's thread, so a test sees the finished job at once.
TINHSO_JOBS_INLINE = True
