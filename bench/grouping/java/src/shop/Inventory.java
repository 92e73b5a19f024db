package shop;

import java.util.List;

/** Inventory: an index past the shelf (inventory-index), a wrapper over two causes (inventory-sync-*). */
public final class Inventory {
    private Inventory() {}

    static String shelf(List<String> items, int slot) {
        return items.get(slot);
    }

    static final class SyncException extends RuntimeException {
        SyncException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static void sync(String payload) {
        try {
            if (payload.isEmpty()) {
                throw new IllegalStateException("empty payload from warehouse " + payload.hashCode());
            }
            Long.parseLong(payload);
        } catch (RuntimeException e) {
            throw new SyncException("inventory sync failed", e);
        }
    }
}
