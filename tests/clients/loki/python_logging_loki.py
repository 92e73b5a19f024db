"""python-logging-loki 0.3.1 (Loki JSON, version 1) against the bridge.

Usage: python3 python_logging_loki.py <bridge-url> <token>. Exits 1 when a push failed: the
library raises on any answer but 204 and reports it through the handler's handleError.
"""
import logging
import sys

import logging_loki

url, token = sys.argv[1], sys.argv[2]
failed = []
handler = logging_loki.LokiHandler(
    url=url + "/loki/api/v1/push",
    tags={"application": "py-app"},
    auth=("loki", token),
    version="1",
)
handler.handleError = lambda record: failed.append(sys.exc_info()[1])
logger = logging.getLogger("checkout")
logger.addHandler(handler)
logger.setLevel(logging.DEBUG)
logger.warning("disk almost full", extra={"tags": {"mount": "/data"}})
logger.error("payment failed")
logger.debug("cache warm")
print(f"failures: {failed}")
sys.exit(1 if failed else 0)
