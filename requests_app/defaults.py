"""The entries the managed lists start with: the common kinds of legal process and the three
categories of US national-security process with their reporting rules.

Migrations 0016 and 0017 put them in place with frozen copies of their own (as the role
migrations do); ``ensure_defaults`` puts back any a flush removed (browser tests empty the
database; the demo calls it before it records requests that name them). Entries a Publisher
renamed or re-described are left as they are.
"""

from __future__ import annotations

LEGAL_PROCESSES = [
    ("subpoena", "Subpoena", "A demand for records issued by a prosecutor or a court clerk, usually for "
     "subscriber information and non-content records."),
    ("search_warrant", "Search warrant", "An order of a judge, on a showing of probable cause, that can "
     "compel content."),
    ("court_order", "Court order", "Another order of a court, e.g. for non-content records."),
    ("wiretap", "Wiretap order", "An order for the interception of communications in real time."),
    ("pen_register", "Pen register / trap and trace", "An order for the real-time collection of "
     "non-content routing information."),
    ("mlat", "MLAT request", "A request from a foreign government made through a mutual legal "
     "assistance treaty."),
    ("other", "Other legal process", "Legal process of any other kind."),
]  # fmt: skip

# code, name, description, requests band, accounts band, delay in days
NATIONAL_SECURITY_CATEGORIES = [
    ("fisa_content", "FISA orders for content", "Orders of the Foreign Intelligence Surveillance Court "
     "for the content of communications (50 U.S.C. § 1881a and Title I).", 500, 500, 180),
    ("fisa_non_content", "FISA orders for non-content", "FISA orders for non-content information "
     "(e.g. subscriber records, pen registers).", 500, 500, 180),
    ("nsl", "National Security Letters", "Letters of the FBI for subscriber information, without a court "
     "order (18 U.S.C. § 2709).", 500, 500, 0),
]  # fmt: skip


def ensure_defaults() -> None:
    """Create whichever default entries are missing (never changing an existing one)."""
    from .models import LegalProcess, NationalSecurityCategory

    for position, (code, name, description) in enumerate(LEGAL_PROCESSES):
        LegalProcess.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "position": position}
        )
    for position, category in enumerate(NATIONAL_SECURITY_CATEGORIES):
        code, name, description, requests, accounts, delay = category
        NationalSecurityCategory.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "position": position,
                "requests_band": requests,
                "accounts_band": accounts,
                "delay_days": delay,
            },
        )
