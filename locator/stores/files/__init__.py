"""The file store: a data directory of GeoJSON files read and validated (:mod:`.read`),
held in memory with its spatial indexes (:mod:`.store`, the
:class:`~locator.stores.base.Store` and its own snapshot), and swapped whole when the
files change (:mod:`.holder`)."""
