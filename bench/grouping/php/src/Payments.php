<?php
namespace Shop;

use Acme\Money\Money;

final class PaymentFailed extends \RuntimeException
{
}

final class Payments
{
    public static function gateway(int $cents): void
    {
        throw new \RuntimeException("gateway timeout after {$cents}ms");
    }

    public static function charge(int $cents): void
    {
        try {
            self::gateway($cents);
        } catch (\RuntimeException $e) {
            throw new PaymentFailed("charge of $cents cents failed", 402, $e);
        }
    }

    public static function refund(int $cents): void
    {
        self::charge(-$cents);
    }

    public static function amount(string $text): int
    {
        return Money::parse($text);
    }

    public static function fromForm(array $form): int
    {
        return self::amount($form['amount']);
    }
}
