from django.db.models.signals import post_migrate
from django.dispatch import receiver

from merchants.roles import sync_role_groups


@receiver(post_migrate, dispatch_uid="merchants.sync_role_groups")
def keep_role_groups_in_step(sender, **kwargs):
    # Runs after every app's migrations, so permissions of apps migrated later are included too.
    if kwargs.get("using", "default") == "default":
        sync_role_groups()
