"""The ``alerts`` subcommand of ``tinhso ioc``: ``tinhso ioc alerts check``.

The ``ioc`` management command adds it with :func:`add_alerts_arguments` and hands it to
:func:`handle_alerts_action`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tinhso.ioc.alerts.evaluation import check_rules
from tinhso.ioc.alerts.messages import alert_message, rule_status
from tinhso.ioc.alerts.models import AlertRule

logger = logging.getLogger(__name__)

ACTION = "alerts"


def add_alerts_arguments(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alerts = actions.add_parser(ACTION, help=_("Alert rules: check them against stored data."))
    subactions = alerts.add_subparsers(dest="alerts_action", required=True)
    check = subactions.add_parser(
        "check",
        help=_(
            "Evaluate every active alert rule over the stored data and print the alerts it "
            "opened (for cron, and after bulk imports)."
        ),
    )
    check.add_argument(
        "--rule", type=int, action="append", metavar="ID",
        help=_("Check only the rule with this id; repeat for several."),
    )  # fmt: skip
    check.add_argument(
        "--all-periods",
        action="store_true",
        help=_("Check every stored period of value rules, not only each unit's latest one."),
    )
    check.add_argument(
        "--event-hours", type=int, default=24, metavar="HOURS",
        help=_("Hours of events that event rules look back over (default %(default)s)."),
    )  # fmt: skip


def handle_alerts_action(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["event_hours"] < 1:
        raise CommandError(_("--event-hours must be at least 1."))
    rules = AlertRule.objects.filter(active=True).select_related("indicator").order_by("pk")
    if options["rule"]:
        rules = rules.filter(pk__in=options["rule"])
        missing = set(options["rule"]) - set(rules.values_list("pk", flat=True))
        if missing:
            raise CommandError(
                _("No active alert rule has the id %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in sorted(missing))}
            )
    result = check_rules(
        list(rules),
        all_periods=options["all_periods"],
        event_lookback=dt.timedelta(hours=options["event_hours"]),
    )
    for alert in result.created:
        command.stdout.write(
            _("Opened alert %(id)s: %(message)s")
            % {"id": alert.pk, "message": alert_message(alert)}
        )
    for alert in result.updated:
        command.stdout.write(
            _("Updated alert %(id)s: %(message)s")
            % {"id": alert.pk, "message": alert_message(alert)}
        )
    for rule in rules:
        rule.refresh_from_db(fields=["last_checked_at", "last_status"])
        command.stdout.write(f"{rule.pk} {rule.name}: {rule_status(rule)}")
    command.stdout.write(
        _("%(rules)s rules checked: %(created)s alerts opened, %(updated)s updated.")
        % {"rules": len(rules), "created": len(result.created), "updated": len(result.updated)}
    )
