"""Every page of the app. The role-matrix test (tests/web/test_role_matrix.py) walks this list:
a new page needs a row in its table."""

from django.urls import include, path

from everyname.web.views import (
    accounts,
    dashboard,
    entry,
    estimates,
    figures,
    imports,
    jobs,
    language,
    persons,
    records,
    releases,
    reports,
    review,
    sources,
    tokens,
)
from everyname.web.views import audit as audit_log
from everyname.web.views import upload as uploading
from everyname.web.views import users as user_admin

handler403 = "everyname.web.access.forbidden"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("figures/", figures.figures, name="figures"),
    path("estimates/", estimates.estimates, name="estimates"),
    path("estimates/<int:estimate_id>/", estimates.estimate, name="estimate"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:report_id>/download/", reports.download, name="report-download"),
    path("releases/", releases.releases, name="releases"),
    path(
        "releases/<int:release_id>/<str:name>",
        releases.release_download,
        name="release-download",
    ),
    path("jobs/", jobs.jobs, name="jobs"),
    path("jobs/<int:job_id>/", jobs.job, name="job"),
    path("sources/", sources.sources, name="sources"),
    path("imports/", imports.imports, name="imports"),
    path("imports/new/", uploading.new, name="upload"),
    path("imports/new/<str:token>/", uploading.preview, name="upload-preview"),
    path("imports/new/<str:token>/mapping.toml", uploading.mapping_toml, name="upload-mapping"),
    path("imports/new/<str:token>/scan/", uploading.scan, name="upload-scan"),
    path("imports/new/<str:token>/problems.csv", uploading.problems_csv, name="upload-problems"),
    path("imports/new/<str:token>/commit/", uploading.commit, name="upload-commit"),
    path("imports/jobs/<int:job_id>/", uploading.progress, name="upload-job"),
    path("imports/<int:batch_id>/", imports.batch, name="batch"),
    path("imports/<int:batch_id>/rejected.csv", imports.rejected_csv, name="batch-rejected"),
    path("imports/<int:batch_id>/original/", imports.original, name="batch-original"),
    path("records/", records.list_records, name="records"),
    path("records/new/", entry.new_record, name="record-new"),
    path("records/<int:record_id>/", records.record, name="record"),
    path("records/<int:record_id>/reveal/", records.reveal, name="record-reveal"),
    path("persons/", persons.persons, name="persons"),
    path("persons/<str:person_id>/", persons.person, name="person"),
    path("review/", review.review, name="review"),
    path("review/link/", review.link, name="review-link"),
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("api/v1/", include("everyname.api.urls")),  # the JSON API (tests/api/ walks it)
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/two-factor/", accounts.enrol, name="two-factor-enrol"),
    path("accounts/two-factor/verify/", accounts.verify, name="two-factor-verify"),
    path("accounts/password/", accounts.password, name="password-change"),
    path("accounts/tokens/", tokens.tokens, name="api-tokens-page"),
    path("audit/", audit_log.audit, name="audit"),
    path("users/", user_admin.users, name="users"),
    path("users/<str:name>/", user_admin.user, name="user"),
    path("users/<str:name>/role/", user_admin.user_role, name="user-role"),
    path("users/<str:name>/disable/", user_admin.user_disable, name="user-disable"),
    path(
        "users/<str:name>/second-factor/reset/",
        user_admin.user_reset_second_factor,
        name="user-reset-second-factor",
    ),
]
