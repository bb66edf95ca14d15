#!/usr/bin/env bash
# Restore drill: prove that a backup of Stadtdaten can be restored and is complete.
#
#   scripts/restore_drill.sh [--tamper-check]
#
# 1. A scratch database (DRILL_SOURCE_DB, default stadtdaten_drill_src) is migrated and
#    filled with the demo network (seed_demo); its uploads go to a MEDIA_ROOT of its own.
# 2. verify_audit checks the audit chain and names its head (Kopf: SEQ:HASH); that is the
#    anchor a real operator keeps outside the database.
# 3. Backup as in production: `pg_dump -Fc` of the database plus a tar of MEDIA_ROOT.
#    The uploaded files are not in the database – a dump without them restores a catalog
#    whose downloads are gone, so both belong to every backup.
#    spot_check writes a digest of the source: counts of the governed tables, the chain
#    head, every file against its SHA-256, published datasets read through the portal.
# 4. Restore into a second, empty database (DRILL_RESTORE_DB, default
#    stadtdaten_drill_restore) with `pg_restore --no-owner` and unpack the files into a
#    fresh MEDIA_ROOT. pg_restore loads the tables with COPY before it creates the
#    triggers, so the journal's append-only triggers (which refuse UPDATE, DELETE and
#    TRUNCATE) do not stand in the way.
# 5. verify_audit --anchor SEQ:HASH on the restored database (the chain is intact and
#    was not cut off), then spot_check --compare: the restored digest must equal the
#    source's, and every file must be there with its recorded checksum.
# With --tamper-check, negative controls follow: the trigger refuses an UPDATE of the
# journal; an audit row changed as superuser with the triggers switched off
# (session_replication_role = replica) makes verify_audit fail and name that event; a
# changed file makes spot_check fail.
#
# Exits non-zero with a message saying what differs. The scratch databases and files
# are removed at the end, also on failure; the script never touches a database it did
# not create (it refuses names that exist already).
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD,
# DRILL_SOURCE_DB, DRILL_RESTORE_DB, PYTHON (.venv/bin/python).

set -euo pipefail

TAMPER_CHECK=0
for argument in "$@"; do
    case "$argument" in
        --tamper-check) TAMPER_CHECK=1 ;;
        -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "Unbekannte Option: $argument (erlaubt: --tamper-check)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
SOURCE_DB=${DRILL_SOURCE_DB:-stadtdaten_drill_src}
RESTORE_DB=${DRILL_RESTORE_DB:-stadtdaten_drill_restore}

say() { printf '[restore-drill] %s\n' "$*"; }
die() { printf '[restore-drill] FEHLER: %s\n' "$*" >&2; exit 1; }

for name in "$SOURCE_DB" "$RESTORE_DB"; do
    [[ $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "Ungültiger Datenbankname: $name"
done
[[ $SOURCE_DB != "$RESTORE_DB" ]] || die "Quell- und Zieldatenbank müssen verschieden sein."
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || die "pg_dump/pg_restore fehlen (postgresql-client)."

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stadtdaten-restore-drill.XXXXXX")
BACKUP=$WORK/backup
SOURCE_MEDIA=$WORK/media-source
RESTORE_MEDIA=$WORK/media-restore
mkdir -p "$BACKUP" "$SOURCE_MEDIA" "$RESTORE_MEDIA"
CREATED=()

cleanup() {
    local status=$?
    for db in ${CREATED[@]+"${CREATED[@]}"}; do
        dropdb --if-exists --force "$db" || echo "[restore-drill] Konnte $db nicht löschen." >&2
    done
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

create_database() {
    local exists
    exists=$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")
    [[ -z $exists ]] || die "Datenbank $1 existiert bereits; die Übung benutzt nur eigene, neue Datenbanken."
    createdb "$1"
    CREATED+=("$1")
}

# manage.py against one scratch database and its MEDIA_ROOT: local settings, tasks run
# in the process, no link checks (the drill is about data, not about the internet).
manage() {
    local db=$1 media=$2
    shift 2
    env DJANGO_SETTINGS_MODULE=config.settings DJANGO_ENV=development \
        DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db" MEDIA_ROOT="$media" \
        CELERY_BROKER_URL= CACHE_URL= LINKCHECK_ON_CHANGE=false \
        "$PYTHON" manage.py "$@" --no-color
}

# Run a step with its output in a log; show the end of the log if it fails.
logged() {
    local log=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        return 1
    fi
}

started=$(date +%s)
timer=$started
lap() {
    local now
    now=$(date +%s)
    say "$1 ($((now - timer)) s)"
    timer=$now
}

# ---- 1. Source database with the demo network -------------------------------------
create_database "$SOURCE_DB"
logged "$WORK/migrate.log" manage "$SOURCE_DB" "$SOURCE_MEDIA" migrate --no-input || die "migrate fehlgeschlagen."
logged "$WORK/seed.log" manage "$SOURCE_DB" "$SOURCE_MEDIA" seed_demo || die "seed_demo fehlgeschlagen."
lap "Quelldatenbank $SOURCE_DB migriert und mit dem Demo-Stadtverbund gefüllt"

# ---- 2. Chain head of the source: the anchor kept outside the database --------------
verified=$(manage "$SOURCE_DB" "$SOURCE_MEDIA" verify_audit) || die "verify_audit der Quelle fehlgeschlagen."
ANCHOR=$(grep -o 'Kopf: [0-9]*:[0-9a-f]\{64\}' <<<"$verified" | cut -d' ' -f2) \
    || die "verify_audit nennt keinen Kettenkopf: $verified"
say "Quelle: $verified"

# ---- 3. Backup: database dump and the uploaded files --------------------------------
pg_dump -Fc --file "$BACKUP/stadtdaten.dump" "$SOURCE_DB"
tar -czf "$BACKUP/media.tar.gz" -C "$SOURCE_MEDIA" .
lap "Sicherung: $(du -h "$BACKUP/stadtdaten.dump" | cut -f1) Dump, $(du -h "$BACKUP/media.tar.gz" | cut -f1) Dateien"
# Nothing writes to the scratch database after the dump, so the digest describes it.
logged "$WORK/spot_source.log" manage "$SOURCE_DB" "$SOURCE_MEDIA" spot_check --output "$BACKUP/spot_check.json" \
    || die "Stichprobe der Quelle fehlgeschlagen."
lap "Stichprobe der Quelle: $(tail -n 1 "$WORK/spot_source.log")"

# ---- 4. Restore into an empty database and a fresh MEDIA_ROOT -----------------------
create_database "$RESTORE_DB"
logged "$WORK/restore.log" pg_restore --no-owner --exit-on-error --dbname "$RESTORE_DB" "$BACKUP/stadtdaten.dump" \
    || die "pg_restore fehlgeschlagen."
tar -xzf "$BACKUP/media.tar.gz" -C "$RESTORE_MEDIA"
lap "Wiederhergestellt in $RESTORE_DB (pg_restore --no-owner) und $RESTORE_MEDIA"

# ---- 5. Checks on the restored copy -------------------------------------------------
verified=$(manage "$RESTORE_DB" "$RESTORE_MEDIA" verify_audit --anchor "$ANCHOR" 2>&1) \
    || die "Audit-Kette der Wiederherstellung nicht intakt: $verified"
grep -q "Kopf: $ANCHOR" <<<"$verified" || die "Kettenkopf weicht ab: erwartet $ANCHOR, gefunden: $verified"
say "Wiederherstellung: $verified"
logged "$WORK/spot_restore.log" manage "$RESTORE_DB" "$RESTORE_MEDIA" spot_check --compare "$BACKUP/spot_check.json" \
    || die "Die Wiederherstellung weicht von der Quelle ab (siehe oben)."
lap "Stichprobe der Wiederherstellung: $(tail -n 1 "$WORK/spot_restore.log")"

# ---- Negative controls --------------------------------------------------------------
if ((TAMPER_CHECK)); then
    seq=$((${ANCHOR%%:*} / 2))
    if psql -d "$RESTORE_DB" -v ON_ERROR_STOP=1 -qc \
        "UPDATE governance_auditevent SET reason = reason || ' (manipuliert)' WHERE seq = $seq" >/dev/null 2>&1; then
        die "Der Trigger hat eine Änderung des Audit-Journals zugelassen."
    fi
    say "Gegenprobe: der Trigger verweigert UPDATE auf dem Audit-Journal."
    psql -d "$RESTORE_DB" -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;  -- as superuser: triggers off
UPDATE governance_auditevent SET reason = reason || ' (manipuliert)' WHERE seq = $seq;
COMMIT;
SQL
    if tampered=$(manage "$RESTORE_DB" "$RESTORE_MEDIA" verify_audit --no-record 2>&1); then
        die "verify_audit hat die Manipulation von Ereignis $seq nicht erkannt: $tampered"
    fi
    grep -q "bei Ereignis $seq:" <<<"$tampered" || die "verify_audit nennt nicht Ereignis $seq: $tampered"
    say "Gegenprobe: Ereignis $seq als Superuser geändert, verify_audit erkennt es: $(tail -n 1 <<<"$tampered")"

    victim=$(find "$RESTORE_MEDIA" -type f -name '*.csv' | sort | sed -n 1p)
    [[ -n $victim ]] || die "Keine CSV-Datei für die Gegenprobe gefunden."
    printf 'manipuliert\n' >>"$victim"
    if manage "$RESTORE_DB" "$RESTORE_MEDIA" spot_check --compare "$BACKUP/spot_check.json" >"$WORK/spot_tamper.log" 2>&1; then
        die "spot_check hat die geänderte Datei ${victim#"$RESTORE_MEDIA"/} nicht erkannt."
    fi
    grep -q "Prüfsumme weicht ab" "$WORK/spot_tamper.log" || die "spot_check nennt die geänderte Datei nicht."
    say "Gegenprobe: geänderte Datei ${victim#"$RESTORE_MEDIA"/} erkannt."
    lap "Gegenproben bestanden"
fi

say "Übung bestanden in $(($(date +%s) - started)) s: Kette bis $ANCHOR geprüft, Stichprobe identisch."
