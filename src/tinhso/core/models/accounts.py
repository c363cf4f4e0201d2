"""Users, their roles, and the department or unit each one is scoped to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles the province gives its staff; the public uses the platform without an account."""

    PROVINCIAL_LEADER = "provincial_leader", _("provincial leader")
    DEPARTMENT_OFFICER = "department_officer", _("department officer")
    COMMUNE_OFFICER = "commune_officer", _("commune officer")
    POLICE_OFFICER = "police_officer", _("police officer")
    SECURITY_ANALYST = "security_analyst", _("security analyst")
    SYSTEM_ADMINISTRATOR = "system_administrator", _("system administrator")


class Department(models.Model):
    """A provincial department (sở, ban, ngành) or other agency that owns data and API keys."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("Vietnamese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name=_("administrative unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The province or commune this agency belongs to."),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff account with one role and a scope: a department, a unit, or the whole province."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name=_("administrative unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        help_text=_("The commune (or district) a commune or police officer works for."),
    )
    # Personal data: shown to system administrators only; every read is written to the audit log.
    citizen_id = models.CharField(
        _("citizen ID number"),
        max_length=12,
        blank=True,
        help_text=_("The 12-digit number of the chip-based citizen ID card."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="commune_officer") | Q(unit__isnull=False),
                name="user_commune_officer_has_unit",
                violation_error_message=_("A commune officer must be assigned a commune."),
            ),
            models.CheckConstraint(
                condition=~Q(role="department_officer") | Q(department__isnull=False),
                name="user_department_officer_has_department",
                violation_error_message=_("A department officer must be assigned a department."),
            ),
        ]

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == Role.SYSTEM_ADMINISTRATOR

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.citizen_id and not (self.citizen_id.isdigit() and len(self.citizen_id) == 12):
            raise ValidationError({"citizen_id": _("A citizen ID number has exactly 12 digits.")})
