
½
O{container_name="web", host="vec-1", msg="say "hi"", source_type="docker_logs"}J
 ûÄØÇ–±;2026-12-03T10:00:00.005Z ERROR upstream timed out after 30s
 ûÄØ‡›îGET /health 200