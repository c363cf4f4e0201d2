"""``tinhso soc``: commands of the cyber-security operations centre.

The subcommands live in :mod:`tinhso.soc.cli`, one module per group.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Any

from tinhso.core.management.base import PlatformCommand
from tinhso.soc import cli


def _subcommand_modules() -> list[Any]:
    names = sorted(info.name for info in pkgutil.iter_modules(cli.__path__))
    return [importlib.import_module(f"{cli.__name__}.{name}") for name in names]


class Command(PlatformCommand):
    help = "Cyber-security operations centre: collect logs, hunt with Sigma rules, work incidents."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for module in _subcommand_modules():
            module.add_parser(actions)

    def handle(self, *args: Any, **options: Any) -> None:
        options["run"](self, options)
