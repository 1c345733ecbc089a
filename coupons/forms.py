"""The coupon template's guided admin form: the kind first, then only that kind's fields; products, categories,
weekdays and stores picked rather than typed as JSON."""

from __future__ import annotations

import json
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from coupons.models import CouponTemplate
from loyalty.pricing import coupon_kinds

WEEKDAYS = [(1, _("Monday")), (2, _("Tuesday")), (3, _("Wednesday")), (4, _("Thursday")), (5, _("Friday")),
            (6, _("Saturday")), (7, _("Sunday"))]
_SEPARATORS = re.compile(r"[,，、;；\s]+")


class CodeListField(forms.CharField):
    """Product codes or categories as a list, typed "latte, mocha" or picked from the codes already in use."""

    def __init__(self, *, known: list[str] | None = None, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.set_known(known or [])

    def set_known(self, known: list[str]) -> None:
        self.widget.attrs.update({"data-known": json.dumps(sorted(set(known)), ensure_ascii=False),
                                  "class": "vTextField code-picker", "placeholder": "latte, mocha"})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        if isinstance(value, str) and value.startswith("["):
            try:
                return ", ".join(str(item) for item in json.loads(value))
            except ValueError:
                return value
        return value

    def to_python(self, value):
        text = super().to_python(value)
        seen: list[str] = []
        for code in _SEPARATORS.split(text or ""):
            if code and code not in seen:
                if len(code) > 40:
                    raise forms.ValidationError(_("A code has at most 40 characters."))
                seen.append(code)
        return seen


class CouponTemplateForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("days of the week"), choices=WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "weekday-picker"}),
        help_text=_("None ticked: every day."))
    products = CodeListField(label=_("product codes"),
                             help_text=_("The bill lines' product codes, separated by commas; click one in use."))
    categories = CodeListField(label=_("product categories"),
                               help_text=_("Separated by commas; click one in use."))

    class Meta:
        model = CouponTemplate
        fields = ["merchant", "kind", "name", "description", "status", "amount_off", "minimum_bill", "discount_percent",
                  "discount_cap", "exchange_item", "exchange_product", "scope", "products", "categories", "stores",
                  "weekdays", "hours_from", "hours_until", "stackable", "validity", "valid_from", "valid_until",
                  "valid_days", "starts_after_days", "stock", "per_member_limit", "audience", "new_member_days",
                  "levels", "points_price", "price", "giftable", "fission_friends", "friend_template"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        merchant_id = self.instance.merchant_id
        if merchant_id is None and "merchant" in self.fields:
            initial = self.fields["merchant"].initial
            merchant_id = getattr(initial, "pk", initial)
        if merchant_id:
            used = CouponTemplate.objects.filter(merchant_id=merchant_id)
            products = [code for codes in used.values_list("products", flat=True) for code in codes or []]
            products += [code for code in used.values_list("exchange_product", flat=True) if code]
            categories = [code for codes in used.values_list("categories", flat=True) for code in codes or []]
            self.fields["products"].set_known([str(code) for code in products])
            self.fields["categories"].set_known([str(code) for code in categories])
        if "kind" in self.fields:
            # Which fields each kind uses, for the page's script to show only the chosen kind's.
            self.fields["kind"].widget.attrs["data-kind-fields"] = json.dumps(
                {kind.code: list(kind.form_fields) for kind in coupon_kinds.all()})

    def clean(self):
        cleaned = super().clean()
        # What another kind would use is dropped, so a value typed before the kind changed is not kept unseen.
        chosen = cleaned.get("kind")
        for kind in coupon_kinds.all():
            for name in kind.form_fields:
                if name in cleaned and name not in _fields_of(chosen):
                    cleaned[name] = None if CouponTemplate._meta.get_field(name).null else ""
        if cleaned.get("scope") == CouponTemplate.Scope.BILL:
            cleaned["products"], cleaned["categories"] = [], []
        cleaned["weekdays"] = sorted(set(cleaned.get("weekdays") or []))
        return cleaned


def _fields_of(code: str | None) -> tuple[str, ...]:
    return coupon_kinds.get(code).form_fields if code and code in coupon_kinds else ()
