"""What the checkout API reads and answers. Amounts are strings with two places."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from checkout import errors
from checkout.models import Channel, Payment, Refund
from checkout.services import Bill, Quote, find_member, parse_lines, parse_points
from coupons.services import find_coupon_by_code
from loyalty.errors import DomainError
from loyalty.money import parse_amount
from loyalty.tenders import parse_tender_inputs


class BillInputSerializer(serializers.Serializer):
    """The body of quote and payments (for the API docs; parsing is `bill_from_request`)."""

    amount = serializers.CharField(help_text="The bill, e.g. \"128.00\".")
    lines = serializers.ListField(child=serializers.DictField(), required=False,
                                  help_text="Items for product coupons: sku, category, amount, quantity.")
    member = serializers.DictField(required=False, help_text="{\"phone\": ...} or {\"code\": <member QR>}.")
    coupon_code = serializers.CharField(required=False)
    points = serializers.JSONField(required=False, help_text="A number of points, or \"max\".")
    use_wallet = serializers.BooleanField(required=False, default=False)
    bill_id = serializers.CharField(required=False, help_text="The terminal's own reference for the bill.")
    gift_cards = serializers.ListField(required=False, child=serializers.JSONField(),
                                       help_text="Gift card codes, or {\"code\", \"amount\"} to draw a card "
                                                 "exactly as quoted.")
    external = serializers.DictField(required=False,
                                     help_text="Payments only: {\"channel\": wechat|alipay|card|cash, "
                                               "\"trade_no\": ..., \"amount\": what the channel collected}.")


class RefundInputSerializer(serializers.Serializer):
    amount = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True)


def bill_from_request(terminal, data) -> Bill:
    if not isinstance(data, dict):
        raise DomainError(errors.LINES_INVALID, _("Send a JSON object."))
    merchant = terminal.merchant
    member, phone = find_member(merchant, data.get("member"))
    use_wallet = data.get("use_wallet", False)
    if not isinstance(use_wallet, bool):
        raise DomainError("invalid", _("use_wallet must be true or false."), field="use_wallet")
    coupon_code = data.get("coupon_code") or ""
    if not isinstance(coupon_code, str):
        raise DomainError("invalid", _("Enter the coupon code as text."), field="coupon_code")
    bill_id = data.get("bill_id") or ""
    if not isinstance(bill_id, str) or len(bill_id) > 64:
        raise DomainError("invalid", _("The bill reference is at most 64 characters."), field="bill_id")
    terminal.store.merchant = merchant
    if coupon_code and member is None:

        member = find_coupon_by_code(merchant, coupon_code).member
        phone = member.phone
    return Bill(store=terminal.store, amount=parse_amount(data.get("amount")), member=member, payer_phone=phone,
                lines=parse_lines(data.get("lines")), coupon_code=coupon_code, points=parse_points(data.get("points")),
                use_wallet=use_wallet, bill_id=bill_id, terminal=terminal, tender_inputs=parse_tender_inputs(data))


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
    return f"{value:.2f}"


def _tender(kind: str, amount, details: dict, **more) -> dict:
    """A tender line; with its breakdown where it has one (each gift card's share)."""
    line = {"kind": kind, "amount": _money(amount), **more}
    if kind in details:
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
        "created_at": payment.created_at.isoformat(),
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
        "rewards_withdrawn": refund.rewards_withdrawn,
    }
