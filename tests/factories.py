import datetime

import factory
from django.contrib.auth import get_user_model

from requests_app.models import (
    Authority,
    DataRequest,
    FigureRow,
    InternationalBody,
    LegalProcess,
    PauseDecision,
    Product,
    Publication,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class InternationalBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InternationalBody
        django_get_or_create = ["code"]

    code = "XP"
    name = "Interpol"
    description = "The International Criminal Police Organization, on behalf of its member police forces."


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority
        django_get_or_create = ["name", "country"]

    name = factory.Sequence(lambda n: f"Police Authority {n}")
    country = "DE"
    kind = Authority.Kind.POLICE


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"product_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())


class LegalProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalProcess
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"process_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())


class DataRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataRequest

    reference = factory.Sequence(lambda n: f"REQ-{n:06d}")
    country = "DE"
    authority = factory.SubFactory(AuthorityFactory, country=factory.SelfAttribute("..country"))
    request_type = DataRequest.RequestType.LEGAL_PROCESS
    accounts_specified = 1
    received_on = datetime.date(2020, 3, 10)
    status = DataRequest.Status.RECEIVED

    class Params:
        completed = factory.Trait(
            status=DataRequest.Status.COMPLETED,
            outcome=DataRequest.Outcome.ALL_DATA,
            decided_on=factory.LazyAttribute(lambda o: o.received_on + datetime.timedelta(days=10)),
        )


class PauseDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PauseDecision

    country = "HK"
    status = PauseDecision.Status.PAUSED
    covers_legal_process = True
    holds_pending = True
    effective_from = datetime.date(2020, 7, 6)
    public_statement = "We have paused requests pending human-rights due diligence."
    exceptions_policy = "Threat to life."
    allowed_exceptions = factory.LazyFunction(lambda: [DataRequest.PauseException.THREAT_TO_LIFE])
    is_published = True


class PublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publication

    period = "2020-H1"
    version = 1
    published_at = factory.Faker("date_time", tzinfo=datetime.UTC)


class FigureRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FigureRow

    publication = factory.SubFactory(PublicationFactory)
    country = "DE"
    request_type = DataRequest.RequestType.LEGAL_PROCESS
    requests = 10
    accounts_specified = 12
    requests_with_data_produced = 6
