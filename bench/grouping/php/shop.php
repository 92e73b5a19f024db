<?php
// The PHP part of the grouping corpus: Monolog (Debian's php-monolog) logging caught exceptions
// in its `exception` context key. FORMAT json: the JsonFormatter with includeStacktraces, one
// record a line; FORMAT line: the LineFormatter with includeStacktraces, each multi-line entry
// shipped as the `message` of a JSON record (as a log shipper's multiline join sends it).
// Usage: php shop.php FORMAT OUT TRUTH COUNT
require '/usr/share/php/Monolog/autoload.php';
require __DIR__ . '/vendor/acme/money/src/Money.php';
require __DIR__ . '/src/Cart.php';
require __DIR__ . '/src/Stats.php';
require __DIR__ . '/src/Payments.php';

use Monolog\Formatter\JsonFormatter;
use Monolog\Formatter\LineFormatter;
use Monolog\Handler\TestHandler;
use Monolog\Logger;
use Shop\Cart;
use Shop\Payments;
use Shop\Stats;

function scenarios(): array
{
    return [
        'cart-total-null' => [
            fn () => Cart::checkout(null),
            fn () => Cart::reorder(null),
        ],
        'stats-average-empty' => [
            fn () => Stats::daily([]),
            fn () => Stats::weekly([]),
        ],
        'payments-charge-declined' => [
            fn () => Payments::charge(mt_rand(100, 9999)),
            fn () => Payments::refund(mt_rand(100, 9999)),
        ],
        'money-parse-invalid' => [
            fn () => Payments::amount('x' . mt_rand(1, 99)),
            fn () => Payments::fromForm(['amount' => mt_rand(1, 9) . ',' . mt_rand(10, 99)]),
            fn () => Payments::amount(''),
        ],
    ];
}

function record(string $format, array $entry, string $service): string
{
    if ($format === 'json') {
        return $entry['formatted'];
    }
    $line = ['time' => $entry['datetime']->format('c'), 'level' => $entry['level_name'],
        'service' => $service, 'message' => rtrim($entry['formatted'])];
    return json_encode($line, JSON_UNESCAPED_SLASHES) . "\n";
}

[, $format, $outPath, $truthPath, $count] = $argv;
$formatter = $format === 'json' ? new JsonFormatter() : new LineFormatter(null, null, true);
$formatter->includeStacktraces(true);
$handler = new TestHandler();
$handler->setFormatter($formatter);
$service = $format === 'json' ? 'shop-monolog' : 'shop-monolog-line';
$logger = new Logger($service, [$handler]);
mt_srand(43);
$all = scenarios();
$groups = array_keys($all);
$out = fopen($outPath, 'w');
$truth = fopen($truthPath, 'w');
for ($i = 0; $i < (int) $count; $i++) {
    $group = $groups[mt_rand(0, count($groups) - 1)];
    $paths = $all[$group];
    try {
        $paths[mt_rand(0, count($paths) - 1)]();
    } catch (\Throwable $e) {
        $logger->error('request failed', ['exception' => $e]);
        fwrite($out, record($format, $handler->getRecords()[0], $service));
        fwrite($truth, "$service/$group\n");
        $handler->clear();
    }
}
