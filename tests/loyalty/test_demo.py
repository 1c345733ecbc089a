"""seed_demo loads every app's demo through the registry, in order, and knows none of them by name."""

from django.core.management import call_command

from loyalty.demo import DemoData, demo_data


class CountingDemo(DemoData):
    code = "test-counting"
    order = 1000
    merchants: list[str] = []
    members: list[str] = []

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        cls.merchants.append(merchant.slug)

    @classmethod
    def seed_member(cls, member) -> None:
        cls.members.append(member.phone)


def test_seed_demo_runs_a_registered_seeder_for_each_merchant_and_each_new_member(db):
    CountingDemo.merchants, CountingDemo.members = [], []
    with demo_data.registered(CountingDemo):
        call_command("seed_demo", members=2)
        call_command("seed_demo", members=2)
    assert (CountingDemo.merchants, len(CountingDemo.members)) == (["chacha", "irongym", "chacha", "irongym"], 4)


def test_the_membership_programme_is_seeded_before_the_wallet():
    codes = demo_data.codes()
    assert codes.index("membership") < codes.index("wallet")
