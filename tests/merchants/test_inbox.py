"""The member inbox (站内信): inbox messages and copies of marketing sends, unread count, read on open."""

import datetime

from django.urls import reverse
from django.utils import timezone

from loyalty import messaging
from loyalty.models import OutboxMessage
from merchants.services import inbox_messages, join_member, unread_inbox_count
from tests.merchants.test_login import _send, _verify, last_code

Channel, Kind, Status = OutboxMessage.Channel, OutboxMessage.Kind, OutboxMessage.Status


def log_in(client, merchant, phone):
    _send(client, merchant, phone)
    _verify(client, merchant, phone, last_code(phone))


def _sent(member, **fields) -> OutboxMessage:
    values = {"merchant": member.merchant, "member": member, "channel": Channel.INBOX, "kind": Kind.MARKETING,
              "recipient": str(member.pk), "title": "Spring offer", "body": "Two coffees for one", "link": "",
              "status": Status.SENT, "sent_at": timezone.now(), **fields}
    return OutboxMessage.objects.create(**values)


def test_the_inbox_holds_inbox_messages_and_copies_of_marketing_but_no_codes_or_notices(tenant_a):
    member = tenant_a.member
    inbox = _sent(member, kind=Kind.NOTICE)
    sms_offer = _sent(member, channel=Channel.SMS, recipient=member.phone)
    _sent(member, channel=Channel.SMS, kind=Kind.NOTICE, recipient=member.phone)
    _sent(member, channel=Channel.SMS, kind=Kind.LOGIN_CODE, recipient=member.phone, body="123456")
    waiting = _sent(member, status=Status.QUEUED, sent_at=None, not_before=timezone.now() + datetime.timedelta(hours=3))
    assert list(inbox_messages(member)) == [sms_offer, inbox]
    OutboxMessage.objects.filter(pk=waiting.pk).update(not_before=timezone.now() - datetime.timedelta(seconds=1))
    assert messaging.deliver_due_messages() == 1
    assert [m.pk for m in inbox_messages(member)] == [waiting.pk, sms_offer.pk, inbox.pk]


def test_a_queued_inbox_message_arrives_once_delivered(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.queue_message(tenant_a.merchant, str(tenant_a.member.pk), "Welcome", title="Hi",
                                          channel=Channel.INBOX, member=tenant_a.member)
    message.refresh_from_db()
    assert message.status == Status.SENT and unread_inbox_count(tenant_a.member) == 1


def test_home_shows_the_unread_count_and_opening_a_message_reads_it(client, tenant_a, in_english):
    member = tenant_a.member
    first, second = _sent(member), _sent(member, title="Birthday", link="/m/alpha/coupons/")
    log_in(client, tenant_a.merchant, member.phone)
    home = client.get(reverse("member:home", args=[tenant_a.merchant.slug]))
    assert {"title": "Messages", "value": 2, "url": "/m/alpha/inbox/"} in home.context["sections"]
    listing = client.get(reverse("member:inbox", args=[tenant_a.merchant.slug]))
    assert [m.pk for m in listing.context["page"]] == [second.pk, first.pk] and listing.context["unread"] == 2
    opened = client.get(reverse("member:inbox-message", args=[tenant_a.merchant.slug, second.pk]))
    assert opened.status_code == 200 and opened.context["link"] == "/m/alpha/coupons/"
    second.refresh_from_db()
    read_at = second.read_at
    assert read_at is not None and unread_inbox_count(member) == 1
    client.get(reverse("member:inbox-message", args=[tenant_a.merchant.slug, second.pk]))
    second.refresh_from_db()
    assert second.read_at == read_at


def test_mark_all_as_read(client, tenant_a):
    _sent(tenant_a.member), _sent(tenant_a.member)
    log_in(client, tenant_a.merchant, tenant_a.member.phone)
    response = client.post(reverse("member:inbox", args=[tenant_a.merchant.slug]), {"action": "read-all"})
    assert response.status_code == 302 and unread_inbox_count(tenant_a.member) == 0


def test_another_members_message_is_a_404_and_stays_unread(client, tenant_a):
    other = join_member(tenant_a.merchant, "13700000009", name="Other")
    theirs = _sent(other)
    log_in(client, tenant_a.merchant, tenant_a.member.phone)
    response = client.get(reverse("member:inbox-message", args=[tenant_a.merchant.slug, theirs.pk]))
    assert response.status_code == 404
    assert list(client.get(reverse("member:inbox", args=[tenant_a.merchant.slug])).context["page"]) == []
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_another_merchants_member_pages_show_none_of_it(client, tenant_a, tenant_b):
    mine = _sent(tenant_a.member)
    log_in(client, tenant_b.merchant, tenant_b.member.phone)
    assert client.get(reverse("member:inbox-message", args=[tenant_b.merchant.slug, mine.pk])).status_code == 404
    assert client.get(reverse("member:inbox-message", args=[tenant_a.merchant.slug, mine.pk])).status_code == 302


def test_the_inbox_needs_a_login(client, tenant_a):
    response = client.get(reverse("member:inbox", args=[tenant_a.merchant.slug]))
    assert response.status_code == 302 and response["Location"] == "/m/alpha/login/?next=%2Fm%2Falpha%2Finbox%2F"


def test_a_link_to_another_merchant_or_a_script_is_not_shown(client, tenant_a):
    log_in(client, tenant_a.merchant, tenant_a.member.phone)
    for link, shown in (("/m/beta/coupons/", ""), ("javascript:alert(1)", ""), ("//evil.example/", ""),
                        ("https://mp.weixin.qq.com/s/abc", "https://mp.weixin.qq.com/s/abc"),
                        ("/m/alpha/coupons/claim/x/", "/m/alpha/coupons/claim/x/")):
        message = _sent(tenant_a.member, link=link)
        page = client.get(reverse("member:inbox-message", args=[tenant_a.merchant.slug, message.pk]))
        assert page.context["link"] == shown, link
