"""Password rules beyond Django's built-in validators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """Require letters, digits and at least one other character (symbol or space)."""

    def validate(self, password: str, user: object = None) -> None:
        has_letter = any(ch.isalpha() for ch in password)
        has_digit = any(ch.isdigit() for ch in password)
        has_other = any(not ch.isalnum() for ch in password)
        if not (has_letter and has_digit and has_other):
            raise ValidationError(
                _("The password must contain letters, digits and at least one symbol."),
                code="password_character_classes",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain letters, digits and at least one symbol.")
