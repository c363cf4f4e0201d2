"""Subcommands of ``tinhso soc``, one module per group.

Each module defines ``add_parser(actions)``, which adds its subcommands to the ``actions``
sub-parsers and sets ``run(command, options)`` as their default. The ``soc`` command finds the
modules here by name, so a new group needs no change elsewhere. This package file itself
contains only what several groups share.
"""

from __future__ import annotations

import datetime as dt

# Officials write dates as DD/MM/YYYY; ISO dates are accepted as well.
DAY_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def parse_day(text: str) -> dt.date | None:
    """Read a day written DD/MM/YYYY or YYYY-MM-DD; return None for anything else."""
    for day_format in DAY_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), day_format).date()  # noqa: DTZ007 (a date only)
        except ValueError:
            continue
    return None
