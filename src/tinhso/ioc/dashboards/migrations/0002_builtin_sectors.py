"""Create the built-in sectors and their dashboards (idempotent)."""

from typing import Any

from django.db import migrations


def create_builtin(apps: Any, schema_editor: Any) -> None:
    from tinhso.ioc.dashboards.builtin import ensure_builtin

    ensure_builtin(
        apps.get_model("ioc_dashboards", "Sector"), apps.get_model("ioc_dashboards", "Dashboard")
    )


class Migration(migrations.Migration):
    dependencies = [("ioc_dashboards", "0001_initial")]

    operations = [migrations.RunPython(create_builtin, migrations.RunPython.noop)]
