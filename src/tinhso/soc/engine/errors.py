"""Exceptions of the Sigma engine, each with a stable ``code`` that callers can match on."""

from __future__ import annotations

from pathlib import Path


class SigmaError(Exception):
    """Base class of the engine's errors."""

    code = "sigma-error"


class RuleError(SigmaError):
    """A rule that cannot be loaded or compiled, with the rule id, its file and the reason."""

    def __init__(
        self, code: str, reason: str, *, rule_id: str | None = None, path: Path | None = None
    ) -> None:
        self.code = code
        self.reason = reason
        self.rule_id = rule_id
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = []
        if self.rule_id:
            where.append(f"rule {self.rule_id}")
        if self.path is not None:
            where.append(f"file {self.path}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.reason} [{self.code}]"

    def located(self, *, rule_id: str | None, path: Path | None) -> RuleError:
        """Return a copy that names the rule and file, keeping any location already set."""
        return RuleError(
            self.code,
            self.reason,
            rule_id=self.rule_id or rule_id,
            path=self.path or path,
        )


class EvtxError(SigmaError):
    """An EVTX file that cannot be read: missing, corrupt or truncated."""

    code = "evtx-unreadable"

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read EVTX file {path}: {reason} [{self.code}]")
