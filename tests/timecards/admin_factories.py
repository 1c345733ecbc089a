"""One row of a tenant per time card admin model, for the tenant-isolation tests."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cards.timecards import services
from tests.timecards.helpers import make_tier


def _card(t):
    return services.sell_card(make_tier(t.merchant), t.member, store=t.store)


def _photo(t):
    tier = make_tier(t.merchant)
    return services.save_photo(t.member, tier.product, SimpleUploadedFile("me.png", b"\x89PNG fake", "image/png"))


FACTORIES = {
    "timecards.timecardsettings": lambda t: services.time_card_settings(t.merchant),
    "timecards.timecardproduct": lambda t: make_tier(t.merchant).product,
    "timecards.timecard": _card,
    "timecards.timecarduse": lambda t: services.record_use(_card(t), store=t.store),
    "timecards.identityphoto": _photo,
}
