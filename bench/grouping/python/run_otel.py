"""The OTel Python SDK's LoggingHandler: exception.type/message/stacktrace attributes, exported
as OTLP/JSON log records (one ExportLogsServiceRequest per line)."""
import json
import logging
import sys

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import LogExporter, LogExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from shop import scenarios


def any_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


class OtlpJsonLines(LogExporter):
    """Writes each record as the OTLP/JSON body an OTLP/HTTP exporter would post."""

    def __init__(self, out):
        self.out = out

    def export(self, batch):
        for data in batch:
            record = data.log_record
            attributes = [{"key": k, "value": any_value(v)} for k, v in (record.attributes or {}).items()]
            resource = [{"key": k, "value": any_value(v)} for k, v in data.resource.attributes.items()]
            body = {"resourceLogs": [{"resource": {"attributes": resource}, "scopeLogs": [{
                "scope": {"name": data.instrumentation_scope.name},
                "logRecords": [{
                    "timeUnixNano": str(record.timestamp),
                    "severityNumber": record.severity_number.value,
                    "severityText": record.severity_text,
                    "body": {"stringValue": str(record.body)},
                    "attributes": attributes}]}]}]}
            self.out.write(json.dumps(body) + "\n")
        return LogExportResult.SUCCESS

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=30000):
        return True


def main(out_path, truth_path, count):
    provider = LoggerProvider(resource=Resource.create({"service.name": "shop-otel"}))
    out = open(out_path, "w")
    provider.add_log_record_processor(SimpleLogRecordProcessor(OtlpJsonLines(out)))
    log = logging.getLogger("shop.otel")
    log.addHandler(LoggingHandler(logger_provider=provider))
    log.propagate = False
    with open(truth_path, "w") as truth:
        for group, raise_it in scenarios.events(3, count):
            try:
                raise_it()
            except Exception:
                log.exception("request failed")
                truth.write(f"shop-otel/{group}\n")
    provider.shutdown()
    out.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
