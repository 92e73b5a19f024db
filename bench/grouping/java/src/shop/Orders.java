package shop;

import java.util.Map;

/** Orders: parsing a quantity that is no number (orders-quantity), a null customer (orders-customer-npe). */
public final class Orders {
    private Orders() {}

    static int quantity(Map<String, String> order) {
        return Integer.parseInt(order.get("quantity"));
    }

    static int checkout(Map<String, String> order) {
        return quantity(order);
    }

    static int reorder(Map<String, String> order) {
        return quantity(order) * 2;
    }

    static int customerLength(Map<String, String> order) {
        return order.get("customer").length();
    }
}
