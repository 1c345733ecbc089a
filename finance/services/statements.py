"""Payment platform statements (对账单): read an uploaded CSV, keep its lines, match them against the payments.

Layouts read (the header row says which; text before it and summary rows after the lines are skipped):

- generic: columns `trade_no`, `amount`, `paid_at` (ISO 8601, or "YYYY-MM-DD HH:MM[:SS]" in the merchant's
  zone) and optionally `kind` (`payment` or `refund`; a negative amount is a refund);
- WeChat Pay's trade bill (交易账单, the merchant platform's download): `交易时间`, `微信订单号`, `交易状态`
  (SUCCESS / REFUND), `应结订单金额` for a payment, `退款金额` for a refund; WeChat's leading back-quotes on
  every cell are dropped, and the `总交易单数` summary ends the lines;
- Alipay's account detail (业务明细): `#` comment lines, then `支付宝交易号`, `业务类型` (交易 / 退款),
  `完成时间` (or `创建时间`), `订单金额（元）` (a refund's is negative).

UTF-8 (with or without a byte-order mark) and GB18030 (GBK), which both platforms use, are read. A file that
cannot be read is refused with one translated message naming the row, and nothing is saved.

The trade number matched is the platform's own (`Payment.trade_no`, which checkout stores from the terminal's
pay request or the platform's webhook). The amount checked is what the outside channel took (the payment's
`external` tender), and for a refund line what was refunded to it.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checkout.models import Channel, Payment, PaymentTender
from checkout.tenders import OUTSIDE
from finance import errors
from finance.models import Statement, StatementLayout, StatementLine
from loyalty.errors import DomainError
from loyalty.money import ZERO, quantize
from loyalty.reports import ReportScope
from merchants.models import Merchant

MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 200_000


@dataclass(frozen=True)
class ReadLine:
    row: int
    trade_no: str
    kind: str
    amount: Decimal
    occurred_at: datetime.datetime


@dataclass(frozen=True)
class Layout:
    code: str
    trade_no: str
    time: tuple[str, ...]
    channel: str  # "" where the uploader names it


LAYOUTS = (
    Layout(StatementLayout.WECHAT, "微信订单号", ("交易时间",), Channel.WECHAT),
    Layout(StatementLayout.ALIPAY, "支付宝交易号", ("完成时间", "创建时间"), Channel.ALIPAY),
    Layout(StatementLayout.GENERIC, "trade_no", ("paid_at",), ""),
)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(errors.STATEMENT_UNREADABLE, _("The file is not a text (CSV) file."), field="file")


def _clean(value: str) -> str:
    return value.strip().lstrip("`").strip()


def _amount(text: str, row: int) -> Decimal:
    try:
        amount = Decimal(text.replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(errors.STATEMENT_LINE_INVALID,
                          _("Row %(row)d: “%(value)s” is not an amount.") % {"row": row, "value": text[:30]},
                          field="file")
    return amount


def _time(text: str, row: int, zone: datetime.tzinfo) -> datetime.datetime:
    parsed = parse_datetime(text.replace("/", "-"))
    if parsed is None:
        raise DomainError(errors.STATEMENT_LINE_INVALID,
                          _("Row %(row)d: “%(value)s” is not a date and time.") % {"row": row, "value": text[:30]},
                          field="file")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def read_statement(data: bytes, *, zone: datetime.tzinfo) -> tuple[Layout, list[ReadLine]]:
    """The layout and the lines of an uploaded file, or a DomainError naming what is wrong with it."""
    if len(data) > MAX_BYTES:
        raise DomainError(errors.STATEMENT_TOO_LARGE, _("The file is larger than 20 MB."), field="file")
    rows = csv.reader(io.StringIO(_decode(data)))
    layout: Layout | None = None
    header: dict[str, int] = {}
    lines: list[ReadLine] = []
    try:
        for number, raw in enumerate(rows, start=1):
            cells = [_clean(value) for value in raw]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if layout is None:
                layout = next((each for each in LAYOUTS if each.trade_no in cells), None)
                if layout is not None:
                    header = {name: index for index, name in enumerate(cells)}
                continue
            if cells[0].startswith("总交易单数"):
                break  # WeChat's summary follows the lines
            lines.append(_line(layout, header, cells, number, zone))
            if len(lines) > MAX_LINES:
                raise DomainError(errors.STATEMENT_TOO_LARGE,
                                  _("The file has more than %(count)d lines.") % {"count": MAX_LINES}, field="file")
    except csv.Error as error:
        raise DomainError(errors.STATEMENT_UNREADABLE, _("The file is not a readable CSV file."),
                          field="file") from error
    if layout is None:
        raise DomainError(errors.STATEMENT_LAYOUT_UNKNOWN,
                          _("No header row found: the file must have a trade_no column, or be a WeChat Pay or "
                            "Alipay bill."), field="file")
    if not lines:
        raise DomainError(errors.STATEMENT_EMPTY, _("The file has no payment lines."), field="file")
    return layout, lines


def _get(cells: list[str], header: dict[str, int], *names: str) -> str:
    for name in names:
        index = header.get(name)
        if index is not None and index < len(cells) and cells[index]:
            return cells[index]
    return ""


def _line(layout: Layout, header: dict[str, int], cells: list[str], row: int, zone: datetime.tzinfo) -> ReadLine:
    trade_no = _get(cells, header, layout.trade_no)
    if not trade_no or len(trade_no) > 64:
        raise DomainError(errors.STATEMENT_LINE_INVALID, _("Row %(row)d has no trade number.") % {"row": row},
                          field="file")
    when = _time(_get(cells, header, *layout.time), row, zone)
    if layout.code == StatementLayout.WECHAT:
        refund = _get(cells, header, "交易状态").upper() == "REFUND"
        amount = _amount(_get(cells, header, "退款金额" if refund else "应结订单金额"), row)
    elif layout.code == StatementLayout.ALIPAY:
        amount = _amount(_get(cells, header, "订单金额（元）", "订单金额(元)"), row)
        refund = _get(cells, header, "业务类型") == "退款" or amount < 0
    else:
        amount = _amount(_get(cells, header, "amount"), row)
        kind = _get(cells, header, "kind").lower()
        if kind not in ("", StatementLine.Kind.PAYMENT, StatementLine.Kind.REFUND):
            raise DomainError(errors.STATEMENT_LINE_INVALID,
                              _("Row %(row)d: the kind must be payment or refund.") % {"row": row}, field="file")
        refund = kind == StatementLine.Kind.REFUND or amount < 0
    amount = abs(amount)
    if amount == 0:
        raise DomainError(errors.STATEMENT_LINE_INVALID, _("Row %(row)d has no amount.") % {"row": row},
                          field="file")
    return ReadLine(row=row, trade_no=trade_no, kind=StatementLine.Kind.REFUND if refund else
                    StatementLine.Kind.PAYMENT, amount=amount, occurred_at=when)


def upload_statement(merchant: Merchant, *, data: bytes, file_name: str, channel: str, staff,
                     zone: datetime.tzinfo) -> Statement:
    """Keep an uploaded statement and its lines, or refuse the file whole (a DomainError, nothing saved).

    `channel` is the uploader's choice for a generic file; a WeChat or Alipay bill names its own.
    """
    layout, lines = read_statement(data, zone=zone)
    channel = layout.channel or channel
    if channel not in Channel.values:
        raise DomainError(errors.STATEMENT_UNREADABLE, _("Choose the payment channel the statement is from."),
                          field="channel")
    days = [line.occurred_at.astimezone(zone).date() for line in lines]
    with transaction.atomic():
        statement = Statement.objects.create(merchant=merchant, channel=channel, layout=layout.code,
                                             file_name=file_name[:200], first_day=min(days), last_day=max(days),
                                             line_count=len(lines), uploaded_by=staff)
        StatementLine.objects.bulk_create(
            [StatementLine(merchant=merchant, statement=statement, row=line.row, trade_no=line.trade_no,
                           kind=line.kind, amount=line.amount, occurred_at=line.occurred_at) for line in lines],
            batch_size=2000)
    return statement


class Outcome:
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    NOT_OURS = "not_ours"
    MISSING = "missing"


OUTCOME_LABELS = {
    Outcome.MATCHED: gettext_lazy("matched"),
    Outcome.AMOUNT_MISMATCH: gettext_lazy("amount differs"),
    Outcome.NOT_OURS: gettext_lazy("in the statement, not ours"),
    Outcome.MISSING: gettext_lazy("ours, not in the statement"),
}


@dataclass
class MatchRow:
    outcome: str
    merchant_id: int
    channel: str
    trade_no: str
    kind: str
    occurred_at: datetime.datetime | None
    theirs: Decimal | None
    ours: Decimal | None
    payment: str = ""
    store: str = ""
    store_id: int | None = None

    @property
    def difference(self) -> Decimal | None:
        if self.theirs is None or self.ours is None:
            return None
        return quantize(self.theirs - self.ours)


def match_statements(scope: ReportScope) -> list[MatchRow]:
    """Every statement line in `scope`'s days against the payments, and the payments a statement covering their
    day and channel does not list. A fixed number of statements: lines, their payments, the missing ones."""
    first, after = scope.bounds()
    lines = StatementLine.objects.filter(occurred_at__gte=first, occurred_at__lt=after).select_related("statement")
    if scope.merchant_id is not None:
        lines = lines.filter(merchant_id=scope.merchant_id)
    theirs: dict[tuple[int, str, str, str], list] = defaultdict(lambda: [ZERO, None])
    for line in lines.only("merchant_id", "trade_no", "kind", "amount", "occurred_at", "statement__channel"):
        key = (line.merchant_id, line.statement.channel, line.kind, line.trade_no)
        theirs[key][0] = quantize(theirs[key][0] + line.amount)
        theirs[key][1] = theirs[key][1] or line.occurred_at
    ours = _payments({(merchant_id, channel, trade_no) for merchant_id, channel, _kind, trade_no in theirs})
    rows: list[MatchRow] = []
    for (merchant_id, channel, kind, trade_no), (amount, when) in theirs.items():
        payment = ours.get((merchant_id, channel, trade_no))
        if payment is None:
            rows.append(MatchRow(Outcome.NOT_OURS, merchant_id, channel, trade_no, kind, when, amount, None))
            continue
        our_amount = payment.outside_refunded if kind == StatementLine.Kind.REFUND else payment.outside_paid
        outcome = Outcome.MATCHED if our_amount == amount else Outcome.AMOUNT_MISMATCH
        rows.append(MatchRow(outcome, merchant_id, channel, trade_no, kind, when, amount, our_amount,
                             payment=payment.number, store=payment.store.name, store_id=payment.store_id))
    rows.extend(_missing(scope))
    if scope.store_ids:
        rows = [row for row in rows if row.store_id in scope.store_ids]
    order = list(OUTCOME_LABELS)
    rows.sort(key=lambda row: (order.index(row.outcome), row.occurred_at or first, row.trade_no))
    return rows


def _payments(keys: set[tuple[int, str, str]]) -> dict[tuple[int, str, str], Payment]:
    if not keys:
        return {}
    wanted = Q()
    for merchant_id, channel, trade_no in keys:
        wanted |= Q(merchant_id=merchant_id, channel=channel, trade_no=trade_no)
    found = {}
    payments = Payment.objects.filter(wanted).select_related("store").only(
        "number", "merchant_id", "channel", "trade_no", "store__name", "store_id")
    outside = {tender.payment_id: tender for tender in
               PaymentTender.objects.filter(payment__in=payments, kind=OUTSIDE).only("payment_id", "amount",
                                                                                      "refunded")}
    for payment in payments:
        tender = outside.get(payment.pk)
        payment.outside_paid = tender.amount if tender else ZERO
        payment.outside_refunded = tender.refunded if tender else ZERO
        found[(payment.merchant_id, payment.channel, payment.trade_no)] = payment
    return found


def _missing(scope: ReportScope) -> list[MatchRow]:
    """Our payments by a channel on a day one of its statements covers, which no statement of it lists."""
    statements = Statement.objects.filter(first_day__lte=scope.end, last_day__gte=scope.start)
    if scope.merchant_id is not None:
        statements = statements.filter(merchant_id=scope.merchant_id)
    covered = Q(pk__in=[])
    for statement in statements.only("merchant_id", "channel", "first_day", "last_day"):
        start = datetime.datetime.combine(max(statement.first_day, scope.start), datetime.time.min, tzinfo=scope.zone)
        end = datetime.datetime.combine(min(statement.last_day, scope.end) + datetime.timedelta(days=1),
                                        datetime.time.min, tzinfo=scope.zone)
        covered |= Q(merchant_id=statement.merchant_id, channel=statement.channel, created_at__gte=start,
                     created_at__lt=end)
    listed = StatementLine.objects.filter(merchant_id=OuterRef("merchant_id"), statement__channel=OuterRef("channel"),
                                          trade_no=OuterRef("trade_no"), kind=StatementLine.Kind.PAYMENT)
    payments = (Payment.objects.filter(covered).exclude(trade_no="").filter(
        status__in=(Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED, Payment.Status.REFUNDED))
        .filter(~Exists(listed)).select_related("store"))
    outside = dict(PaymentTender.objects.filter(payment__in=payments, kind=OUTSIDE).values_list("payment_id",
                                                                                                 "amount"))
    return [MatchRow(Outcome.MISSING, payment.merchant_id, payment.channel, payment.trade_no,
                     StatementLine.Kind.PAYMENT, payment.created_at, None, outside.get(payment.pk, ZERO),
                     payment=payment.number, store=payment.store.name, store_id=payment.store_id)
            for payment in payments]
