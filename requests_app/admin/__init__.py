"""The reviewers' desk in Django admin: declarative, every write goes through the services.

Importing the package registers every ModelAdmin (Django autodiscovers ``requests_app.admin``):
``requests`` (the work queue and authorities), ``pauses`` (the register), ``publishing``
(publications), ``intake`` (CSV import and export, import records), ``catalog`` (the managed
lists: legal processes, products), ``jurisdictions`` (international bodies), ``national_security``
(cleared staff only). ``forms``, ``filters``, ``actions`` and ``history`` hold what they share.
"""

from . import catalog, intake, jurisdictions, national_security, pauses, publishing, requests
from .requests import CappedCountPaginator

__all__ = [
    "CappedCountPaginator",
    "catalog",
    "intake",
    "jurisdictions",
    "national_security",
    "pauses",
    "publishing",
    "requests",
]
