"""One row of a tenant per punch card admin model, for the tenant-isolation tests."""

from cards.punchcards import services
from cards.punchcards.models import PunchCardEntry
from tests.punchcards.helpers import make_product


def _card(t):
    return services.sell_card(make_product(t.merchant), t.member, store=t.store)


def _use(t):
    return services.record_use(_card(t), store=t.store)


def _co_user(t):
    return services.add_co_user(_card(t), phone="13712345678", name="kid")


FACTORIES = {
    "punchcards.punchcardsettings": lambda t: services.punch_card_settings(t.merchant),
    "punchcards.punchcardproduct": lambda t: make_product(t.merchant),
    "punchcards.punchcard": _card,
    "punchcards.punchcarduse": _use,
    "punchcards.punchcardentry": lambda t: PunchCardEntry.objects.get(card=_card(t)),
    "punchcards.couser": _co_user,
}
