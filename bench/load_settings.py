"""Settings of the gunicorn that bench/load.py starts: the product's own settings, with a URL
configuration that adds one bare DRF endpoint to compare with (bench/load_urls.py)."""

from pingan.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
