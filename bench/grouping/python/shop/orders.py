"""Orders: loading reads a key that old orders lack (bug orders-load-keyerror)."""


def load(order):
    return {"id": order["id"], "total": order["total"], "currency": order["currency"]}


def checkout(order):
    return load(order)


def reorder(order):
    return load(dict(order))
