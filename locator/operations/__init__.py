"""Operations: pure functions over values — nearest, opening hours, coverage and site
suggestions, demand weights, routes, feature queries (CQL2), the service area and the
offline pack. No I/O, no Flask, folium or psycopg; they import only :mod:`locator.values`
(rank 1)."""
