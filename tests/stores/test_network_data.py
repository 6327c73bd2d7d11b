"""The street network as data: ``network.npz`` is part of a data version on both stores,
a broken one is refused like any broken data (the old version kept), and one built for
another city is refused."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from locator.formats.network import network_from_bytes, network_to_bytes
from locator.operations.network import NETWORK_FILE
from locator.service import Service
from locator.stores.files.holder import CatalogHolder
from locator.stores.files.read import fingerprint, read_geodata
from locator.stores.files.store import load_catalog
from locator.values.errors import DataError
from locator.web import DEFAULT_DATA_DIR


def test_the_network_is_part_of_the_data_version(network_data_dir):
    with_net = read_geodata(network_data_dir)
    without = read_geodata(DEFAULT_DATA_DIR)
    assert without.network is None
    assert with_net.network is not None and with_net.network.info.fixture
    assert with_net.version != without.version
    service = Service(load_catalog(network_data_dir))
    assert service.network is with_net.network  # the same file is loaded once
    assert Service(load_catalog(DEFAULT_DATA_DIR)).network is None


@pytest.fixture()
def copy_dir(tmp_path, network_data_dir):
    target = tmp_path / "data"
    shutil.copytree(network_data_dir, target)
    return target


def test_a_broken_network_is_refused_and_the_old_version_kept(copy_dir):
    holder = CatalogHolder(copy_dir)
    before = holder.catalog
    good = (copy_dir / NETWORK_FILE).read_bytes()
    (copy_dir / NETWORK_FILE).write_bytes(good[: len(good) // 2])  # a truncated copy
    assert holder.fingerprint() != holder.loaded_fingerprint
    with pytest.raises(DataError) as err:
        holder.reload()
    assert err.value.file == NETWORK_FILE
    assert holder.catalog is before and before.reference.network is not None
    # removing it is a change too: the data is served without a network
    (copy_dir / NETWORK_FILE).unlink()
    assert holder.reload().reference.network is None
    assert NETWORK_FILE in str(fingerprint(copy_dir))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"city_code": "460200"}, "built for city '460200'.*locator build-network"),
        ({"metric_epsg": 32650}, "built in EPSG:32650, not in the city's .*EPSG:32649"),
    ],
)
def test_a_network_of_another_city_or_projection_is_refused(copy_dir, change, message):
    net = network_from_bytes((copy_dir / NETWORK_FILE).read_bytes())
    other = dataclasses.replace(net, info=dataclasses.replace(net.info, **change))
    (copy_dir / NETWORK_FILE).write_bytes(network_to_bytes(other))
    with pytest.raises(DataError, match=message):
        read_geodata(copy_dir)


@pytest.mark.parametrize("garbage", [b"", b"PK\x03\x04 not a zip", b"\x93NUMPY"])
def test_garbage_is_not_a_network(garbage):
    with pytest.raises(DataError, match=NETWORK_FILE):
        network_from_bytes(garbage)


def test_postgis_carries_the_network_to_every_app_server(pg_server, network_data_dir):
    from locator.stores.postgis.db import Database
    from locator.stores.postgis.store import PostgisStore

    url = pg_server.database("network", network_data_dir)
    store = PostgisStore.open(Database(url))
    files = read_geodata(network_data_dir)
    assert store.version == files.version  # the network counts in both versions alike
    net = store.reference.network
    assert net is not None and files.network is not None
    assert net.nodes == files.network.nodes
    assert net.graphs["ebike"].edges == files.network.graphs["ebike"].edges


def test_validate_reports_the_network_and_its_problem(copy_dir):
    from click.testing import CliRunner

    from locator.cli import cli

    ok = CliRunner().invoke(cli, ["validate", "--data-dir", str(copy_dir)])
    assert ok.exit_code == 0, ok.output
    assert "TEST FIXTURE" in ok.output and "ebike" in ok.output
    (copy_dir / NETWORK_FILE).write_bytes(b"junk")
    bad = CliRunner().invoke(cli, ["validate", "--data-dir", str(copy_dir)])
    assert bad.exit_code == 1
    assert "error: network.npz: not a street network file" in bad.output
    assert "Traceback" not in bad.output
