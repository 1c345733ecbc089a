"""Channel backends (WeChat, Alipay, inbox) and deliveries that wait for `not_before` (quiet hours)."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from loyalty import messaging, tasks
from loyalty.models import OutboxMessage
from tests.conftest import race, requires_postgres

Channel = OutboxMessage.Channel


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((self.path, self.headers["Authorization"], json.loads(body)))
        self.send_response(_Gateway.status)
        self.end_headers()
        self.wfile.write(b'{"id": "wx-42"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received, _Gateway.status = [], 200
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _message(tenant, **fields) -> OutboxMessage:
    values = {"merchant": tenant.merchant, "recipient": "13800000001", "body": "hello", **fields}
    return OutboxMessage.objects.create(**values)


def _use_gateway(settings, channel: str, url: str, token: str = "wx-token") -> None:
    settings.MESSAGE_BACKENDS = {**settings.MESSAGE_BACKENDS, channel: "loyalty.messaging.HttpGatewayChannelBackend"}
    settings.MESSAGE_GATEWAYS = {**settings.MESSAGE_GATEWAYS, channel: {"URL": url, "TOKEN": token, "TIMEOUT": 2}}


@pytest.mark.parametrize("channel", [Channel.WECHAT_TEMPLATE, Channel.WECHAT_SUBSCRIPTION, Channel.ALIPAY])
def test_each_channel_is_sent_by_its_console_backend_by_default(tenant_a, channel):
    message = _message(tenant_a, channel=channel, recipient="o-openid-1", title="Hi")
    assert messaging.deliver([message.pk]) == []
    message.refresh_from_db()
    assert (message.status, message.provider_reference, message.attempts) == (OutboxMessage.Status.SENT,
                                                                              "console", 1)


def test_the_wechat_gateway_receives_the_documented_json_with_its_token(tenant_a, gateway, settings):
    _use_gateway(settings, Channel.WECHAT_TEMPLATE, f"{gateway}/wechat")
    message = _message(tenant_a, channel=Channel.WECHAT_TEMPLATE, recipient="o-openid-1", title="Points",
                       body="You have 120 points", link="/m/alpha/")
    assert messaging.deliver([message.pk]) == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.provider_reference == "wx-42"
    assert _Gateway.received == [("/wechat", "Bearer wx-token", {
        "id": message.pk, "channel": "wechat_template", "to": "o-openid-1", "title": "Points",
        "body": "You have 120 points", "link": "/m/alpha/", "merchant": "alpha"})]


def test_each_channel_posts_to_its_own_gateway(tenant_a, gateway, settings):
    _use_gateway(settings, Channel.ALIPAY, f"{gateway}/alipay", token="ali-token")
    _use_gateway(settings, Channel.WECHAT_SUBSCRIPTION, f"{gateway}/subscribe", token="sub-token")
    alipay = _message(tenant_a, channel=Channel.ALIPAY, recipient="2088000")
    wechat = _message(tenant_a, channel=Channel.WECHAT_SUBSCRIPTION, recipient="o-openid-2")
    sms = _message(tenant_a, channel=Channel.SMS)
    assert messaging.deliver([alipay.pk, wechat.pk, sms.pk]) == []
    assert [(path, token, body["to"]) for path, token, body in _Gateway.received] == [
        ("/alipay", "Bearer ali-token", "2088000"), ("/subscribe", "Bearer sub-token", "o-openid-2")]
    sms.refresh_from_db()
    assert sms.provider_reference == "console"


def test_a_gateway_refusal_is_retried_then_failed(tenant_a, gateway, settings):
    _use_gateway(settings, Channel.ALIPAY, f"{gateway}/alipay")
    _Gateway.status = 503
    message = _message(tenant_a, channel=Channel.ALIPAY, recipient="2088000")
    assert messaging.deliver([message.pk]) == [message.pk]
    assert messaging.deliver([message.pk]) == [message.pk]
    assert messaging.deliver([message.pk]) == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 3 and "503" in message.error


def test_a_channel_without_a_gateway_url_fails_like_a_refusal(tenant_a, settings):
    _use_gateway(settings, Channel.WECHAT_TEMPLATE, "")
    message = _message(tenant_a, channel=Channel.WECHAT_TEMPLATE, recipient="o-openid-1")
    assert messaging.deliver([message.pk]) == [message.pk]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED and "no gateway URL" in message.error


def test_an_inbox_message_is_delivered_by_marking_it_sent(tenant_a):
    message = _message(tenant_a, channel=Channel.INBOX, member=tenant_a.member, recipient=str(tenant_a.member.pk))
    assert messaging.deliver([message.pk]) == []
    message.refresh_from_db()
    assert (message.status, message.provider_reference, message.read_at) == (OutboxMessage.Status.SENT, "inbox",
                                                                             None)


def test_a_message_due_later_is_not_sent_after_commit(tenant_a, django_capture_on_commit_callbacks):
    later = timezone.now() + datetime.timedelta(hours=8)
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.queue_message(tenant_a.merchant, "13800000001", "good morning", not_before=later,
                                          kind=OutboxMessage.Kind.MARKETING)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (OutboxMessage.Status.QUEUED, 0, None)
    assert tasks.deliver_due_messages() == 0


def test_a_deferred_message_is_sent_by_the_beat_task_once_due(tenant_a, django_capture_on_commit_callbacks):
    later = timezone.now() + datetime.timedelta(hours=8)
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.queue_message(tenant_a.merchant, "13800000001", "good morning", not_before=later)
    OutboxMessage.objects.filter(pk=message.pk).update(not_before=timezone.now() - datetime.timedelta(seconds=1))
    assert tasks.deliver_due_messages() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 1
    assert tasks.deliver_due_messages() == 0


def test_a_batch_queues_tasks_only_for_the_messages_due_now(tenant_a, django_capture_on_commit_callbacks):
    later = timezone.now() + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messaging.queue_messages([OutboxMessage(merchant=tenant_a.merchant, recipient=f"1380000{i:04d}", body="x",
                                                not_before=later if i % 2 else None) for i in range(10)])
    assert len(callbacks) == 1
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 5
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED, not_before=later).count() == 5


def test_the_beat_task_sends_due_messages_in_batches_and_leaves_the_rest(tenant_a):
    now = timezone.now()
    due = [_message(tenant_a, recipient=f"1380000{i:04d}", not_before=now - datetime.timedelta(minutes=i))
           for i in range(7)]
    waiting = _message(tenant_a, not_before=now + datetime.timedelta(minutes=5))
    assert messaging.deliver_due_messages(batch_size=3) == 7
    assert OutboxMessage.objects.filter(pk__in=[m.pk for m in due], status=OutboxMessage.Status.SENT).count() == 7
    waiting.refresh_from_db()
    assert waiting.status == OutboxMessage.Status.QUEUED and waiting.attempts == 0


def test_a_due_message_that_fails_is_tried_once_a_run_then_failed(tenant_a, gateway, settings):
    _use_gateway(settings, Channel.ALIPAY, f"{gateway}/alipay")
    _Gateway.status = 500
    message = _message(tenant_a, channel=Channel.ALIPAY, not_before=timezone.now() - datetime.timedelta(seconds=1))
    for attempts in (1, 2):
        assert messaging.deliver_due_messages(batch_size=1) == 0
        message.refresh_from_db()
        assert (message.status, message.attempts) == (OutboxMessage.Status.QUEUED, attempts)
    messaging.deliver_due_messages(batch_size=1)
    message.refresh_from_db()
    assert (message.status, message.attempts, len(_Gateway.received)) == (OutboxMessage.Status.FAILED, 3, 3)


def test_the_beat_task_is_scheduled(settings):
    assert settings.CELERY_BEAT_SCHEDULE["outbox-deliver-due-messages"]["task"] == "loyalty.tasks.deliver_due_messages"


@requires_postgres()
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_beat_runs_send_each_due_message_once(gateway, settings):
    from tests.conftest import make_tenant

    tenant = make_tenant("gamma")
    _use_gateway(settings, Channel.WECHAT_TEMPLATE, f"{gateway}/wechat")
    past = timezone.now() - datetime.timedelta(minutes=1)
    OutboxMessage.objects.bulk_create([OutboxMessage(merchant=tenant.merchant, channel=Channel.WECHAT_TEMPLATE,
                                                     recipient=f"o-{i}", body="x", not_before=past)
                                       for i in range(40)])
    results, codes = race([lambda: messaging.deliver_due_messages(batch_size=10)] * 2)
    assert codes == [] and sum(results) == 40
    assert sorted(body["to"] for _path, _token, body in _Gateway.received) == sorted(f"o-{i}" for i in range(40))
    assert OutboxMessage.objects.filter(merchant=tenant.merchant, status=OutboxMessage.Status.SENT,
                                        attempts=1).count() == 40
