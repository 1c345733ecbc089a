"""One row of a tenant per membership admin model, for the tenant-isolation tests."""

from cards.membership import services
from cards.membership.models import Level, PointsBucket
from tests.membership.helpers import make_program


def _program(t):
    return make_program(t.merchant, opening_points=10)


def _card(t):
    _program(t)
    return services.card_for(t.member)


def _points_entry(t):
    _program(t)
    return services.grant_points(t.member, 25, reason="gift", reference="A-GIFT")


def _bucket(t):
    return PointsBucket.objects.get(entries=_points_entry(t))


def _experience_entry(t):
    _program(t)
    return services.grant_experience(t.member, 30, reason="gift", reference="A-EXP")


FACTORIES = {
    "membership.membershipprogram": _program,
    "membership.level": lambda t: Level.objects.filter(program=_program(t)).order_by("rank").last(),
    "membership.membershipcard": _card,
    "membership.pointsentry": _points_entry,
    "membership.pointsbucket": _bucket,
    "membership.experienceentry": _experience_entry,
}
