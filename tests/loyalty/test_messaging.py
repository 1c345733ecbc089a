import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction

from loyalty import messaging
from loyalty.models import OutboxMessage


def test_a_message_is_sent_once_the_transaction_commits(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.queue_message(tenant_a.merchant, "13800000001", "hello")
        assert OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.QUEUED
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.sent_at is not None


def test_a_rolled_back_action_sends_nothing(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                messaging.queue_message(tenant_a.merchant, "13800000001", "never")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not OutboxMessage.objects.filter(body="never").exists()


def test_many_messages_go_out_in_batches_not_one_task_each(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = messaging.queue_messages(
            [OutboxMessage(merchant=tenant_a.merchant, recipient=f"1380000{i:04d}", body="sale") for i in range(1200)],
            batch_size=500)
    assert count == 1200 and len(callbacks) == 3
    assert OutboxMessage.objects.filter(body="sale", status=OutboxMessage.Status.SENT).count() == 1200


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    fail = False

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(500 if _Gateway.fail else 200)
        self.end_headers()
        self.wfile.write(b'{"id": "gw-1"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received, _Gateway.fail = [], False
    yield f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()


def test_the_http_gateway_backend_posts_json_with_the_token(tenant_a, gateway, settings):
    settings.SMS_BACKEND = "loyalty.messaging.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = gateway, "secret-token"
    message = OutboxMessage.objects.create(merchant=tenant_a.merchant, recipient="13800000001", body="hi")
    assert messaging.deliver([message.pk]) == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.provider_reference == "gw-1"
    assert _Gateway.received == [("Bearer secret-token", {"to": "13800000001", "body": "hi"})]


def test_a_gateway_failure_is_retried_then_marked_failed(tenant_a, gateway, settings):
    settings.SMS_BACKEND = "loyalty.messaging.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = gateway
    _Gateway.fail = True
    message = OutboxMessage.objects.create(merchant=tenant_a.merchant, recipient="13800000001", body="hi")
    assert messaging.deliver([message.pk]) == [message.pk]
    assert messaging.deliver([message.pk]) == [message.pk]
    assert messaging.deliver([message.pk]) == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 3 and message.error


def test_a_sent_message_is_never_sent_twice(tenant_a, gateway, settings):
    settings.SMS_BACKEND = "loyalty.messaging.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = gateway
    message = OutboxMessage.objects.create(merchant=tenant_a.merchant, recipient="13800000001", body="hi")
    messaging.deliver([message.pk])
    messaging.deliver([message.pk])
    assert len(_Gateway.received) == 1
