"""The security tests run in the page tests' world (built once per backend, copied per test)."""

from tests.web.conftest import database_url, postgres_world, sqlite_world, world  # noqa: F401
