"""schemathesis against a live server: every operation, bounded examples, the terminal's key.

Zero server errors, and every answer (status, content type, body) as the schema says, errors included: an
error code the schema does not list for the operation is a schema violation too."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from loyalty.api_contract import openapi_schema
from tests.api.helpers import seed_api_data

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Built at collection: pytest-django has configured Django by then, and the schema needs no database.
schema = schemathesis.openapi.from_dict(openapi_schema())


@pytest.fixture
def seeded(transactional_db, tenant_a):
    return seed_api_data(tenant_a)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_answer_is_what_the_schema_says(case, seeded, live_server):
    case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Terminal {seeded.terminal_key}"},
                           checks=CHECKS)
