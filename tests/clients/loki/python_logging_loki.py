"""python-logging-loki 0.3.1 (Loki JSON) against the bridge.

Usage: python3 python_logging_loki.py <bridge-url> <token> [<version>]: version "1" (the README's
advice) or "0" (the library's default, the legacy body). Exits 1 when a push failed: the library
raises on any answer but 204 and reports it through the handler's handleError.
"""
import logging
import sys

import logging_loki

url, token, version = sys.argv[1], sys.argv[2], sys.argv[3]
failed = []
handler = logging_loki.LokiHandler(
    url=url + "/loki/api/v1/push",
    tags={"application": f"py-app-v{version}"},
    auth=("loki", token),
    version=version,
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
