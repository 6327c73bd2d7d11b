"""Stores: where the features live, behind one narrow interface
(:class:`~locator.stores.base.Store`: version, collection infos, reference data, get,
page, nearest, snapshot). Two stores sit side by side, each with its holder (which swaps
versions whole) and its working copy for the importer:

- :mod:`locator.stores.files`: the in-memory store over the GeoJSON files of a data
  directory, the embedded default;
- :mod:`locator.stores.postgis`: PostgreSQL + PostGIS, for many app servers.

Application questions are not a store's: the service (:mod:`locator.service`) answers
them over either. Stores are rank 3 of DESIGN.md's layering; the service is rank 4."""
