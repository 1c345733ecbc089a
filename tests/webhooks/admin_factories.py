"""One row of a tenant per webhooks admin model, for the tenant-isolation tests."""

from merchants import services as merchants
from tests.webhooks.helpers import subscribe
from webhooks.models import Delivery


def _endpoint(t):
    return subscribe(t.merchant, "https://93.184.215.14/hooks", "member.joined")[0]


def _delivery(t):
    endpoint = _endpoint(t)
    merchants.join_member(t.merchant, "13900000999")
    return Delivery.objects.get(endpoint=endpoint)


FACTORIES = {
    "webhooks.endpoint": _endpoint,
    "webhooks.delivery": _delivery,
}
