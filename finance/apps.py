from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance (财务对账)")

    def ready(self):
        from finance import reports as finance_reports
        from finance.demo import FinanceDemo
        from loyalty.demo import demo_data
        from loyalty.reports import reports

        for report in finance_reports.REPORTS:
            reports.register(report)
        demo_data.register(FinanceDemo)
