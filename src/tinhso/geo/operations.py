"""Migration operations that exist only on PostGIS."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class CreateSpatialIndex(migrations.operations.base.Operation):
    """A GiST index on a geometry column on PostGIS; nothing on SQLite.

    SQLite filters by the bounding-box columns next to the geometry, which carry
    ordinary indexes declared on the model.
    """

    reversible = True

    def __init__(self, model_name: str, field_name: str) -> None:
        self.model_name = model_name
        self.field_name = field_name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _names(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, state: ProjectState
    ) -> tuple[str, str, str]:
        model = state.apps.get_model(app_label, self.model_name)
        table = model._meta.db_table
        column = model._meta.get_field(self.field_name).column
        return table, column, f"{table}_{column}_gist"[:63]

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table, column, index = self._names(app_label, schema_editor, to_state)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE INDEX {quote(index)} ON {quote(table)} USING GIST ({quote(column)})"
        )

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        _table, _column, index = self._names(app_label, schema_editor, from_state)
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")

    def describe(self) -> str:
        return f"Create a GiST index on {self.model_name}.{self.field_name} (PostGIS only)"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "field_name": self.field_name},
        )


class EnsurePostgis(migrations.operations.base.Operation):
    """``CREATE EXTENSION IF NOT EXISTS postgis`` on PostgreSQL; nothing on SQLite."""

    reversible = True

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, *args: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, *args: Any
    ) -> None:
        pass

    def describe(self) -> str:
        return "Create the PostGIS extension (PostgreSQL only)"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {})
