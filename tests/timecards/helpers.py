from decimal import Decimal

from cards.timecards.models import StartRule, TimeCardProduct, TimeCardTier


def make_tier(merchant, *, days=30, price="300.00", daily_limit=1, start_rule=StartRule.PURCHASE, product=None,
              **overrides) -> TimeCardTier:
    product = product or TimeCardProduct.objects.create(merchant=merchant, name="游泳卡")
    return TimeCardTier.objects.create(merchant=merchant, product=product, name=f"{days}天", days=days,
                                       price=Decimal(price), daily_limit=daily_limit, start_rule=start_rule,
                                       **overrides)
