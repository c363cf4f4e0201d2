"""Test settings: the platform's settings plus an app whose records exercise the scope layer."""

from tinhso.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.scopeapp"]  # noqa: F405

# Fast hashing: the suite creates many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105 (tests only)
