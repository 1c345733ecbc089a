"""The admin's inline of benefit lines: a kind select, the fields it uses, a select of the merchant's own targets.

One inline serves every owner of lines (reward rules, recharge offers, the join gift) and every registered
kind: each kind with a target adds its select (named by its `target_field`), listing only the staff
member's merchant's targets; whatever is posted is checked again by the kind (`Benefit.validate`), so
another merchant's target is refused with the kind's translated message.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.benefits import AMOUNT, QUANTITY, TARGET, BenefitLine, benefits, kind_of
from loyalty.errors import DomainError
from loyalty.money import ZERO
from loyalty.tenancy import MerchantScopedInline, staff_merchant

LINE_FIELDS = ["kind", "quantity", "amount"]


def _target_fields() -> dict[str, object]:
    """The form field of each kind's target, by field name (kinds that share a name share the select)."""
    return {kind.target_field: kind for kind in benefits.all() if kind.target_field}


class BenefitLineForm(forms.ModelForm):
    """One line; `merchant_id` is the staff member's merchant (None for the operator: every merchant's)."""

    merchant_id: int | None = None

    kind = forms.ChoiceField(label=_("kind"), choices=benefits.choices)

    class Meta:
        fields = [*LINE_FIELDS, "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, kind in _target_fields().items():
            if self.instance.target_id is not None and self.instance.kind == kind.code:
                self.initial[name] = self.instance.target_id
        self.fields["quantity"].required = False
        self.fields["amount"].required = False

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("kind")
        if not code:
            return cleaned
        kind = kind_of(code)
        quantity = cleaned.get("quantity") or 0
        amount = cleaned.get("amount") or ZERO
        target = cleaned.get(kind.target_field) if kind.target_field else None
        owner = cleaned.get(self.instance.owner_field)
        merchant_id = self.merchant_id or getattr(owner, "merchant_id", None) or self.instance.owner_merchant_id()
        try:
            kind.validate(merchant_id=merchant_id, quantity=quantity, amount=amount, target=target)
        except DomainError as error:
            field = kind.target_field if error.field == TARGET else error.field
            self.add_error(field if field in self.fields else None, str(error.message))
            return cleaned
        # A line keeps only what its kind uses, so it never says more than it gives.
        cleaned["quantity"] = quantity if QUANTITY in kind.uses else 0
        cleaned["amount"] = amount if AMOUNT in kind.uses else ZERO
        self.instance.target_id = target.pk if target is not None and TARGET in kind.uses else None
        return cleaned


def line_form(merchant_id: int | None) -> type[BenefitLineForm]:
    """The line form for one merchant: a select per kind's target, of that merchant's targets only."""
    selects = {name: forms.ModelChoiceField(label=kind.target_label, queryset=kind.targets(merchant_id),
                                            required=False)
               for name, kind in _target_fields().items()}
    return type("BenefitLineForm", (BenefitLineForm,), {"merchant_id": merchant_id, **selects})


class BenefitLineInline(MerchantScopedInline):
    """Subclasses set `model` to their concrete `BenefitLine`."""

    model: type[BenefitLine]
    extra = 1
    verbose_name_plural = _("what it gives")

    def get_formset(self, request, obj=None, **kwargs):
        merchant = staff_merchant(request.user)
        kwargs["form"] = line_form(merchant.pk if merchant is not None else None)
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return [*LINE_FIELDS, *_target_fields(), "position"]


class BenefitOwnerAdminMixin:
    """For the admin of an owner of lines: the lines belong to the owner's merchant, whoever saves them."""

    def save_formset(self, request, form, formset, change):
        if not issubclass(formset.model, BenefitLine):
            return super().save_formset(request, form, formset, change)
        for line in formset.save(commit=False):
            line.merchant_id = form.instance.merchant_id
            line.save()
        for line in formset.deleted_objects:
            line.delete()
        formset.save_m2m()
        return None
