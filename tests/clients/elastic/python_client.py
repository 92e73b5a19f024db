"""The official Python client against the bridge: info() and helpers.bulk.

Usage: python3 python_client.py <base url, e.g. http://127.0.0.1:8080/es> <index> <count>
"""
import json
import sys
from datetime import datetime, timezone

from elasticsearch import Elasticsearch, helpers


def main():
    node, index, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = Elasticsearch(node)
    info = client.info()
    levels = ["info", "warning", "error"]
    actions = [
        {
            "_op_type": "create",
            "_index": index,
            "_source": {
                "@timestamp": datetime.now(timezone.utc).isoformat(),
                "message": f"python bulk {n}",
                "log": {"level": levels[n % len(levels)]},
                "service": {"name": "py-shop"},
            },
        }
        for n in range(count)
    ]
    ok, errors = helpers.bulk(client, actions)
    print(json.dumps({"version": info["version"]["number"], "ok": ok, "errors": errors}))


if __name__ == "__main__":
    main()
