"""The triggers behind the public-state token (``PublicState``, read by the page cache).

Any write that can change what the public pages show gives ``PublicState.token`` a new random
value, in the writing transaction, whatever makes the write (a service, the admin, a shell, SQL):

* publications and their figure rows: every write (they are public by nature); so too the
  managed lists (legal processes, products), whose names and descriptions the pages show;
* pause decisions: only writes that change what a visitor sees of them, so that work on a draft,
  or an internal edit of a published decision (rationale, review date, trigger, who decided),
  changes nothing a visitor can observe, not even whether a page was just re-rendered. That is
  an insertion or deletion of a published row; an update that publishes or withdraws, or changes
  a public column (``PUBLIC_PAUSE_FIELDS``, compared OLD to NEW) of a published row; and any
  change of the public-change stamp behind the validators of /data/pauses.* (its ETag is cached
  with the page) -- and the deletion or insertion of a row that carries one;
* their history (the register shows how the public versions changed): a new published version
  only when its public columns differ from those of the published version before it (an
  internal edit adds a version equal to the previous one, which the register does not show);
  updates and deletions of published versions (history maintenance) always.

The triggers are (re)installed after every ``migrate`` (``post_migrate``, as Django creates
permissions), not by one migration: SQLite drops a table's triggers whenever a later migration
rebuilds the table, and this way they always match this module.
"""

from __future__ import annotations

STATE = "requests_app_publicstate"
ALL_ROWS = (
    "requests_app_publication",
    "requests_app_figurerow",
    "requests_app_outcomereasonrow",
    "requests_app_legalprocess",
    "requests_app_product",
)
PUBLISHED_ROWS = ("requests_app_pausedecision", "requests_app_historicalpausedecision")
EVENTS = ("INSERT", "UPDATE", "DELETE")

# Upserts, so that the row comes back if something emptied the table (a test database flush)
# instead of updating nothing and freezing the token.
POSTGRES_BUMP = (
    f"INSERT INTO {STATE} (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text)) "
    "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token"
)
SQLITE_BUMP = (
    f"INSERT INTO {STATE} (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)
FUNCTION = "requests_app_public_state_bump"
FUNCTION_HISTORY = "requests_app_public_state_bump_new_version"
HISTORY = "requests_app_historicalpausedecision"
# Columns that feed the validators of /data/pauses.* (selectors.pause_register_state).
STAMP = ("public_changed_at", "public_revision")


def _public_columns() -> list[str]:
    from .models import PUBLIC_PAUSE_FIELDS, PauseDecision

    return [PauseDecision._meta.get_field(name).column for name in PUBLIC_PAUSE_FIELDS]


def _differ(vendor: str, old: str, new: str, columns) -> str:
    """Some of ``columns`` differ between the rows ``old`` and ``new`` (NULLs compared as values)."""
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"{old}.{column} {op} {new}.{column}" for column in columns)


def _same(vendor: str, old: str, new: str, columns) -> str:
    """Every one of ``columns`` is equal in the rows ``old`` and ``new`` (NULLs as values)."""
    op = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    return " AND ".join(f"{old}.{column} {op} {new}.{column}" for column in columns)


def _new_public_version(vendor: str) -> str:
    """The inserted history row NEW (a published version) is not a copy of the public columns of
    the published version just before it, the one the register compares it with (selectors.
    pause_register_entries: by history_date, then history_id)."""
    same = _same(vendor, "prev", "NEW", _public_columns())
    return (
        f"NOT EXISTS (SELECT 1 FROM (SELECT * FROM {HISTORY} AS p WHERE p.id = NEW.id AND p.is_published "
        "AND (p.history_date, p.history_id) < (NEW.history_date, NEW.history_id) "
        f"ORDER BY p.history_date DESC, p.history_id DESC LIMIT 1) AS prev WHERE {same})"
    )


def _condition(table: str, event: str, vendor: str) -> str:
    """The WHEN of a trigger ("" for every row), in the SQL of ``vendor``."""
    if table in ALL_ROWS:
        return ""
    if table == HISTORY:
        return {
            # PostgreSQL allows no subquery in WHEN: its trigger function checks the rest.
            "INSERT": "NEW.is_published"
            + ("" if vendor == "postgresql" else f" AND {_new_public_version(vendor)}"),
            "UPDATE": "OLD.is_published OR NEW.is_published",
            "DELETE": "OLD.is_published",
        }[event]
    return {
        "INSERT": "NEW.is_published OR NEW.public_changed_at IS NOT NULL",
        "UPDATE": f"({_differ(vendor, 'OLD', 'NEW', ['is_published'])})"
        f" OR (NEW.is_published AND ({_differ(vendor, 'OLD', 'NEW', _public_columns())}))"
        f" OR {_differ(vendor, 'OLD', 'NEW', STAMP)}",
        "DELETE": "OLD.is_published OR OLD.public_changed_at IS NOT NULL",
    }[event]


def install(connection) -> None:
    """Create or replace every trigger; idempotent."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                # The search path of migrate time, whoever's write fires it later.
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
                f"SET search_path FROM CURRENT AS $$ BEGIN {POSTGRES_BUMP}; RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION_HISTORY}() RETURNS trigger LANGUAGE plpgsql "
                f"SET search_path FROM CURRENT AS $$ BEGIN IF {_new_public_version(vendor)} THEN "
                f"{POSTGRES_BUMP}; END IF; RETURN NULL; END $$"
            )
        for table in ALL_ROWS + PUBLISHED_ROWS:
            for event in EVENTS:
                name = f"{table}_public_state_{event.lower()}"
                condition = _condition(table, event, vendor)
                condition = f"WHEN ({condition})" if condition else ""
                if vendor == "postgresql":
                    # Statement level where every row counts (one bump per bulk insert).
                    level = "ROW" if table in PUBLISHED_ROWS else "STATEMENT"
                    function = FUNCTION_HISTORY if (table, event) == (HISTORY, "INSERT") else FUNCTION
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH {level} {condition} "
                        f"EXECUTE FUNCTION {function}()"
                    )
                elif vendor == "sqlite":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {condition} "
                        f"BEGIN {SQLITE_BUMP}; END"
                    )
                else:
                    raise NotImplementedError(f"public state triggers for {vendor}")
        if vendor == "postgresql":
            # Emptying a table of publications is a change too (TRUNCATE fires no row trigger).
            for table in ALL_ROWS + PUBLISHED_ROWS:
                name = f"{table}_public_state_truncate"
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION {FUNCTION}()"
                )
    bump(connection)  # and the row exists from here on


def install_after_migrate(sender, using, apps=None, **kwargs) -> None:
    """``post_migrate`` handler: once the tables exist, put the triggers on them."""
    from django.db import connections

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if not {STATE, *ALL_ROWS, *PUBLISHED_ROWS} <= tables:
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, PUBLISHED_ROWS[0])}
    if set(STAMP) <= columns:  # not migrated back before the stamp (the triggers read it)
        install(connection)


def bump(connection) -> None:
    """A new token by hand, for writes that bypass triggers (a restore with triggers disabled)."""
    with connection.cursor() as cursor:
        cursor.execute(SQLITE_BUMP if connection.vendor == "sqlite" else POSTGRES_BUMP)
