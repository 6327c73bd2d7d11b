"""Forwarded headers are believed only from the configured proxies: a client that reaches
the app directly cannot forge its address (to escape the sign-in limit) or its scheme."""

from __future__ import annotations

import pytest

from locator.values.errors import ConfigError
from locator.web import create_app
from locator.web.auth import MAX_FAILURES

TOKEN = "correct-horse-battery-staple-2026"


def _app(ddir, **config):
    return create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_TOKEN": TOKEN,
            "PROXY_COUNT": 1,
            **config,
        }
    )


def _sign_in(client, peer: str, forwarded: str, token: str = "guess", proto: str = "http"):
    return client.post(
        "/admin/signin",
        data={"token": token},
        headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": proto},
        environ_base={"REMOTE_ADDR": peer},
    )


@pytest.mark.parametrize(
    ("trusted", "proxy", "stranger"),
    [
        (None, "127.0.0.1", "203.0.113.9"),  # the default: a proxy on this machine
        ("10.0.0.0/8, 192.0.2.7", "10.20.30.40", "127.0.0.1"),
        ("2001:db8::/32", "2001:db8::1", "203.0.113.9"),
    ],
)
def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(ddir, trusted, proxy, stranger):
    client = _app(ddir, TRUSTED_PROXIES=trusted).test_client()
    # a stranger forging a new address each time is still one address: locked out
    for i in range(MAX_FAILURES):
        assert _sign_in(client, stranger, f"198.51.100.{i + 1}").status_code == 401
    locked = _sign_in(client, stranger, "198.51.100.200", token=TOKEN)
    assert locked.status_code == 429
    # nor does it get a Secure cookie by claiming https, once it may try again
    fresh = _app(ddir, TRUSTED_PROXIES=trusted).test_client()
    resp = _sign_in(fresh, stranger, "198.51.100.1", token=TOKEN, proto="https")
    assert resp.status_code == 303 and "Secure" not in resp.headers["Set-Cookie"]
    # through the proxy, the client it names is the one counted, and https is believed
    for _ in range(MAX_FAILURES):
        assert _sign_in(client, proxy, "198.51.100.50").status_code == 401
    assert _sign_in(client, proxy, "198.51.100.50", token=TOKEN).status_code == 429
    other = _sign_in(client, proxy, "198.51.100.51", token=TOKEN, proto="https")
    assert other.status_code == 303 and "Secure" in other.headers["Set-Cookie"]


def test_without_proxies_the_headers_mean_nothing(ddir):
    client = _app(ddir, PROXY_COUNT=0).test_client()
    for i in range(MAX_FAILURES):
        assert _sign_in(client, "127.0.0.1", f"198.51.100.{i + 1}").status_code == 401
    assert _sign_in(client, "127.0.0.1", "198.51.100.99", token=TOKEN).status_code == 429


@pytest.mark.parametrize(
    ("setting", "value"),
    [("TRUSTED_PROXIES", "10.0.0.0/33"), ("TRUSTED_PROXIES", "nginx"), ("PROXY_COUNT", "one")],
)
def test_a_bad_setting_is_refused_by_name(ddir, setting, value):
    with pytest.raises(ConfigError, match=setting):
        _app(ddir, **{setting: value})


def test_serve_warns_when_a_remote_proxy_would_not_be_believed():
    from locator.cli.serve import trust_warning

    assert trust_warning("127.0.0.1", 1, None) is None  # nginx on this machine: believed
    assert trust_warning("0.0.0.0", 0, None) is None  # no proxy declared
    assert trust_warning("0.0.0.0", 1, "10.0.0.5") is None
    warning = trust_warning("0.0.0.0", 1, None)
    assert warning and "LOCATOR_TRUSTED_PROXIES" in warning and "代理" in warning
