"""Public pages: thin views that parse input, call a selector and render."""

from django.shortcuts import render

from . import selectors


def overview(request):
    publication = selectors.latest_publication()
    totals = selectors.publication_totals(publication) if publication else None
    return render(
        request,
        "requests_app/overview.html",
        {
            "publication": publication,
            "totals": totals,
            "current_pauses": selectors.current_published_pauses(),
        },
    )
