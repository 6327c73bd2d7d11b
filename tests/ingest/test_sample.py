"""The sample generator is deterministic and produces what is committed."""

import pytest

from locator.ingest.sample import COUNTS, build_sample, share_out
from locator.web import DEFAULT_DATA_DIR


def test_two_runs_are_byte_identical_and_match_the_committed_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert build_sample(DEFAULT_DATA_DIR, a) == COUNTS
    build_sample(DEFAULT_DATA_DIR, b)
    for layer in COUNTS:
        name = f"{layer}.geojson"
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert (a / name).read_bytes() == (DEFAULT_DATA_DIR / name).read_bytes(), (
            f"{name} differs from what the generator makes: run `make sample` and commit"
        )


@pytest.mark.parametrize(
    ("total", "weights", "minimum", "expected"),
    [
        (10, [1, 1], 0, [5, 5]),
        (10, [4, 1], 0, [8, 2]),
        (7, [1, 1, 1], 1, [3, 2, 2]),
        (5, [1, 1, 1, 1, 1], 1, [1, 1, 1, 1, 1]),
    ],
)
def test_share_out(total, weights, minimum, expected):
    shares = share_out(total, weights, minimum)
    assert shares == expected and sum(shares) == total


def test_routes_are_reproducible_and_match_the_committed_file(tmp_path):
    from locator.ingest.routes import build_routes

    assert build_routes(DEFAULT_DATA_DIR, tmp_path) == 12
    name = "rural_routes.geojson"
    assert (tmp_path / name).read_bytes() == (DEFAULT_DATA_DIR / name).read_bytes(), (
        f"{name} differs from what the generator makes: run `make sample` and commit"
    )
