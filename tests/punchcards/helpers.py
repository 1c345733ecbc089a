from decimal import Decimal

from cards.punchcards.models import PunchCardProduct, Validity


def make_product(merchant, **overrides) -> PunchCardProduct:
    values = {"name": "洗剪吹10次卡", "services": "wash and blow-dry", "uses": 10, "price": Decimal("300.00"),
              "validity": Validity.FROM_PURCHASE, "valid_days": 90, "co_user_limit": 2}
    values.update(overrides)
    return PunchCardProduct.objects.create(merchant=merchant, **values)
