"""The ``tinhso`` command: the platform's commands plus every Django management command.

``tinhso serve``, ``tinhso units ...``, ``tinhso geo ...``, ``tinhso apikey ...`` and
``tinhso createadmin`` are management commands of the platform's apps; anything else
(``tinhso migrate``, ``tinhso shell``) passes through to Django unchanged.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    args = sys.argv[1:] if argv is None else argv

    from tinhso.config import ConfigurationError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["tinhso", *args])
    except ConfigurationError as error:
        sys.stderr.write(f"tinhso: configuration error: {error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
