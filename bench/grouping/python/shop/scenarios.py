"""The events of the corpus: each picks a bug, a call path and a value, and raises for real.

`run(seed, count, emit)` calls `emit(group, raise_it)`; the driver catches what raise_it raises
and logs it with its logger, and writes `group` as the event's ground truth.
"""
import random

from shop import config, orders, payments, pricing, stats, users

KEYS = ["currency", "total"]
CURRENCIES = ["GBP", "JPY", "CHF", "SEK", "NOK"]


def _scenarios(rng):
    return [
        ("orders-load-keyerror", lambda: rng.choice([orders.checkout, orders.reorder])(
            {"id": rng.randint(1, 999), **({"total": 3} if rng.random() < 0.5 else {"currency": "EUR"})})),
        ("users-load-keyerror", lambda: users.profile({"name": "ann"} if rng.random() < 0.5 else {"email": "x@y"})),
        ("pricing-currency", lambda: rng.choice([
            lambda: pricing.quote(rng.randint(1, 99), rng.choice(CURRENCIES)),
            lambda: pricing.invoice([1, 2], rng.choice(CURRENCIES))])()),
        ("stats-average-zero", lambda: rng.choice([stats.average, stats.report])([])),
        ("stats-scale-type", lambda: stats.scale(["a", "b"], rng.choice(["x", "yy", "zz"]))),
        ("config-json", lambda: config.load(f"svc{rng.randint(1, 9)}", "{" + "\"a\": " * rng.randint(1, 3))),
        ("payments-charge-token", lambda: payments.charge({"id": rng.randint(1, 99)}, "10")),
        ("payments-charge-amount", lambda: payments.charge({"token": "t"}, rng.choice(["1o", "ten", "12,5"]))),
    ]


def run(seed, count, emit):
    rng = random.Random(seed)
    scenarios = _scenarios(rng)
    for _ in range(count):
        group, raise_it = rng.choice(scenarios)
        emit(group, raise_it)
