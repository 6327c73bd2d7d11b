"""Whom to believe about the client: forwarded headers only from configured proxies.

With ``PROXY_COUNT`` > 0 the app takes the client's address and scheme from
``X-Forwarded-For``/``-Proto`` (werkzeug's ProxyFix) — but only on a request whose peer,
the address the connection really came from, is one of ``TRUSTED_PROXIES`` (addresses or
CIDR networks, ``LOCATOR_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8``; default: this machine's
loopback, where docs/DEPLOY.md puts nginx). A client that reaches the app directly and
forges the headers keeps its own address: its failed sign-ins are counted against it,
and it cannot claim HTTPS. Its forwarded headers are dropped before the app sees them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from locator.values.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: trusted when ``TRUSTED_PROXIES`` is not set: a proxy on this machine
DEFAULT_TRUSTED = ("127.0.0.0/8", "::1/128")

#: the forwarded headers an untrusted peer's request loses (WSGI environ keys)
FORWARDED = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)


def proxy_count(value: Any) -> int:
    """``PROXY_COUNT`` as a whole number 0-10 (a ConfigError naming it otherwise)."""
    try:
        count = int(str(value if value is not None else 0).strip())
        if not 0 <= count <= 10:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"PROXY_COUNT (LOCATOR_PROXY_COUNT) must be a whole number 0-10, got {value!r}"
        ) from None
    return count


def trusted_networks(value: str | Iterable[str] | None) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES``: addresses or CIDR networks, separated by commas or spaces (or a
    list); None or empty: :data:`DEFAULT_TRUSTED`."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value or ())
    out = []
    for item in items or DEFAULT_TRUSTED:
        try:
            out.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ConfigError(
                "TRUSTED_PROXIES (LOCATOR_TRUSTED_PROXIES) must list proxy addresses or "
                f"networks such as 127.0.0.1,10.0.0.0/8; {item!r} is neither"
            ) from None
    return tuple(out)


class TrustedProxyFix:
    """WSGI middleware: ProxyFix for requests whose peer is in ``networks``; every other
    request loses its forwarded headers and keeps the peer's own address and scheme."""

    def __init__(self, app: Any, count: int, networks: tuple[Network, ...]):
        self.app = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=count, x_host=0)
        self.networks = networks

    def trusts(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address((peer or "").split("%", 1)[0])
        except ValueError:  # a Unix socket, or no peer at all
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # a dual-stack listener's IPv4 client
        return any(address in net for net in self.networks)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for key in FORWARDED:
            environ.pop(key, None)
        return self.app(environ, start_response)
