"""``tinhso createadmin``: create a system administrator (who must enrol TOTP at first login)."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.core.management.base import PlatformCommand
from tinhso.core.models import Role, User


class Command(PlatformCommand):
    help = "Create a system administrator. The password is read from TINHSO_ADMIN_PASSWORD or asked for."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help="Fail instead of asking; the password must be in TINHSO_ADMIN_PASSWORD.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(
                _("User %(name)s already exists; choose another --username.") % {"name": username}
            )

        password = os.environ.get("TINHSO_ADMIN_PASSWORD", "")
        if not password:
            if options["no_input"]:
                raise CommandError(
                    _("Set TINHSO_ADMIN_PASSWORD or run the command without --no-input.")
                )
            password = getpass.getpass(_("Password: "))
            if password != getpass.getpass(_("Password again: ")):
                raise CommandError(_("The two passwords differ."))

        user = User(
            username=username,
            email=options["email"],
            role=Role.SYSTEM_ADMINISTRATOR,
            is_staff=True,
            is_superuser=True,
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user.set_password(password)
        with transaction.atomic():
            user.save()
        self.stdout.write(
            _(
                "Administrator %(name)s created. At first login the platform asks to set up a TOTP authenticator app."
            )
            % {"name": username}
        )
