"""Errors of the platform core, each with a stable machine code and a translated message."""

from __future__ import annotations

from django.utils.translation import gettext as _


class TinhsoError(Exception):
    """Base of the platform's expected errors. ``code`` is stable for API clients."""

    code = "error"

    def user_message(self) -> str:
        return str(self)


class UnknownUnitError(TinhsoError, LookupError):
    code = "unknown_unit"

    def __init__(self, unit_code: str) -> None:
        super().__init__(unit_code)
        self.unit_code = unit_code

    def user_message(self) -> str:
        return _(
            "No administrative unit has the code %(code)s. Check the code against the official "
            "list of the General Statistics Office (with or without leading zeros)."
        ) % {"code": self.unit_code}


class ImportFileError(TinhsoError, ValueError):
    """The whole file cannot be read: wrong format, encoding or column layout."""

    code = "invalid_file"

    def __init__(self, message: str, code: str = "invalid_file") -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def user_message(self) -> str:
        return self.message
