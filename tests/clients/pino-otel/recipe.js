// README's pino-opentelemetry-transport recipe, as written there: the bridge's URL and the
// service come from the environment (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, _PROTOCOL,
// OTEL_SERVICE_NAME); the message is the first argument.
const pino = require('pino')
const logger = pino({ transport: { target: 'pino-opentelemetry-transport' } })
logger.info({ route: '/orders' }, process.argv[2] || 'order placed')
