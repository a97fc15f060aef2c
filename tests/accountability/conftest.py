from tests.workflows.conftest import city, english, people, publish  # noqa: F401  (shared fixtures)
