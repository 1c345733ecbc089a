"""One row of a tenant per admin model of the loyalty app (see tests/merchants/admin_factories.py)."""

from loyalty.models import Event
from merchants import services


def _event(t) -> Event:
    services.revoke_terminal(t.terminal, staff=t.owner.user)
    return Event.objects.filter(merchant=t.merchant).latest("pk")


FACTORIES = {
    "loyalty.event": _event,
}
