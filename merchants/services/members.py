"""Members: joining, their merchant-defined attributes, and finding them."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.errors import DomainError
from merchants import errors, events
from merchants.models import Member, MemberField, Merchant, Store, phone_validator
from merchants.signals import member_joined

_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_phone(raw, *, field: str = "phone") -> str:
    """A mainland mobile as 11 digits (dropping +86), others as +country digits; refuse anything else."""
    phone = _SEPARATORS.sub("", str(raw or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("00"):
        phone = "+" + phone[2:]
    try:
        phone_validator(phone)
    except ValidationError:
        raise DomainError(errors.PHONE_INVALID, phone_validator.message, field=field) from None
    return phone


def find_member_by_phone(merchant: Merchant, phone: str) -> Member | None:
    return Member.objects.filter(merchant=merchant, phone=normalize_phone(phone)).first()


def clean_member_value(definition: MemberField, value):
    """One attribute value in its JSON form, or a DomainError naming the field."""
    field = f"custom_fields.{definition.key}"
    kind = definition.kind
    try:
        if kind == MemberField.Kind.TEXT:
            text = str(value).strip()
            if len(text) > 200:
                raise ValueError
            return text
        if kind == MemberField.Kind.NUMBER:
            number = Decimal(str(value).strip())
            if not number.is_finite() or abs(number) >= Decimal("1e12"):
                raise ValueError
            return str(number.normalize()) if number != number.to_integral() else str(int(number))
        if kind == MemberField.Kind.DATE:
            if isinstance(value, datetime.date):
                return value.isoformat()
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        if kind == MemberField.Kind.CHOICE:
            if str(value) not in definition.choices:
                raise ValueError
            return str(value)
        if kind == MemberField.Kind.MULTIPLE_CHOICE:
            values = [value] if isinstance(value, str) else list(value)
            if any(str(v) not in definition.choices for v in values):
                raise ValueError
            return sorted({str(v) for v in values}, key=definition.choices.index)
    except (ValueError, TypeError, InvalidOperation):
        pass
    raise DomainError(errors.MEMBER_FIELD_INVALID,
                      _("“%(label)s” is not valid.") % {"label": definition.label}, field=field)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def validate_member_fields(merchant: Merchant, raw: dict | None, *, existing: dict | None = None,
                           enforce_required: bool = True) -> dict:
    """Check submitted attributes against the merchant's definitions and return them cleaned.

    Unknown keys are refused; required fields must be present (in `raw` or already in `existing`),
    unless `enforce_required` is off (a one-tap join: the member fills them in later).
    """
    raw = dict(raw or {})
    if not isinstance(raw, dict):
        raise DomainError(errors.MEMBER_FIELD_INVALID, _("Member attributes must be an object."),
                          field="custom_fields")
    definitions = {d.key: d for d in MemberField.objects.filter(merchant=merchant, is_active=True)}
    unknown = sorted(set(raw) - set(definitions))
    if unknown:
        raise DomainError(errors.MEMBER_FIELD_INVALID, _("Unknown member attribute: %(key)s.") % {"key": unknown[0]},
                          field=f"custom_fields.{unknown[0]}")
    cleaned = dict(existing or {})
    for key, definition in sorted(definitions.items(), key=lambda item: (item[1].position, item[1].pk)):
        if key in raw and not _is_blank(raw[key]):
            cleaned[key] = clean_member_value(definition, raw[key])
        elif key in raw:
            cleaned.pop(key, None)
        if enforce_required and definition.required and _is_blank(cleaned.get(key)):
            raise DomainError(errors.MEMBER_FIELD_REQUIRED,
                              _("Please fill in “%(label)s”.") % {"label": definition.label},
                              field=f"custom_fields.{key}")
    return cleaned


@transaction.atomic
def join_member(merchant: Merchant, phone: str, *, name: str = "", gender: str = Member.Gender.UNKNOWN,
                birthday: datetime.date | None = None, custom_fields: dict | None = None,
                source_store: Store | None = None, referrer: Member | None = None,
                details_required: bool = True) -> Member:
    """Make a visitor a member (领卡/入会). Other apps give their join gifts on `member_joined`.

    With `details_required` off (the merchant's card is taken in one tap) required attributes may wait.
    """
    phone = normalize_phone(phone)
    if gender not in Member.Gender.values:
        raise DomainError("invalid", _("Choose a gender from the list."), field="gender")
    if source_store is not None and source_store.merchant_id != merchant.pk:
        raise DomainError("invalid", _("That store belongs to another merchant."), field="source_store")
    if referrer is not None and referrer.merchant_id != merchant.pk:
        referrer = None
    cleaned = validate_member_fields(merchant, custom_fields, enforce_required=details_required)
    try:
        with transaction.atomic():
            member = Member.objects.create(
                merchant=merchant, phone=phone, name=(name or "").strip()[:60], gender=gender, birthday=birthday,
                custom_fields=cleaned, source_store=source_store, referrer=referrer, joined_at=timezone.now())
    except IntegrityError:
        raise DomainError(errors.MEMBER_EXISTS, _("This phone number is already a member."), field="phone",
                          status_code=409) from None
    events.member_joined(member)
    member_joined.send(sender=Member, member=member)
    return member


@transaction.atomic
def update_member(member: Member, *, custom_fields: dict | None = None, **changes) -> Member:
    """Change a member's profile; attributes are validated against the merchant's definitions."""
    allowed = {"name", "gender", "birthday", "status"}
    for key, value in changes.items():
        if key not in allowed:
            raise TypeError(f"update_member() got an unexpected field {key!r}")
        setattr(member, key, value)
    if custom_fields is not None:
        member.custom_fields = validate_member_fields(member.merchant, custom_fields, existing=member.custom_fields)
    member.save()
    return member
