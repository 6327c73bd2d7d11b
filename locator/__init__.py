"""locator: nearest union service facilities for a city's workers (the bundled data:
Jiangmen, 江门; the city is the data directory's profile, ``city.json``).

Nothing is loaded at import time; the web app is built by :func:`locator.web.create_app`.
"""

__version__ = "0.1.0"
