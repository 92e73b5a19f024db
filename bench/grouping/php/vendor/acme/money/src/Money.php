<?php
// A library-like vendor package: the bug is the caller's input, the throw is in the library.
namespace Acme\Money;

final class Money
{
    public static function parse(string $amount): int
    {
        if (!preg_match('/^\d+(\.\d{2})?$/', $amount)) {
            throw new \InvalidArgumentException("Invalid amount '$amount'");
        }
        return (int) round(((float) $amount) * 100);
    }
}
