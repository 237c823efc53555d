"""The audit log refuses UPDATE (and, on PostgreSQL, DELETE) at the database itself.

SQLite keeps DELETE possible because Django's test flush empties tables with DELETE; the hash
chain still detects a deleted entry anywhere but at the head.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER web_auditentry_no_update BEFORE UPDATE ON web_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS web_auditentry_no_update;"]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION web_auditentry_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER web_auditentry_no_change BEFORE UPDATE OR DELETE ON web_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION web_auditentry_append_only();",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS web_auditentry_no_change ON web_auditentry;",
    "DROP FUNCTION IF EXISTS web_auditentry_append_only();",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("web", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
