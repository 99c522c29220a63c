"""The role groups and their Django permissions, kept in step after every migrate."""

from django.contrib.auth.models import Group, Permission

from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR, ROLE_TRAINEE

PIXEL_APPS = ["accounts", "simulator", "supervision", "modelserve", "training"]

# Admins use the Django admin for Pixel's own models; the audit trail is read-only whatever the
# permission says (AuditEventAdmin refuses change and delete).
SUPERVISOR_PERMISSIONS = ["accounts.view_cohort", "accounts.view_certification"]


def sync_role_groups(**kwargs):
    admin, _ = Group.objects.get_or_create(name=ROLE_ADMIN)
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=PIXEL_APPS))
    supervisor, _ = Group.objects.get_or_create(name=ROLE_SUPERVISOR)
    wanted = [p.split(".") for p in SUPERVISOR_PERMISSIONS]
    # filter, not get: this runs after each app's migrate, before later apps' permissions exist.
    supervisor.permissions.set(
        [p for app, code in wanted for p in Permission.objects.filter(content_type__app_label=app, codename=code)]
    )
    Group.objects.get_or_create(name=ROLE_TRAINEE)
