import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def local_targets(settings):
    """The operator setting the tests use: deliveries may go to 127.0.0.1 (only), with a short timeout."""
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    return settings
