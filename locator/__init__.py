"""locator: nearest union service facilities for the workers of Jiangmen (江门).

Nothing is loaded at import time; the web app is built by :func:`locator.web.create_app`.
"""

__version__ = "0.1.0"
