import pytest

from tests.factories import FigureRowFactory, PauseDecisionFactory

pytestmark = pytest.mark.django_db


def test_overview_shows_latest_published_totals_and_pauses(client):
    FigureRowFactory(publication__period="2020-H2", requests=1234, requests_with_data_produced=3)
    PauseDecisionFactory(country="HK", is_published=True)
    PauseDecisionFactory(country="BY", is_published=False)
    response = client.get("/")
    assert response.status_code == 200
    assert "2020-H2" in response.text
    assert "1,234" in response.text
    assert "Hong Kong" in response.text
    assert "Belarus" not in response.text


def test_admin_login_page(client):
    assert client.get("/admin/login/").status_code == 200
