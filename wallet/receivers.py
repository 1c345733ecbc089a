"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.dispatch import receiver

from merchants.signals import member_joined
from wallet.models import RedPacketCampaign
from wallet.services import give_red_packets


@receiver(member_joined, dispatch_uid="wallet.join_red_packets")
def give_join_red_packets(sender, member, **kwargs):
    # Inside the joining transaction: the red packet exists exactly when the membership does.
    give_red_packets(member, RedPacketCampaign.Trigger.JOIN)
