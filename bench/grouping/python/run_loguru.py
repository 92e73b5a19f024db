"""loguru with serialize=True and its defaults (backtrace and diagnose on): one JSON line per
event, the traceback only in `text`."""
import sys

from loguru import logger

from shop import scenarios


def main(out_path, truth_path, count):
    logger.remove()
    out = open(out_path, "w")
    logger.add(out, serialize=True)
    log = logger.bind(service="shop-loguru")
    with open(truth_path, "w") as truth:
        for group, raise_it in scenarios.events(1, count):
            try:
                raise_it()
            except Exception:
                log.exception("request failed")
                truth.write(f"shop-loguru/{group}\n")
    out.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
