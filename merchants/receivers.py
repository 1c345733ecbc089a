from django.contrib.auth import get_user_model
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from loyalty.config_cache import forget, forget_on_change
from merchants.models import Merchant, StaffMember, Store, Terminal
from merchants.roles import sync_role_groups
from merchants.services import give_join_gifts
from merchants.services.staff import staff_roster_key, terminal_cache_key
from merchants.signals import member_joined


@receiver(post_migrate, dispatch_uid="merchants.sync_role_groups")
def keep_role_groups_in_step(sender, **kwargs):
    # Runs after every app's migrations, so permissions of apps migrated later are included too.
    if kwargs.get("using", "default") == "default":
        sync_role_groups()


@receiver(member_joined, dispatch_uid="merchants.join_gifts")
def give_join_gifts_on_joining(sender, member, **kwargs):
    # Inside the joining transaction: the gifts exist exactly when the membership does.
    give_join_gifts(member)


def _terminal_keys(**scope):
    return [terminal_cache_key(prefix) for prefix in Terminal.objects.filter(**scope).values_list("key_prefix",
                                                                                                  flat=True)]


# The API authenticates with a cached terminal, its store and its merchant: a change to any of them
# (revoked, store closed, merchant switched off) forgets it.
forget_on_change(Terminal, lambda terminal: [terminal_cache_key(terminal.key_prefix)])
forget_on_change(Store, lambda store: _terminal_keys(store_id=store.pk))
forget_on_change(Merchant, lambda merchant: _terminal_keys(merchant_id=merchant.pk))


# Terminals name the cashier at the till by login (merchants.services.staff.cashier_at), from a cached roster:
# a staff member added, moved to a store or removed, or a login renamed or switched off, forgets it.
forget_on_change(StaffMember, lambda staff: [staff_roster_key(staff.merchant_id)])


@receiver(post_save, sender=get_user_model(), dispatch_uid="merchants.forget_staff_roster")
def forget_roster_of_changed_login(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # signing in (or a new password) names no one differently: no query on every login
    forget([staff_roster_key(merchant_id) for merchant_id in
            StaffMember.objects.filter(user_id=instance.pk).values_list("merchant_id", flat=True)])
