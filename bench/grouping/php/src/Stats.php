<?php
namespace Shop;

final class Stats
{
    public static function average(array $values): int
    {
        return intdiv(array_sum($values), count($values));
    }

    public static function daily(array $values): int
    {
        return self::average($values);
    }

    public static function weekly(array $values): int
    {
        return 7 * self::average($values);
    }
}
