from tests.workflows.conftest import city, english, people, publish  # shared fixtures
