"""Stats: an average of no samples (stats-average-zero), a string times a string (stats-scale-type)."""


def average(samples):
    return sum(samples) / len(samples)


def scale(values, factor):
    return [v * factor for v in values]


def report(samples):
    return {"mean": average(samples)}
