"""The domain of a government-data-requests desk, one module per aggregate.

Every rule a reviewer relies on is enforced twice: as a named database constraint (so a bulk
``update()`` or a raw import cannot corrupt the register) and in ``clean()`` (so forms and services
show a message a reviewer understands). Keep the two in step: the tests exercise both.

- ``requests``: Authority and DataRequest, the register of requests.
- ``pauses``: PauseDecision, the register of pause decisions, and what the public sees of one.
- ``publishing``: Publication and its FigureRows, the published figures; PublicState.
- ``catalog``: LegalProcess and Product, the managed lists figures are broken down by.
- ``national_security``: national-security requests, their categories and published bands,
  held apart from everything else.
- ``intake``: ImportRun, the audit record of a CSV import.
- ``jurisdictions``: InternationalBody, the bodies a publisher adds as jurisdictions.
- ``base``: what they share (a constraint helper, the jurisdiction field, the history recorder).

Import models from here (``from requests_app.models import DataRequest``): the modules are a
reading aid, not an interface.
"""

from ..choices import RequestType
from .base import BytewiseCharField, JurisdictionField, choices_check
from .catalog import LegalProcess, Product
from .intake import ImportRun
from .jurisdictions import InternationalBody
from .national_security import (
    CLEARED_PERMISSION,
    NationalSecurityBand,
    NationalSecurityCategory,
    NationalSecurityRequest,
)
from .pauses import PUBLIC_PAUSE_FIELDS, PauseDecision, PauseDecisionQuerySet
from .publishing import FigureRow, OutcomeReasonRow, Publication, PublicState
from .requests import Authority, DataRequest

__all__ = [
    "CLEARED_PERMISSION",
    "NationalSecurityBand",
    "NationalSecurityCategory",
    "NationalSecurityRequest",
    "PUBLIC_PAUSE_FIELDS",
    "Authority",
    "BytewiseCharField",
    "DataRequest",
    "FigureRow",
    "OutcomeReasonRow",
    "ImportRun",
    "InternationalBody",
    "JurisdictionField",
    "LegalProcess",
    "PauseDecision",
    "PauseDecisionQuerySet",
    "Product",
    "PublicState",
    "Publication",
    "RequestType",
    "choices_check",
]
