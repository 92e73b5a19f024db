<?php
namespace Shop;

final class Cart
{
    public static function total(array $items): int
    {
        return array_sum($items);
    }

    public static function checkout(?array $items): int
    {
        return self::total($items);
    }

    public static function reorder(?array $items): int
    {
        return 2 * self::total($items);
    }
}
