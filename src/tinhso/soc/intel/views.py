"""Pages of threat intelligence: the feeds, their upload and their indicators.

Only security analysts and administrators open them. An upload is imported in the request,
because a feed file is small next to a log file, and the page shows the entries that were
rejected with their position and reason.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.core.access import policy
from tinhso.soc.access import SOC_ANALYSTS
from tinhso.soc.intel.forms import FeedImportForm
from tinhso.soc.intel.indicators import IntelFormatError
from tinhso.soc.intel.service import import_feed
from tinhso.soc.models import IndicatorKind, IntelFeed

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
SHOWN_PROBLEMS = 200
PROBLEM_LABELS = {
    "invalid_value": gettext_lazy("invalid value"),
    "duplicate": gettext_lazy("listed twice"),
    "unsupported_pattern": gettext_lazy("unsupported STIX pattern"),
    "invalid_pattern": gettext_lazy("invalid STIX pattern"),
    "invalid_indicator": gettext_lazy("invalid STIX indicator"),
    "invalid_observable": gettext_lazy("invalid STIX observable"),
    "invalid_object": gettext_lazy("invalid STIX object"),
    "revoked": gettext_lazy("revoked by its producer"),
}


@policy(SOC_ANALYSTS)
@require_GET
def feed_list(request: HttpRequest) -> HttpResponse:
    feeds = IntelFeed.objects.order_by("name")
    return render(request, "soc/intel/feed_list.html", {"feeds": feeds})


@policy(SOC_ANALYSTS)
@require_http_methods(["GET", "POST"])
def feed_import(request: HttpRequest) -> HttpResponse:
    form = FeedImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_feed(
                upload.read(),
                form.cleaned_data["name"],
                form.cleaned_data["format"],
                upload.name or "",
            )
        except IntelFormatError as error:
            logger.info("Feed upload %s rejected: %s", upload.name, error)
            form.add_error(
                "file",
                _("The file was not imported and the feed is unchanged: %(error)s")
                % {"error": error},
            )
        else:
            problems = result.parsed.problems
            context.update(
                result=result,
                problems=[
                    {
                        "position": p.position,
                        "label": PROBLEM_LABELS.get(p.code, p.code),
                        "message": p.message,
                        "raw": p.raw,
                    }  # fmt: skip
                    for p in problems[:SHOWN_PROBLEMS]
                ],
                more_problems=max(len(problems) - SHOWN_PROBLEMS, 0),
                ignored=sorted(result.ignored_objects.items()),
            )
            form = FeedImportForm(initial={"name": result.feed.name})
            context["form"] = form
    return render(request, "soc/intel/feed_import.html", context)


@policy(SOC_ANALYSTS)
@require_GET
def feed_detail(request: HttpRequest, soc_feed_id: int) -> HttpResponse:
    feed = get_object_or_404(IntelFeed, pk=soc_feed_id)
    indicators = feed.indicators.order_by("kind", "value")
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if query:
        indicators = indicators.filter(
            Q(value__icontains=query)
            | Q(description__icontains=query)
            | Q(stix_id__icontains=query)
        )
    if kind in IndicatorKind.values:
        indicators = indicators.filter(kind=kind)
    page = Paginator(indicators, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "soc/intel/feed_detail.html",
        {
            "feed": feed,
            "page": page,
            "q": query,
            "kind": kind,
            "kinds": IndicatorKind.choices,
            "query": params.urlencode(),
        },
    )
