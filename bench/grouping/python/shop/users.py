"""Users: the same function name as orders.load, a different bug (users-load-keyerror)."""


def load(user):
    return {"name": user["name"], "email": user["email"]}


def profile(user):
    return load(user)
