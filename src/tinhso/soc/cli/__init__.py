"""Subcommands of ``tinhso soc``, one module per group.

Each module defines ``add_parser(actions)``, which adds its subcommands to the ``actions``
sub-parsers and sets ``run(command, options)`` as their default; the ``soc`` command finds the
modules here by name, so a new group needs no change elsewhere.
"""
