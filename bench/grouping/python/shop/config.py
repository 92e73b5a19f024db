"""Config: a broken JSON document surfaces inside the json module (config-json)."""
import json


def parse(text):
    return json.loads(text)


def load(name, text):
    return {"name": name, "settings": parse(text)}
