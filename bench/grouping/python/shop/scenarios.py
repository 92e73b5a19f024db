"""The events of the corpus: each picks a bug, a call path and a value, and raises for real.

`events(seed, count)` yields `(group, raise_it)`; the driver calls raise_it, logs what it raises
with its logger, and writes `group` as the event's ground truth (kept out of the raising frames,
so that loguru's variable dumps do not show it).
"""
import random

from shop import config, orders, payments, pricing, stats, users

KEYS = ["currency", "total"]
CURRENCIES = ["GBP", "JPY", "CHF", "SEK", "NOK"]


# The true group of each scenario below, in order (kept off the raising lines, which tracebacks
# quote).
GROUPS = [
    "orders-load-keyerror",
    "users-load-keyerror",
    "pricing-currency",
    "stats-average-zero",
    "stats-scale-type",
    "config-json",
    "payments-charge-token",
    "payments-charge-amount",
]


def _scenarios(rng):
    return [
        lambda: rng.choice([orders.checkout, orders.reorder])(
            {"id": rng.randint(1, 999), **({"total": 3} if rng.random() < 0.5 else {"currency": "EUR"})}),
        lambda: users.profile({"name": "ann"} if rng.random() < 0.5 else {"email": "x@y"}),
        lambda: rng.choice([
            lambda: pricing.quote(rng.randint(1, 99), rng.choice(CURRENCIES)),
            lambda: pricing.invoice([1, 2], rng.choice(CURRENCIES))])(),
        lambda: rng.choice([stats.average, stats.report])([]),
        lambda: stats.scale(["a", "b"], rng.choice(["x", "yy", "zz"])),
        lambda: config.load(f"svc{rng.randint(1, 9)}", "{" + "\"a\": " * rng.randint(1, 3)),
        lambda: payments.charge({"id": rng.randint(1, 99)}, "10"),
        lambda: payments.charge({"token": "t"}, rng.choice(["1o", "ten", "12,5"])),
    ]


def events(seed, count):
    rng = random.Random(seed)
    scenarios = list(zip(GROUPS, _scenarios(rng)))
    for _ in range(count):
        yield rng.choice(scenarios)
