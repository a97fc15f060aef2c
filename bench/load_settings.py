"""Settings of the gunicorn that bench/load.py starts: the product's own settings, with a URL
configuration that adds one bare DRF endpoint to compare with (bench/load_urls.py), and the keys of a
shared cache its run's own."""

import os

from pingan.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
CACHES["default"]["KEY_PREFIX"] = os.environ.get("PINGAN_BENCH_CACHE_PREFIX", "")  # noqa: F405
