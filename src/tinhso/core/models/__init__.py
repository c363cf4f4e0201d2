"""Models of the platform spine: administrative units, accounts and the audit log."""

from tinhso.core.models.accounts import Department, Role, User
from tinhso.core.models.audit import AuditAction, AuditEvent
from tinhso.core.models.units import LinkKind, Unit, UnitLevel, UnitLink, UnitType

__all__ = [
    "AuditAction",
    "AuditEvent",
    "Department",
    "LinkKind",
    "Role",
    "Unit",
    "UnitLevel",
    "UnitLink",
    "UnitType",
    "User",
]
