import os

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django's ORM is still used
# synchronously there, which is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def index(db):
    from tests.factories import event_index

    return event_index()
