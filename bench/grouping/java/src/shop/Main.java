package shop;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the corpus events: each picks a bug, a call path and a value, throws, and logs it. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger("shop");

    interface Scenario {
        void run(Random random);
    }

    public static void main(String[] args) throws Exception {
        Random random = new Random(21);
        String[] groups = {"orders-quantity", "orders-customer-npe", "inventory-index",
            "inventory-sync-empty", "inventory-sync-number"};
        Scenario[] scenarios = {
            r -> { Map<String, String> o = Map.of("quantity", r.nextBoolean() ? "x" + r.nextInt(9) : "");
                   if (r.nextBoolean()) { Orders.checkout(o); } else { Orders.reorder(o); } },
            r -> Orders.customerLength(Map.of("id", "1")),
            r -> Inventory.shelf(List.of("a", "b"), 2 + r.nextInt(40)),
            r -> Inventory.sync(""),
            r -> Inventory.sync("n" + r.nextInt(100)),
        };
        int count = Integer.parseInt(args[1]);
        try (PrintWriter truth = new PrintWriter(args[0])) {
            for (int i = 0; i < count; i++) {
                int pick = random.nextInt(scenarios.length);
                try {
                    scenarios[pick].run(random);
                } catch (RuntimeException e) {
                    LOG.error("request failed", e);
                    truth.println("shop-logback/" + groups[pick]);
                }
            }
        }
    }
}
