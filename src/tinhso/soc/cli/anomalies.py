"""``tinhso soc anomalies [--since ...]``: run the anomaly detectors over stored events.

The events of the period are taken in time order, a batch at a time, and each batch is
compared with the baselines of the 30 days before it, as after collection.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tinhso.soc.analytics.service import anomaly_findings
from tinhso.soc.cli.intel import add_time_options, run_over_stored


def add_parser(actions: Any) -> None:
    anomalies_parser = actions.add_parser(
        "anomalies", help="Run the anomaly detectors over stored events and print the findings."
    )
    add_time_options(anomalies_parser)
    anomalies_parser.set_defaults(run=run)


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    events, findings = run_over_stored(command, options, anomaly_findings)
    command.stderr.write(
        _("%(events)s events checked, %(findings)s anomalies.")
        % {"events": events, "findings": findings}
    )
