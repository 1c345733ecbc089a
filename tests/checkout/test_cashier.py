"""The cashier at the till: named by the terminal by login, checked against the merchant and the store, recorded
on the payment as one more column of its INSERT; self-pay and platform reports have none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkout.models import Payment
from tests.checkout.helpers import PAYMENTS, QUOTE, body

pytestmark = pytest.mark.django_db


def _pay(api, **extra):
    return api.post(PAYMENTS, body("30.00", external={"channel": "cash"}, **extra), format="json")


def test_the_terminal_names_the_cashier_and_the_payment_records_them(tenant_a):
    response = _pay(tenant_a.api(), cashier=tenant_a.cashier.user.username)
    assert response.status_code == 201, response.json()
    assert Payment.objects.get(pk=response.json()["id"]).cashier == tenant_a.cashier


def test_a_payment_naming_no_cashier_has_none(tenant_a):
    response = _pay(tenant_a.api())
    assert response.status_code == 201
    assert Payment.objects.get(pk=response.json()["id"]).cashier is None


@pytest.mark.parametrize("who", ["another merchant's staff", "no one", "a login switched off"])
def test_a_cashier_not_of_this_merchant_is_refused_and_nothing_is_paid(tenant_a, tenant_b, who, in_english):
    login = {"another merchant's staff": tenant_b.cashier.user.username, "no one": "nobody-here",
             "a login switched off": tenant_a.manager.user.username}[who]
    if who == "a login switched off":
        tenant_a.manager.user.is_active = False
        tenant_a.manager.user.save()
    for url in (QUOTE, PAYMENTS):
        response = tenant_a.api().post(url, body("30.00", external={"channel": "cash"}, cashier=login), format="json")
        assert response.status_code == 400
        assert response.json()["error"] == {"code": "cashier_unknown", "field": "cashier",
                                            "message": "No staff member of this merchant has this login."}
    assert Payment.objects.count() == 0


def test_a_cashier_held_to_another_store_is_refused(tenant_a, in_english):
    tenant_a.cashier.store = tenant_a.other_store
    tenant_a.cashier.save()
    response = _pay(tenant_a.api(), cashier=tenant_a.cashier.user.username)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cashier_wrong_store"
    assert Payment.objects.count() == 0


def test_moving_the_cashier_to_this_store_lets_them_take_payments_at_once(tenant_a):
    tenant_a.cashier.store = tenant_a.other_store
    tenant_a.cashier.save()
    assert _pay(tenant_a.api(), cashier=tenant_a.cashier.user.username).status_code == 409
    tenant_a.cashier.store = tenant_a.store
    tenant_a.cashier.save()
    assert _pay(tenant_a.api(), cashier=tenant_a.cashier.user.username).status_code == 201


def test_a_cashier_that_is_not_text_is_refused(tenant_a):
    response = _pay(tenant_a.api(), cashier=7)
    assert response.status_code == 400 and response.json()["error"]["field"] == "cashier"


def test_naming_the_cashier_adds_no_statement_to_a_payment(tenant_a):
    api = tenant_a.api()
    login = tenant_a.cashier.user.username
    assert _pay(api, cashier=login).status_code == 201  # the terminal and the roster are cached from here on
    assert _pay(api).status_code == 201
    with CaptureQueriesContext(connection) as without:
        assert _pay(api).status_code == 201
    with CaptureQueriesContext(connection) as named:
        assert _pay(api, cashier=login).status_code == 201
    assert len(named) == len(without)
    insert = next(query["sql"] for query in named.captured_queries
                  if 'INSERT INTO "checkout_payment"' in query["sql"])  # alone, or in the held writes' WITH
    assert '"cashier_id"' in insert
