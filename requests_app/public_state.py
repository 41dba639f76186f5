"""The triggers behind the public-state token (``PublicState``, read by the page cache).

Any write that can change what the public pages show gives ``PublicState.token`` a new random
value, in the writing transaction, whatever makes the write (a service, the admin, a shell, SQL):

* publications and their figure rows: every write (they are public by nature);
* pause decisions and their history (the register shows the versions that were public): only
  rows that are or were published, so that work on a draft changes nothing a visitor can observe,
  not even whether a page was just re-rendered.

The triggers are (re)installed after every ``migrate`` (``post_migrate``, as Django creates
permissions), not by one migration: SQLite drops a table's triggers whenever a later migration
rebuilds the table, and this way they always match this module.
"""

from __future__ import annotations

STATE = "requests_app_publicstate"
ALL_ROWS = ("requests_app_publication", "requests_app_figurerow")
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


def _published(event: str) -> str:
    return {
        "INSERT": "NEW.is_published",
        "UPDATE": "OLD.is_published OR NEW.is_published",
        "DELETE": "OLD.is_published",
    }[event]


def install(connection) -> None:
    """Create or replace every trigger; idempotent."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                # The search path of migrate time, whoever's write fires it later.
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
                f"SET search_path FROM CURRENT AS $$ BEGIN {POSTGRES_BUMP}; RETURN NULL; END $$"
            )
        for table in ALL_ROWS + PUBLISHED_ROWS:
            for event in EVENTS:
                name = f"{table}_public_state_{event.lower()}"
                condition = f"WHEN ({_published(event)})" if table in PUBLISHED_ROWS else ""
                if connection.vendor == "postgresql":
                    # Statement level where every row counts (one bump per bulk insert).
                    level = "ROW" if table in PUBLISHED_ROWS else "STATEMENT"
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH {level} {condition} "
                        f"EXECUTE FUNCTION {FUNCTION}()"
                    )
                elif connection.vendor == "sqlite":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {condition} "
                        f"BEGIN {SQLITE_BUMP}; END"
                    )
                else:
                    raise NotImplementedError(f"public state triggers for {connection.vendor}")
        if connection.vendor == "postgresql":
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
    if {STATE, *ALL_ROWS, *PUBLISHED_ROWS} <= tables:
        install(connection)


def bump(connection) -> None:
    """A new token by hand, for writes that bypass triggers (a restore with triggers disabled)."""
    with connection.cursor() as cursor:
        cursor.execute(SQLITE_BUMP if connection.vendor == "sqlite" else POSTGRES_BUMP)
