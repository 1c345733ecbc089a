"""Demo data: two merchants with stores, staff of each role, terminals and members with some history.

The other apps' part (programmes, offers, each member's history) comes from the seeders they register in
loyalty.demo, so this command names no app above merchants.

Safe to run twice: what exists is left as it is. Demo passwords and terminal keys are fixed so the
README and `make run` can print logins that work.
"""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from loyalty.demo import demo_data
from loyalty.messaging import queue_message
from merchants import services
from merchants.models import Member, MemberField, MemberTag, Merchant, StaffRole, Store, Terminal

DEMO_PASSWORD = "demo-pass-2026"
OPERATOR = ("operator", "operator-pass-2026")

MERCHANTS = [
    {
        "slug": "chacha", "name": "茶茶茶饮 ChaCha Tea", "phone": "021-5555-0101",
        "stores": [("人民广场店", "上海市黄浦区人民大道 100 号"), ("静安寺店", "上海市静安区南京西路 1600 号")],
        "fields": [("company", "公司", MemberField.Kind.TEXT, [], False),
                   ("sweetness", "甜度偏好", MemberField.Kind.CHOICE, ["无糖", "三分糖", "五分糖", "全糖"], True)],
        "tags": ["VIP", "上班族", "学生"],
    },
    {
        "slug": "irongym", "name": "铁馆健身 Iron Gym", "phone": "010-5555-0202",
        "stores": [("国贸店", "北京市朝阳区建国门外大街 1 号")],
        "fields": [("goal", "健身目标", MemberField.Kind.MULTIPLE_CHOICE, ["减脂", "增肌", "塑形"], False),
                   ("height_cm", "身高 (cm)", MemberField.Kind.NUMBER, [], False)],
        "tags": ["私教", "晨练"],
    },
]


def terminal_key(slug: str, index: int) -> str:
    return f"tk_{slug[:6]}{index:02d}_demo-key-{slug}-{index}-do-not-use-in-production"


class Command(BaseCommand):
    help = "Load demo merchants, stores, staff, terminals and members (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=30, help="members per merchant")

    @transaction.atomic
    def handle(self, *args, members: int, **options):
        rng = random.Random(2026)
        user_model = get_user_model()
        if not user_model.objects.filter(username=OPERATOR[0]).exists():
            user_model.objects.create_superuser(OPERATOR[0], "operator@example.com", OPERATOR[1])
        for slot, spec in enumerate(MERCHANTS, start=1):
            merchant, created = Merchant.objects.get_or_create(
                slug=spec["slug"], defaults={"name": spec["name"], "service_phone": spec["phone"]})
            stores = [Store.objects.get_or_create(merchant=merchant, name=name, defaults={"address": address})[0]
                      for name, address in spec["stores"]]
            for role in StaffRole.values:
                username = f"{spec['slug']}-{role}"
                if not user_model.objects.filter(username=username).exists():
                    services.add_staff(merchant, username=username, password=DEMO_PASSWORD, role=role,
                                       store=stores[0] if role == StaffRole.CASHIER else None, check_password=False)
            for index, store in enumerate(stores, start=1):
                key = terminal_key(spec["slug"], index)
                if not Terminal.objects.filter(key_prefix=services.staff.split_terminal_key(key)).exists():
                    services.create_terminal(store, name=f"POS {index}", key=key)
            for position, (key, label, kind, choices, required) in enumerate(spec["fields"]):
                MemberField.objects.get_or_create(merchant=merchant, key=key, defaults={
                    "label": label, "kind": kind, "choices": choices, "required": required, "position": position})
            tags = [MemberTag.objects.get_or_create(merchant=merchant, name=name)[0] for name in spec["tags"]]
            for seeder in demo_data.all():
                seeder.seed_merchant(merchant)
            if created or not merchant.members.exists():
                self._members(merchant, slot, stores, tags, members, rng)
                for seeder in demo_data.all():
                    seeder.seed_members_done(merchant)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _members(self, merchant, slot, stores, tags, count, rng):
        names = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷"]
        fields = list(MemberField.objects.filter(merchant=merchant))
        now = timezone.now()
        for index in range(count):
            phone = f"13{slot}{index:08d}"
            attributes = {}
            for definition in fields:
                if definition.kind == MemberField.Kind.CHOICE:
                    attributes[definition.key] = rng.choice(definition.choices)
                elif definition.kind == MemberField.Kind.MULTIPLE_CHOICE:
                    attributes[definition.key] = rng.sample(definition.choices, 1)
                elif definition.kind == MemberField.Kind.NUMBER:
                    attributes[definition.key] = str(rng.randint(150, 195))
            member = services.join_member(
                merchant, phone, name=names[index % len(names)], gender=rng.choice(["female", "male", "unknown"]),
                birthday=date(1980 + index % 25, 1 + index % 12, 1 + index % 28), custom_fields=attributes,
                source_store=rng.choice(stores))
            # Back-dated after joining, on the object too: the seeders date each member's history after it.
            member.joined_at = now - timedelta(days=rng.randint(0, 400))
            Member.objects.filter(pk=member.pk).update(joined_at=member.joined_at)
            member.tags.set(rng.sample(tags, rng.randint(0, min(2, len(tags)))))
            for seeder in demo_data.all():
                seeder.seed_member(member)
            if index % 5 == 0:
                queue_message(merchant, phone, f"[{merchant.signature}] 欢迎加入会员！")
