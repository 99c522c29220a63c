from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import signals  # noqa: F401  (sign-in audit receivers)
        from accounts.roles import sync_role_groups

        # Every app's migrate, not just ours: the other apps' permissions exist only after theirs.
        post_migrate.connect(sync_role_groups, dispatch_uid="pixel-sync-role-groups")
