"""Touchpoint: one (content, kind) index instead of the content foreign key's own index.

The content library counts each asset's views and shares from the index alone. Only the
index changes in the database: on SQLite an ``AlterField`` would rebuild the touchpoint
table (minutes on a large company), so the foreign key's ``db_index=False`` is applied to the
migration state and its index is dropped by name.
"""

import django.db.models.deletion
from django.db import migrations, models


def _fk_index_name(schema_editor, model) -> str:
    return schema_editor._create_index_name(model._meta.db_table, ["content_id"], suffix="")


def drop_fk_index(apps, schema_editor):
    model = apps.get_model("crm", "Touchpoint")
    schema_editor.execute(
        schema_editor._delete_index_sql(model, _fk_index_name(schema_editor, model))
    )


def create_fk_index(apps, schema_editor):
    model = apps.get_model("crm", "Touchpoint")
    field = model._meta.get_field("content")
    schema_editor.execute(
        schema_editor._create_index_sql(
            model, fields=[field], name=_fk_index_name(schema_editor, model)
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_touchpoint_leaner_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="touchpoint",
            index=models.Index(fields=["content", "kind"], name="crm_touch_content_kind"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="touchpoint",
                    name="content",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="touchpoints",
                        to="crm.contentasset",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_fk_index, create_fk_index)],
        ),
    ]
