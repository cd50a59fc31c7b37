"""The database: tables, sessions and units of work, migrations, and reading accounts."""
