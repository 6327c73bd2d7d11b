"""pyproj transformers are made once per thread: never shared between threads."""

import threading

from locator.values.geo.distance import to_metric, transformer


def test_a_transformer_is_kept_per_thread_and_never_shared():
    here = transformer("EPSG:4326", "EPSG:32649")
    assert transformer("EPSG:4326", "EPSG:32649") is here  # made once in this thread
    seen = []
    worker = threading.Thread(target=lambda: seen.append(transformer("EPSG:4326", "EPSG:32649")))
    worker.start()
    worker.join()
    assert seen and seen[0] is not here
    # and both give the same numbers: Jiangmen's centre in UTM 49N
    x, y = to_metric(113.08, 22.58, 32649)
    assert seen[0].transform(113.08, 22.58) == (x, y)
    assert 700_000 < x < 720_000 and 2_495_000 < y < 2_505_000
