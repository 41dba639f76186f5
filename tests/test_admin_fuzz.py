"""Hostile input to every admin form and action, as a Publisher (the widest desk role): never a 500.

Each form's fields are read from the page itself, so a field added later is fuzzed too. The
test client re-raises a view's exception, so a crash shows as the exception with its input.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app import roles
from tests.factories import (
    DataRequestFactory,
    FigureRowFactory,
    LegalProcessFactory,
    PauseDecisionFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1.5",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "2020-02-30",
            "0000-00-00",
            "9999-12-31",
            "99999-01-01",
            "2020-H3",
            "2020-h2",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "x" * 5000,
            "\u202eRTL",
            "HK",
            "ZZ",
            "on",
            "paused",
            "completed",
        ]
    ),
    st.text(max_size=60),
)

# (URL name, whether it takes the object's pk, action name for a changelist)
FORMS = [
    ("requests_app_datarequest_add", False, None),
    ("requests_app_datarequest_change", True, None),
    ("requests_app_authority_add", False, None),
    ("requests_app_authority_change", True, None),
    ("requests_app_pausedecision_add", False, None),
    ("requests_app_pausedecision_change", True, None),
    ("requests_app_publication_add", False, None),
    ("requests_app_datarequest_import", False, None),
    ("requests_app_datarequest_workflow", True, None),  # the change page's "Complete…"
    ("requests_app_datarequest_changelist", False, "complete_with_outcome"),
    ("requests_app_datarequest_changelist", False, "assign_to_me"),
    ("requests_app_datarequest_changelist", False, "start_review"),
    ("requests_app_datarequest_changelist", False, "withdraw"),
    ("requests_app_datarequest_changelist", False, "export_as_csv"),
    ("requests_app_pausedecision_changelist", False, "lift"),
    ("requests_app_pausedecision_changelist", False, "publish_decisions"),
    ("requests_app_pausedecision_changelist", False, "unpublish_decisions"),
    ("requests_app_publication_changelist", False, "republish_periods"),
    ("requests_app_legalprocess_add", False, None),
    ("requests_app_legalprocess_change", True, None),  # not in use: its code is editable
    ("requests_app_product_add", False, None),
    ("requests_app_product_change", True, None),  # in use: its code is read-only
    ("requests_app_legalprocess_changelist", False, "delete_selected"),
    ("requests_app_product_changelist", False, "delete_selected"),
]
# Fields every action confirmation page may ask for.
ACTION_FIELDS = [
    "apply",
    "confirm",
    "ended_on",
    "outcome",
    "outcome_reason",
    "disclosure",
    "pause_exception",
    "decided_on",
    "note",
    "post",
]


def publisher() -> Client:
    user = UserFactory(username="fuzzing-publisher")
    user.groups.add(Group.objects.get(name=roles.PUBLISHER))
    client = Client()
    client.force_login(user)
    return client


def form_fields(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    form = context["adminform"].form if "adminform" in context else context["form"]
    return sorted(form.fields)


@pytest.mark.parametrize("url_name, by_pk, action", FORMS, ids=[f"{n}:{a or ''}" for n, _, a in FORMS])
def test_hostile_values_never_answer_500(url_name, by_pk, action):
    legal_process, product = LegalProcessFactory(), ProductFactory()
    request = DataRequestFactory(product=product)
    pause = PauseDecisionFactory()
    publication = FigureRowFactory().publication
    client = publisher()
    obj = {
        "datarequest": request,
        "pausedecision": pause,
        "authority": request.authority,
        "legalprocess": legal_process,
        "product": product,
    }
    model = url_name.split("_")[2]
    args = [obj[model].pk] if by_pk else []
    url = reverse(f"admin:{url_name}", args=args + ["complete"] if url_name.endswith("_workflow") else args)
    if action:
        selected = {
            "datarequest": request,
            "pausedecision": pause,
            "publication": publication,
            "legalprocess": legal_process,
            "product": product,
        }[model]
        fields = ACTION_FIELDS
    else:
        fields = form_fields(client, url)
    assert fields

    @settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
    @given(values=st.fixed_dictionaries({name: HOSTILE for name in fields}))
    def post(values):
        data = dict(values)
        if action:
            data.update(action=action, _selected_action=[selected.pk])
        response = client.post(url, data)
        assert response.status_code < 500, (url, action, data)

    post()


# Each list's own filter parameters (a parameter a list does not have is refused by Django
# before any query: it would test nothing).
LIST_PARAMETERS = {
    "datarequest": [
        "period",
        "status__exact",
        "country__exact",
        "queue",
        "overdue",
        "assignee",
        "q",
        "legal_process__code__exact",
        "product__code__exact",
        "legal_process__isnull",
    ],
    "pausedecision": ["status__exact", "country__exact", "q"],
    "authority": ["kind__exact", "country__exact", "q"],
    "publication": ["period__exact", "q"],
    "importrun": ["source__exact", "q"],
    "legalprocess": ["q", "o"],
    "product": ["q", "o"],
}


@pytest.mark.parametrize("name", LIST_PARAMETERS)
def test_hostile_filters_on_the_desk_lists_never_answer_500(name):
    client = publisher()
    url = reverse(f"admin:requests_app_{name}_changelist")

    @settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
    @given(values=st.fixed_dictionaries({parameter: HOSTILE for parameter in LIST_PARAMETERS[name]}))
    def get(values):
        response = client.get(url, values)
        assert response.status_code < 500, (name, values)

    get()
