from tests.api.conftest import BOTH_RED, _clock, world  # shared fixtures
from tests.workflows.conftest import city, people, publish  # shared fixtures
