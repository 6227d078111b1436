"""The full-text index over SearchDocument: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE content_search_fts USING fts5("
    "title, body, tags, content='content_searchdocument', content_rowid='asset_id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    # ORDER BY rank then uses bm25 with the title weighted 8x the body and the tags not at all.
    "INSERT INTO content_search_fts(content_search_fts, rank) VALUES ('rank', 'bm25(8.0, 1.0, 0.0)')",
    "CREATE TRIGGER content_search_ai AFTER INSERT ON content_searchdocument BEGIN "
    "INSERT INTO content_search_fts(rowid, title, body, tags) VALUES (new.asset_id, new.title, new.body, new.tags); END",
    "CREATE TRIGGER content_search_ad AFTER DELETE ON content_searchdocument BEGIN "
    "INSERT INTO content_search_fts(content_search_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.asset_id, old.title, old.body, old.tags); END",
    "CREATE TRIGGER content_search_au AFTER UPDATE ON content_searchdocument BEGIN "
    "INSERT INTO content_search_fts(content_search_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.asset_id, old.title, old.body, old.tags); "
    "INSERT INTO content_search_fts(rowid, title, body, tags) VALUES (new.asset_id, new.title, new.body, new.tags); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS content_search_au",
    "DROP TRIGGER IF EXISTS content_search_ad",
    "DROP TRIGGER IF EXISTS content_search_ai",
    "DROP TABLE IF EXISTS content_search_fts",
]
POSTGRES = [
    "ALTER TABLE content_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'B') || "
    "setweight(to_tsvector('simple', coalesce(tags, '')), 'D')) STORED",
    "CREATE INDEX content_search_tsv ON content_searchdocument USING GIN (tsv)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS content_search_tsv",
    "ALTER TABLE content_searchdocument DROP COLUMN IF EXISTS tsv",
]


def _run(statements):
    def run(apps, schema_editor):
        sql = statements.get(schema_editor.connection.vendor, [])
        for statement in sql:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
