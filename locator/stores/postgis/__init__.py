"""The PostgreSQL + PostGIS store: many app servers sharing one database.

``LOCATOR_DATABASE_URL=postgresql://…`` switches the app from the GeoJSON files to the
database. The modules:

- :mod:`.db`: connections (a pool per process, made after a fork) and the data version row;
- :mod:`.schema`: numbered migrations (``locator db init``);
- :mod:`.sync`: files into the database and back (``locator db load`` / ``dump``), rows
  read for the analysis snapshot, and the working copy an import or rollback is checked
  and written through (one layer's worth), in one transaction;
- :mod:`.store`: :class:`~.store.PostgisStore`, the second narrow
  :class:`~locator.stores.base.Store`;
- :mod:`.holder`: :class:`~.holder.PgHolder`, which swaps a new version in whole;
- :mod:`.staging`: admin uploads waiting for confirmation, kept in the database.

(The throw-away cluster the tests and benchmarks run lives in ``tests/pgcluster.py``.)

psycopg (3) is imported here only: without a database URL nothing of this package loads.
"""
