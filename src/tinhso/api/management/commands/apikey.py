"""``tinhso apikey``: issue, list and revoke API keys of agencies."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.api import keys
from tinhso.api.models import ApiKey, Scope
from tinhso.core.management.base import PlatformCommand
from tinhso.core.models import Department


class Command(PlatformCommand):
    help = "API keys: create AGENCY --scope SCOPE..., list, revoke PREFIX."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser(
            "create", help="Issue a key; it is printed once and never again."
        )
        create.add_argument("agency", help="Department code; created if it does not exist yet.")
        create.add_argument(
            "--scope",
            nargs="+",
            required=True,
            help=f"Scopes of the key: {', '.join(Scope.values)}, share:CODE for the dataset "
            "of report regime CODE in the sharing API, or layer:ID for the map layer ID.",
        )
        create.add_argument(
            "--name", default="", help="What the key is for, e.g. the client system."
        )
        create.add_argument("--agency-name", default="", help="Vietnamese name of a new agency.")
        create.add_argument(
            "--rate-limit", type=int, default=None, help="Requests per minute (default 600)."
        )
        actions.add_parser("list", help="List the keys (prefixes only).")
        revoke = actions.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            # Checked before the agency is created, so a mistyped scope leaves nothing behind.
            unknown = [scope for scope in options["scope"] if not keys.is_known_scope(scope)]
            if unknown:
                raise CommandError(
                    _("Unknown scope %(scopes)s. Known scopes: %(known)s, share:CODE and layer:ID.")
                    % {"scopes": ", ".join(unknown), "known": ", ".join(Scope.values)}
                )
            department, _created = Department.objects.get_or_create(
                code=options["agency"],
                defaults={"name": options["agency_name"] or options["agency"]},
            )
            issued = keys.issue_key(
                department,
                options["scope"],
                name=options["name"],
                rate_limit_per_minute=options["rate_limit"],
            )
            self.stderr.write(
                _("Key for %(agency)s with scopes %(scopes)s. Store it now: it is not shown again.")
                % {"agency": department.code, "scopes": ", ".join(issued.api_key.scopes)}
            )
            self.stdout.write(issued.raw_key)
            self._warn_unknown_datasets(issued.api_key.scopes)
            self._warn_unknown_layers(issued.api_key.scopes)
        elif action == "list":
            for api_key in ApiKey.objects.select_related("department"):
                state = _("revoked") if api_key.revoked_at else _("active")
                self.stdout.write(
                    f"{api_key.prefix}\t{api_key.department.code}\t{','.join(api_key.scopes)}\t{state}"
                )
        elif action == "revoke":
            revoked = ApiKey.objects.filter(prefix=options["prefix"]).first()
            if revoked is None:
                raise CommandError(
                    _("No API key has the prefix %(prefix)s; see `tinhso apikey list`.")
                    % {"prefix": options["prefix"]}
                )
            keys.revoke_key(revoked)
            self.stdout.write(_("Key %(prefix)s revoked.") % {"prefix": revoked.prefix})

    def _warn_unknown_datasets(self, scopes: list[str]) -> None:
        """Warn about share:CODE scopes whose report regime does not exist (yet)."""
        from tinhso.reports.models import ReportRegime

        codes = [
            s.removeprefix(keys.SHARE_SCOPE_PREFIX)
            for s in scopes
            if s.startswith(keys.SHARE_SCOPE_PREFIX)
        ]
        known = set(ReportRegime.objects.filter(code__in=codes).values_list("code", flat=True))
        for code in codes:
            if code not in known:
                self.stderr.write(
                    _(
                        "Warning: no report regime has the code %(code)s yet; the key reads its "
                        "dataset once the regime is created."
                    )
                    % {"code": code}
                )

    def _warn_unknown_layers(self, scopes: list[str]) -> None:
        """Warn about layer:ID scopes that name no map layer (yet)."""
        from tinhso.geo.models import Layer

        slugs = [s.removeprefix("layer:") for s in scopes if s.startswith("layer:")]
        known = set(Layer.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        for slug in slugs:
            if slug not in known:
                self.stderr.write(
                    _(
                        "Warning: no map layer has the identifier %(layer)s yet; the key reads it "
                        "once the layer is created. 'tinhso geo layers' lists the layers."
                    )
                    % {"layer": slug}
                )
