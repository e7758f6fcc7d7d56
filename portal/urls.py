"""The pages. The public ones, sign-in and sign-up, and ``/workspace/`` are the contract
named in the portal issue; workspace sub-pages hang below each role's home."""

from django.urls import path, register_converter

from portal.views import (
    agency,
    agency_pilots,
    auth,
    committee,
    committee_needs,
    dashboard,
    expert,
    exports,
    firm,
    imports,
    notifications,
    policy,
    public,
    runs,
    workspace,
)


class RefConverter:
    """An item's ref: any characters but a slash and NUL (a NUL never reaches a query, where
    PostgreSQL would refuse it: such an address is simply not found)."""

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RefConverter, "ref")

app_name = "portal"
urlpatterns = [
    path("", public.home, name="home"),
    path("opportunities/", public.need_list, name="need-list"),
    path("opportunities/export.xlsx", public.need_export, name="need-export"),
    path("opportunities/<ref:ref>/", public.need_detail, name="need-detail"),
    path("capabilities/", public.capability_list, name="capability-list"),
    path("capabilities/export.xlsx", public.capability_export, name="capability-export"),
    path("capabilities/<ref:ref>/", public.capability_detail, name="capability-detail"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("signup/firm/", auth.signup_firm, name="signup-firm"),
    path("invitations/accept/", auth.invitation_accept_view, name="invitation-accept"),
    path("password-reset/", auth.password_reset, name="password-reset"),
    path(
        "password-reset/confirm/", auth.password_reset_confirm_view, name="password-reset-confirm"
    ),
    path("workspace/", workspace.workspace, name="workspace"),
    path("workspace/committee/", committee.home, name="committee-home"),
    path("workspace/committee/needs/", committee_needs.region_needs, name="committee-needs"),
    path("workspace/committee/needs/<ref:ref>/", committee.need_page, name="committee-need"),
    path(
        "workspace/committee/needs/<ref:ref>/decide/",
        committee.need_decide,
        name="committee-need-decide",
    ),
    path(
        "workspace/committee/recommendations/",
        committee.recommendations,
        name="committee-recommendations",
    ),
    path(
        "workspace/committee/recommendations/<int:match_id>/decide/",
        committee.recommendation_decide,
        name="committee-recommendation-decide",
    ),
    path(
        "workspace/committee/capabilities/",
        committee.capabilities,
        name="committee-capabilities",
    ),
    path(
        "workspace/committee/capabilities/<ref:ref>/supervise/",
        committee.capability_supervise,
        name="committee-capability-supervise",
    ),
    path("workspace/committee/firms/", committee.firms, name="committee-firms"),
    path(
        "workspace/committee/firms/<int:firm_id>/act/",
        committee.firm_act,
        name="committee-firm-act",
    ),
    path("workspace/committee/pilots/", committee.pilots, name="committee-pilots"),
    path(
        "workspace/committee/pilots/<int:pilot_id>/decide/",
        committee.pilot_decide,
        name="committee-pilot-decide",
    ),
    path(
        "workspace/committee/pilots/<int:pilot_id>/confirm/",
        committee.pilot_confirm,
        name="committee-pilot-confirm",
    ),
    path(
        "workspace/committee/pilots/<int:pilot_id>/recognize/",
        committee.pilot_recognize,
        name="committee-pilot-recognize",
    ),
    path("workspace/committee/policy/", policy.policy_page, name="committee-policy"),
    path(
        "workspace/committee/negative-list/",
        policy.negative_entry,
        name="committee-negative-entry",
    ),
    path(
        "workspace/committee/negative-list/<int:entry_id>/deactivate/",
        policy.negative_deactivate,
        name="committee-negative-deactivate",
    ),
    path("workspace/exports/needs.xlsx", exports.own_needs, name="own-need-export"),
    path(
        "workspace/exports/capabilities.xlsx",
        exports.own_capabilities,
        name="own-capability-export",
    ),
    path("workspace/imports/", imports.imports_home, name="imports"),
    path(
        "workspace/imports/template-<str:kind>.xlsx",
        imports.import_template,
        name="import-template",
    ),
    path("workspace/imports/<int:job_id>/", imports.import_job, name="import-job"),
    path(
        "workspace/imports/<int:job_id>/progress/",
        imports.import_job_progress,
        name="import-progress",
    ),
    path(
        "workspace/imports/<int:job_id>/confirm/",
        imports.import_job_confirm,
        name="import-confirm",
    ),
    path("workspace/runs/", runs.run_list, name="run-list"),
    path("workspace/runs/start/", runs.run_start, name="run-start"),
    path("workspace/runs/<int:run_id>/", runs.run_detail, name="run-detail"),
    path(
        "workspace/runs/<int:run_id>/progress/",
        runs.run_progress_fragment,
        name="run-progress",
    ),
    path("workspace/runs/<int:run_id>/cancel/", runs.run_cancel, name="run-cancel"),
    path("workspace/expert/", expert.home, name="expert-home"),
    path("workspace/expert/needs/<ref:ref>/", expert.need_page, name="expert-need"),
    path("workspace/agency/", agency.home, name="agency-home"),
    path("workspace/agency/needs/new/", agency.need_new, name="agency-need-new"),
    path("workspace/agency/needs/<ref:ref>/", agency.need_page, name="agency-need"),
    path("workspace/agency/needs/<ref:ref>/edit/", agency.need_edit, name="agency-need-edit"),
    path("workspace/agency/needs/<ref:ref>/submit/", agency.need_submit, name="agency-need-submit"),
    path(
        "workspace/agency/needs/<ref:ref>/withdraw/",
        agency.need_withdraw,
        name="agency-need-withdraw",
    ),
    path("workspace/agency/needs/<ref:ref>/close/", agency.need_close, name="agency-need-close"),
    path("workspace/agency/needs/<ref:ref>/copy/", agency.need_copy, name="agency-need-copy"),
    path(
        "workspace/agency/matches/<int:match_id>/shortlist/",
        agency_pilots.shortlist,
        name="agency-shortlist",
    ),
    path(
        "workspace/agency/matches/<int:match_id>/propose-pilot/",
        agency_pilots.propose_pilot,
        name="agency-propose-pilot",
    ),
    path("workspace/agency/pilots/<int:pilot_id>/", agency_pilots.pilot_page, name="agency-pilot"),
    path(
        "workspace/agency/pilots/<int:pilot_id>/withdraw/",
        agency_pilots.pilot_withdraw,
        name="agency-pilot-withdraw",
    ),
    path("workspace/firm/", firm.home, name="firm-home"),
    path("workspace/firm/profile/", firm.profile_edit, name="firm-profile"),
    path("workspace/firm/capabilities/new/", firm.capability_new, name="firm-capability-new"),
    path("workspace/firm/capabilities/<ref:ref>/", firm.capability_page, name="firm-capability"),
    path(
        "workspace/firm/capabilities/<ref:ref>/edit/",
        firm.capability_edit,
        name="firm-capability-edit",
    ),
    path(
        "workspace/firm/capabilities/<ref:ref>/submit/",
        firm.capability_submit,
        name="firm-capability-submit",
    ),
    path(
        "workspace/firm/capabilities/<ref:ref>/withdraw/",
        firm.capability_withdraw,
        name="firm-capability-withdraw",
    ),
    path("workspace/firm/recommendations/", firm.recommendations, name="firm-recommendations"),
    path(
        "workspace/firm/recommendations/<int:match_id>/",
        firm.recommendation,
        name="firm-recommendation",
    ),
    path(
        "workspace/firm/recommendations/<ref:need_ref>/<ref:capability_ref>/",
        firm.recommendation_pair,
        name="firm-recommendation-pair",
    ),
    path("workspace/firm/pilots/<int:pilot_id>/", firm.pilot_page, name="firm-pilot"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/read-all/", notifications.mark_all_read, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", notifications.mark_read, name="notification-read"),
    path(
        "notifications/go/<ref:target_type>/<ref:target_id>/",
        notifications.go,
        name="notification-go",
    ),
]
