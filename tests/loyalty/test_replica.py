"""Report reads go to the replica alias; writes and ordinary reads stay on the primary."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from loyalty.replica import REPLICA_ALIAS, report_reads
from merchants.models import Merchant

# Committed rows: the replica is another connection and sees only what the primary committed.
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def test_reads_inside_report_reads_go_to_the_replica(tenant_a):
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica, report_reads() as alias:
        names = list(Merchant.objects.filter(pk=tenant_a.merchant.pk).values_list("name", flat=True))
    assert alias == REPLICA_ALIAS
    assert names == [tenant_a.merchant.name]
    assert len(on_replica.captured_queries) == 1


def test_reads_outside_and_writes_inside_stay_on_the_primary(tenant_a):
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica:
        Merchant.objects.filter(pk=tenant_a.merchant.pk).exists()
        with report_reads():
            Merchant.objects.filter(pk=tenant_a.merchant.pk).update(name="renamed")
    assert on_replica.captured_queries == []
    assert Merchant.objects.get(pk=tenant_a.merchant.pk).name == "renamed"
