"""What the checkout API reads and answers. Amounts are strings with two places."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from checkout import errors
from checkout.models import Channel, Payment, Refund, RewardGrant
from checkout.services import Bill, Quote, find_member, parse_lines, parse_points
from coupons.services import find_coupon_by_code
from loyalty import errors as loyalty_errors
from loyalty.errors import DomainError
from loyalty.money import money_text, parse_amount
from loyalty.serializers import AmountInput, LocalDateTime, Money, StrictSerializer, local_time
from loyalty.tenders import parse_tender_inputs, tenders
from merchants.services.staff import cashier_at


class BillLineInput(StrictSerializer):
    sku = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="The item's SKU.")
    category = serializers.CharField(max_length=40, required=False, allow_blank=True)
    amount = AmountInput(allow_zero=True, help_text="The line's total.")
    quantity = serializers.IntegerField(min_value=1, max_value=100000, required=False, default=1)


class MemberReference(StrictSerializer):
    """The payer: a phone number (a payer who is not a member yet is fine) or the scanned member QR code."""

    phone = serializers.CharField(max_length=20, required=False)
    code = serializers.CharField(max_length=200, required=False, help_text="The scanned member QR code.")


class ExternalPayment(StrictSerializer):
    """What an outside channel (WeChat Pay, Alipay, bank card, cash) collected for the rest of the bill."""

    channel = serializers.ChoiceField(choices=[Channel.WECHAT, Channel.ALIPAY, Channel.CARD, Channel.CASH])
    trade_no = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                     help_text="The channel's trade number: recorded once.")
    amount = AmountInput(allow_zero=True, required=False, help_text="What the channel collected.")


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["max"]}],
                      "example": 100})
class PointsInput(serializers.JSONField):
    """A number of points, or "max" for as many as the rules allow."""


class BillInputSerializer(StrictSerializer):
    """The body of quote and payments (the schema and the unknown-field check; parsing is `bill_from_request`)."""

    amount = AmountInput(help_text="The bill, e.g. \"128.00\".")
    lines = BillLineInput(many=True, required=False, help_text="Items, for coupons limited to products.")
    member = MemberReference(required=False)
    coupon_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    points = PointsInput(required=False)
    use_wallet = serializers.BooleanField(required=False, default=False,
                                          help_text="Pay what the member's wallet covers from it.")
    bill_id = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                    help_text="The terminal's own reference for the bill.")
    external = ExternalPayment(required=False, help_text="Payments: how the rest was paid.")
    cashier = serializers.CharField(max_length=150, required=False, allow_blank=True, help_text=(
        "The login of the merchant's staff member at the till, for the settlement per cashier: a staff member "
        "of this merchant, not held to another store (`cashier_unknown`, `cashier_wrong_store`)."))

    @classmethod
    def fields_made_from(cls) -> list:
        """What the fields are made of besides the declaration (`loyalty.serializers.checking`): the tenders."""
        return tenders.all()

    def get_fields(self):
        """The bill's own fields, and the one each registered tender reads from it (`request_field`, as a
        tender's `request_schema()` describes it), so a new tender's input is neither refused nor undocumented."""
        fields = super().get_fields()
        for tender in tenders.all():
            name = getattr(tender, "request_field", None)
            if name and name not in fields:
                describe = getattr(tender, "request_schema", None)
                fields[name] = describe() if describe else serializers.JSONField(required=False)
        return fields


class RefundInputSerializer(StrictSerializer):
    amount = AmountInput(allow_zero=True,
                         help_text="How much to refund: 0.00 for a bill paid wholly with points and coupons.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class AdjustmentAnswer(serializers.Serializer):
    kind = serializers.CharField(help_text="The pricing step: level, balance_tier, points, coupon, random ...")
    amount = Money()
    description = serializers.CharField()


class AlternativeAnswer(serializers.Serializer):
    label = serializers.CharField()
    discount = Money()
    amount_due = Money()
    chosen = serializers.BooleanField()
    error = ErrorBody(allow_null=True, help_text="Why this alternative could not be priced, if it could not.")


class TenderItem(serializers.Serializer):
    """One instrument's part of a tender that draws on several (each gift card of the bill)."""

    card = serializers.CharField(help_text="The instrument, masked (a gift card's code).")
    amount = Money(help_text="What it pays.")
    balance_after = Money(required=False, help_text="Its balance once paid, at the quote.")


class TenderShare(serializers.Serializer):
    kind = serializers.CharField(help_text="The tender: cashback, bonus, principal, gift_card, external ...")
    amount = Money()
    items = TenderItem(many=True, required=False,
                       help_text="Each instrument's part, only where the tender draws on several (gift cards).")


class RewardOfferAnswer(serializers.Serializer):
    rule = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    experience = serializers.IntegerField()
    coupon = serializers.CharField(allow_null=True, help_text="The first coupon's name.")
    cashback = Money()
    benefits = serializers.ListField(child=serializers.CharField(), help_text="Every benefit, described.")
    held_until_joining = serializers.BooleanField(help_text="The payer is not a member: held until they join.")
    ad_image = serializers.CharField(allow_blank=True)
    ad_link = serializers.CharField(allow_blank=True)


class QuoteAnswer(serializers.Serializer):
    bill = Money()
    member = serializers.IntegerField(allow_null=True)
    adjustments = AdjustmentAnswer(many=True)
    discount = Money()
    amount_due = Money()
    reason = serializers.CharField(allow_blank=True, help_text="Why a discount that does not stack was chosen.")
    alternatives = AlternativeAnswer(many=True)
    tenders = TenderShare(many=True)
    points_used = serializers.IntegerField()
    points_earned = serializers.IntegerField()
    experience_earned = serializers.IntegerField()
    cashback_earned = Money()
    rewards = RewardOfferAnswer(many=True)


class PaymentTenderAnswer(serializers.Serializer):
    kind = serializers.CharField()
    amount = Money()
    refunded = Money()
    items = TenderItem(many=True, required=False,
                       help_text="Each instrument's part, only where the tender draws on several (gift cards).")


class RewardGrantAnswer(serializers.Serializer):
    rule = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=RewardGrant.Status.choices)
    points = serializers.IntegerField()
    experience = serializers.IntegerField()
    coupon = serializers.CharField(allow_null=True, help_text="The code of the coupon given.")
    cashback = Money()


class PaymentAnswer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    source = serializers.ChoiceField(choices=Payment.Source.choices)
    store = serializers.IntegerField()
    member = serializers.IntegerField(allow_null=True)
    bill_id = serializers.CharField(allow_blank=True)
    bill = Money()
    discount = Money()
    amount_due = Money()
    refunded = Money()
    channel = serializers.CharField(allow_blank=True)
    trade_no = serializers.CharField(allow_blank=True)
    adjustments = AdjustmentAnswer(many=True)
    tenders = PaymentTenderAnswer(many=True)
    points_used = serializers.IntegerField()
    points_earned = serializers.IntegerField()
    experience_earned = serializers.IntegerField()
    cashback_earned = Money()
    rewards = RewardGrantAnswer(many=True)
    created_at = LocalDateTime(help_text="In the merchant's time zone, with its offset.")


class PaymentPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PaymentAnswer(many=True)


class RefundLineAnswer(serializers.Serializer):
    kind = serializers.CharField()
    amount = Money()


class RefundAnswer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    payment = serializers.CharField(help_text="The payment's number.")
    amount = Money()
    is_full = serializers.BooleanField()
    lines = RefundLineAnswer(many=True)
    points_returned = serializers.IntegerField()
    points_taken_back = serializers.IntegerField()
    points_shortfall = serializers.IntegerField()
    experience_taken_back = serializers.IntegerField()
    cashback_taken_back = Money()
    cashback_shortfall = Money()
    coupon_restored = serializers.BooleanField()
    rewards_withdrawn = serializers.IntegerField()
    created_at = LocalDateTime(help_text="In the merchant's time zone, with its offset.")


class PayerReference(StrictSerializer):
    phone = serializers.CharField(max_length=20, required=False)


class PaymentReportInput(StrictSerializer):
    """What the payment platform reports of a scan-to-pay order, signed with the merchant's webhook secret."""

    merchant = serializers.CharField(help_text="The merchant's slug.")
    trade_no = serializers.CharField(max_length=64)
    store = serializers.IntegerField(min_value=1)
    amount = AmountInput()
    channel = serializers.ChoiceField(choices=[Channel.WECHAT, Channel.ALIPAY], required=False)
    paid_at = serializers.DateTimeField(required=False, help_text="When the payer paid, with its offset.")
    payer = PayerReference(required=False)


class ReportedRewardAnswer(serializers.Serializer):
    rule = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RewardGrant.Status.choices)


class PaymentReportAnswer(serializers.Serializer):
    payment = serializers.CharField(help_text="The payment's number.")
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    member = serializers.IntegerField(allow_null=True)
    points_earned = serializers.IntegerField()
    rewards = ReportedRewardAnswer(many=True)


def bill_from_request(terminal, data) -> Bill:
    if not isinstance(data, dict):
        raise DomainError(loyalty_errors.MALFORMED_REQUEST, _("Send a JSON object."))
    merchant = terminal.merchant
    member, phone = find_member(merchant, data.get("member"))
    use_wallet = data.get("use_wallet", False)
    if not isinstance(use_wallet, bool):
        raise DomainError(loyalty_errors.INVALID, _("use_wallet must be true or false."), field="use_wallet")
    coupon_code = data.get("coupon_code") or ""
    if not isinstance(coupon_code, str):
        raise DomainError(loyalty_errors.INVALID, _("Enter the coupon code as text."), field="coupon_code")
    bill_id = data.get("bill_id") or ""
    if not isinstance(bill_id, str) or len(bill_id) > 64:
        raise DomainError(loyalty_errors.INVALID, _("The bill reference is at most 64 characters."), field="bill_id")
    cashier = data.get("cashier") or ""
    if not isinstance(cashier, str):
        raise DomainError(loyalty_errors.INVALID, _("Name the cashier by their login."), field="cashier")
    terminal.store.merchant = merchant
    if coupon_code and member is None:

        member = find_coupon_by_code(merchant, coupon_code).member
        phone = member.phone
    return Bill(store=terminal.store, amount=parse_amount(data.get("amount")), member=member, payer_phone=phone,
                lines=parse_lines(data.get("lines")), coupon_code=coupon_code, points=parse_points(data.get("points")),
                use_wallet=use_wallet, bill_id=bill_id, terminal=terminal, tender_inputs=parse_tender_inputs(data),
                cashier=cashier_at(terminal.store, cashier) if cashier else None)


def external_from_request(data) -> tuple[str, str, object]:
    external = data.get("external") or {}
    if not isinstance(external, dict):
        raise DomainError(errors.EXTERNAL_CHANNEL_INVALID, _("Describe the outside payment as an object."),
                          field="external")
    channel = external.get("channel") or ""
    if channel and channel not in (Channel.WECHAT, Channel.ALIPAY, Channel.CARD, Channel.CASH):
        raise DomainError(errors.EXTERNAL_CHANNEL_INVALID, _("The channel is wechat, alipay, card or cash."),
                          field="external")
    trade_no = external.get("trade_no") or ""
    if not isinstance(trade_no, str) or len(trade_no) > 64:
        raise DomainError(errors.EXTERNAL_CHANNEL_INVALID, _("The trade number is at most 64 characters."),
                          field="external")
    amount = external.get("amount")
    if amount is not None:
        amount = parse_amount(amount, field="external", allow_zero=True)
    return channel, trade_no, amount


def _money(value) -> str:
    return money_text(value)


def _tender(kind: str, amount, details: dict, **more) -> dict:
    """A tender line, with each instrument's part where it draws on several (each gift card's share)."""
    line = {"kind": kind, "amount": _money(amount), **more}
    if details.get(kind):
        line["items"] = details[kind]
    return line


def quote_body(quoted: Quote) -> dict:
    priced = quoted.priced
    return {
        "bill": _money(priced.bill),
        "member": quoted.bill.member.pk if quoted.bill.member else None,
        "adjustments": [{"kind": line.kind, "amount": _money(line.amount), "description": line.description}
                        for line in priced.adjustments],
        "discount": _money(priced.discount),
        "amount_due": _money(priced.amount_due),
        "reason": priced.reason,
        "alternatives": [{**alt, "discount": _money(alt["discount"]), "amount_due": _money(alt["amount_due"])}
                         for alt in priced.alternatives] if len(priced.alternatives) > 1 else [],
        "tenders": [_tender(kind, amount, quoted.details) for kind, amount in quoted.tenders.items() if amount],
        "points_used": priced.points_used,
        "points_earned": quoted.points_earned,
        "experience_earned": quoted.experience_earned,
        "cashback_earned": _money(quoted.cashback),
        "rewards": [offer.as_dict() for offer in quoted.rewards],
    }


def payment_body(payment: Payment) -> dict:
    return {
        "id": payment.pk, "number": payment.number, "status": payment.status, "source": payment.source,
        "store": payment.store_id, "member": payment.member_id, "bill_id": payment.bill_id,
        "bill": _money(payment.bill_amount), "discount": _money(payment.discount_total),
        "amount_due": _money(payment.amount_due), "refunded": _money(payment.refunded_amount),
        "channel": payment.channel, "trade_no": payment.trade_no,
        "adjustments": [{"kind": line.kind, "amount": _money(line.amount), "description": line.description}
                        for line in payment.adjustments.all()],
        "tenders": [_tender(line.kind, line.amount, getattr(payment, "tender_details", {}),
                            refunded=_money(line.refunded)) for line in payment.tenders.all()],
        "points_used": payment.points_used, "points_earned": payment.points_earned,
        "experience_earned": payment.experience_earned, "cashback_earned": _money(payment.cashback_earned),
        "rewards": [{"rule": grant.rule_id, "name": grant.rule.name, "status": grant.status, "points": grant.points,
                     "experience": grant.experience, "coupon": grant.coupon_code,
                     "cashback": _money(grant.cashback)} for grant in payment.rewards.all()],
        "created_at": local_time(payment.created_at),
    }


def refund_body(refund: Refund) -> dict:
    return {
        "id": refund.pk, "number": refund.number, "payment": refund.payment.number, "amount": _money(refund.amount),
        "is_full": refund.is_full,
        "lines": [{"kind": line.tender.kind, "amount": _money(line.amount)} for line in refund.lines.all()],
        "points_returned": refund.points_returned, "points_taken_back": refund.points_taken_back,
        "points_shortfall": refund.points_shortfall, "experience_taken_back": refund.experience_taken_back,
        "cashback_taken_back": _money(refund.cashback_taken_back),
        "cashback_shortfall": _money(refund.cashback_shortfall), "coupon_restored": refund.coupon_restored,
        "rewards_withdrawn": refund.rewards_withdrawn, "created_at": local_time(refund.created_at),
    }
