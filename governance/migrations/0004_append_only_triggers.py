"""On PostgreSQL, refuse UPDATE, DELETE and TRUNCATE of the audit journal and the
decision tables by trigger, and any change to the text of an adopted policy version,
its sections and its rule versions.

TRUNCATE is allowed only in a session that sets `stadtdaten.allow_truncate = on`: the
test runner empties every table with TRUNCATE between transactional tests, and the
test settings turn that on (governance/signals.py). In production the application's
database role should in addition hold only INSERT and SELECT on these tables.
"""

from django.db import migrations

APPEND_ONLY_TABLES = [
    "governance_auditevent",
    "governance_decision",
    "governance_decisionruleversion",
    "governance_decisionpolicyversion",
]

FORWARD = """
CREATE OR REPLACE FUNCTION stadtdaten_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('stadtdaten.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'stadtdaten: % on % refused, the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION stadtdaten_policy_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' OR NEW.document_id IS DISTINCT FROM OLD.document_id
       OR NEW.number IS DISTINCT FROM OLD.number OR NEW.title IS DISTINCT FROM OLD.title
       OR NEW.body IS DISTINCT FROM OLD.body OR NEW.change_note IS DISTINCT FROM OLD.change_note
       OR NEW.adopted_by IS DISTINCT FROM OLD.adopted_by OR NEW.adopted_on IS DISTINCT FROM OLD.adopted_on
       OR NEW.resolution_number IS DISTINCT FROM OLD.resolution_number
       OR NEW.status = 'draft'
       OR (OLD.valid_from IS NOT NULL AND NEW.valid_from IS DISTINCT FROM OLD.valid_from) THEN
        RAISE EXCEPTION 'stadtdaten: policy version % is adopted and cannot change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION stadtdaten_policy_part_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version_status text;
BEGIN
    SELECT status INTO version_status FROM governance_policyversion WHERE id = OLD.policy_version_id;
    IF version_status IS NOT NULL AND version_status <> 'draft' THEN
        RAISE EXCEPTION 'stadtdaten: % of adopted policy version % cannot change', TG_TABLE_NAME, OLD.policy_version_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS stadtdaten_refuse_change() CASCADE;
DROP FUNCTION IF EXISTS stadtdaten_policy_version_frozen() CASCADE;
DROP FUNCTION IF EXISTS stadtdaten_policy_part_frozen() CASCADE;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [FORWARD]
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION stadtdaten_refuse_change();",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION stadtdaten_refuse_change();",
        ]
    statements += [
        "CREATE TRIGGER governance_policyversion_frozen BEFORE UPDATE OR DELETE ON governance_policyversion "
        "FOR EACH ROW EXECUTE FUNCTION stadtdaten_policy_version_frozen();",
        "CREATE TRIGGER governance_policysection_frozen BEFORE UPDATE OR DELETE ON governance_policysection "
        "FOR EACH ROW EXECUTE FUNCTION stadtdaten_policy_part_frozen();",
        "CREATE TRIGGER governance_ruleversion_frozen BEFORE UPDATE OR DELETE ON governance_ruleversion "
        "FOR EACH ROW EXECUTE FUNCTION stadtdaten_policy_part_frozen();",
    ]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_vocabularies")]

    operations = [migrations.RunPython(forward, backward)]
