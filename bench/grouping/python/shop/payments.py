"""Payments: a wrapper exception over two different root causes (payments-charge-* bugs)."""


class PaymentError(RuntimeError):
    pass


def card_token(card):
    return card["token"]


def amount_cents(text):
    return int(text)


def charge(card, amount_text):
    try:
        return card_token(card), amount_cents(amount_text)
    except (KeyError, ValueError) as error:
        raise PaymentError("charge failed") from error
