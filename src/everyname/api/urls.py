"""Every route of the API (mounted at ``/api/v1/`` by ``everyname.web.urls``).

tests/api/test_api_role_matrix.py walks this list: a new route needs a row in its table, and
the OpenAPI test checks that the document names every route.
"""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from everyname.api import views


class Docs(SpectacularSwaggerSplitView):
    """Swagger UI from the app's own static files; its script is a separate request, so no
    inline script or style is needed. Anyone may read the documentation (it holds no data)."""

    template_name = "api/swagger_ui.html"
    url_name = "api-openapi"
    authentication_classes = ()
    permission_classes = (AllowAny,)


class OpenApi(SpectacularAPIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)


urlpatterns = [
    path("openapi.json", OpenApi.as_view(), {"format": "json"}, name="api-openapi"),
    path("docs/", Docs.as_view(), name="api-docs"),
    path("tokens", views.TokensView.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", views.TokenView.as_view(), name="api-token"),
    path("counts", views.CountsView.as_view(), name="api-counts"),
    path("persons", views.PersonsView.as_view(), name="api-persons"),
    path("persons/<str:person_id>", views.PersonView.as_view(), name="api-person"),
    path("records", views.RecordsView.as_view(), name="api-records"),
    path("records/<int:record_id>", views.RecordView.as_view(), name="api-record"),
    path(
        "records/<int:record_id>/corrections",
        views.CorrectionsView.as_view(),
        name="api-record-corrections",
    ),
    path("records/<int:record_id>/reveal", views.RevealView.as_view(), name="api-record-reveal"),
    path("sources", views.SourcesView.as_view(), name="api-sources"),
    path("batches", views.BatchesView.as_view(), name="api-batches"),
    path("batches/<int:batch_id>", views.BatchView.as_view(), name="api-batch"),
    path(
        "batches/<int:batch_id>/rejected.csv",
        views.RejectedRowsView.as_view(),
        name="api-batch-rejected",
    ),
    path("jobs", views.JobsView.as_view(), name="api-jobs"),
    path("jobs/<int:job_id>", views.JobView.as_view(), name="api-job"),
    path("estimates", views.EstimatesView.as_view(), name="api-estimates"),
    path("estimates/<int:estimate_id>", views.EstimateView.as_view(), name="api-estimate"),
    path("link-runs", views.LinkRunsView.as_view(), name="api-link-runs"),
    path("review/pairs", views.PairsView.as_view(), name="api-review-pairs"),
    path("review/decisions", views.DecisionsView.as_view(), name="api-review-decisions"),
    path("claims", views.ClaimsView.as_view(), name="api-claims"),
    path("releases", views.ReleasesView.as_view(), name="api-releases"),
    path(
        "releases/<int:release_id>/<str:name>",
        views.ReleaseFileView.as_view(),
        name="api-release-file",
    ),
    # Last: any other path under /api/v1/ is a 404 in the API's error shape.
    re_path(r"^.*$", views.NoSuchRoute.as_view(), name="api-no-such-route"),
]
