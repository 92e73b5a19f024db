"""python-json-logger: `exc_info` holds the formatted traceback."""
import logging
import sys

try:
    from pythonjsonlogger.json import JsonFormatter
except ImportError:
    from pythonjsonlogger.jsonlogger import JsonFormatter

from shop import scenarios


def main(out_path, truth_path, count):
    handler = logging.FileHandler(out_path, mode="w")
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log = logging.getLogger("shop")
    log.addHandler(handler)
    log.propagate = False
    extra = {"service": "shop-jsonlogger"}
    with open(truth_path, "w") as truth:
        for group, raise_it in scenarios.events(2, count):
            try:
                raise_it()
            except Exception:
                log.exception("request failed", extra=extra)
                truth.write(f"shop-jsonlogger/{group}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
