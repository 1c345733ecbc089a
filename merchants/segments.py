"""The segment filters over what the merchants app knows of a member: joining, birthday, tags, attributes, phone."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact, IContains
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.errors import DomainError
from loyalty.segments import Param, ParamKind, SegmentFilter, invalid, segment_filters
from merchants.models import MemberField, MemberTag
from merchants.services.members import clean_member_value, normalize_phone


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class JoinedBetween(SegmentFilter):
    code = "joined_between"
    label = gettext_lazy("joined between dates")
    order = 10
    params = (Param("joined_from", gettext_lazy("joined from"), ParamKind.DATE),
              Param("joined_until", gettext_lazy("joined until"), ParamKind.DATE))

    def check(self, params, *, merchant_id):
        if params["joined_until"] < params["joined_from"]:
            raise invalid(_("The last day of joining comes before the first."), param="joined_until")
        return params

    def condition(self, params, *, merchant_id, at):
        start = _day_start(datetime.date.fromisoformat(params["joined_from"]))
        end = _day_start(datetime.date.fromisoformat(params["joined_until"]) + datetime.timedelta(days=1))
        return Q(joined_at__gte=start, joined_at__lt=end)

    def describe(self, params):
        return _("joined from %(first)s to %(last)s") % {"first": params["joined_from"],
                                                         "last": params["joined_until"]}


class BirthdayMonth(SegmentFilter):
    code = "birthday_month"
    label = gettext_lazy("birthday in a month")
    order = 20
    params = (Param("month", gettext_lazy("month"), ParamKind.INTEGER, required=False, min_value=1, max_value=12,
                    help_text=gettext_lazy("Leave empty for the month the segment is used in.")),)

    def condition(self, params, *, merchant_id, at):
        # Without a month, "this month" is the month of `at`, so a resumed mass send targets the same people.
        return Q(birthday__month=params.get("month") or timezone.localtime(at).month)

    def describe(self, params):
        if params.get("month"):
            return _("birthday in month %(month)d") % {"month": params["month"]}
        return _("birthday this month")


def _tag_options(merchant_id: int | None) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in MemberTag.objects.filter(merchant_id=merchant_id)
            .values_list("pk", "name")]


class Tagged(SegmentFilter):
    code = "tag"
    label = gettext_lazy("has a tag")
    order = 30
    params = (Param("tag", gettext_lazy("tag"), ParamKind.CHOICE, options=_tag_options),)

    def condition(self, params, *, merchant_id, at):
        return Q(tags=int(params["tag"]))

    def describe(self, params):
        name = MemberTag.objects.filter(pk=params["tag"]).values_list("name", flat=True).first() or "?"
        return _("tagged “%(tag)s”") % {"tag": name}


def _field_options(merchant_id: int | None) -> list[tuple[str, str]]:
    return [(key, label) for key, label in MemberField.objects.filter(merchant_id=merchant_id, is_active=True)
            .values_list("key", "label")]


class MemberFieldIs(SegmentFilter):
    """A member attribute (会员属性) equals a value; for a multiple-choice attribute, holds the option."""

    code = "member_field"
    label = gettext_lazy("member attribute")
    order = 40
    params = (Param("field", gettext_lazy("attribute"), ParamKind.CHOICE, options=_field_options),
              Param("value", gettext_lazy("value"), ParamKind.TEXT))

    def check(self, params, *, merchant_id):
        definition = MemberField.objects.get(merchant_id=merchant_id, key=params["field"])
        try:
            value = clean_member_value(definition, params["value"])
        except DomainError:
            raise invalid(_("That is not a value of “%(label)s”.") % {"label": definition.label},
                          param="value") from None
        kind = definition.kind
        # Keys are unique per merchant only: the label is kept for the description.
        return {**params, "value": value[0] if kind == MemberField.Kind.MULTIPLE_CHOICE else value,
                "multiple": kind == MemberField.Kind.MULTIPLE_CHOICE, "label": definition.label}

    def condition(self, params, *, merchant_id, at):
        stored = KeyTextTransform(params["field"], "custom_fields")
        if params.get("multiple"):
            # The attribute is a JSON list of options; its text holds each option JSON-quoted.
            return Q(IContains(stored, json.dumps(params["value"], ensure_ascii=False)))
        return Q(Exact(stored, params["value"]))

    def describe(self, params):
        return _("%(field)s is %(value)s") % {"field": params.get("label", params["field"]), "value": params["value"]}


class PhoneList(SegmentFilter):
    """An uploaded list of phones (the CSV mass sends accept): members of the merchant with those phones."""

    code = "phones"
    label = gettext_lazy("uploaded list of phones")
    order = 50
    params = (Param("phones", gettext_lazy("phones"), ParamKind.PHONES,
                    help_text=gettext_lazy("One phone per line.")),)

    def check(self, params: Mapping[str, Any], *, merchant_id):
        phones = set()
        for phone in params["phones"]:
            try:
                phones.add(normalize_phone(phone))
            except DomainError:
                continue
        if not phones:
            raise invalid(_("The list holds no valid phone number."), param="phones")
        return {"phones": sorted(phones)}

    def condition(self, params, *, merchant_id, at):
        return Q(phone__in=params["phones"])

    def describe(self, params):
        return _("one of %(count)d phones") % {"count": len(params["phones"])}


def register() -> None:
    for segment_filter in (JoinedBetween(), BirthdayMonth(), Tagged(), MemberFieldIs(), PhoneList()):
        segment_filters.register(segment_filter)
