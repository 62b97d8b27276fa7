package dev.mica.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generations being streamed right now, so that stopping the server cancels them and frees
 * their request threads instead of waiting for answers nobody will read.
 */
final class Generations {
    private final Set<EventPump> active = ConcurrentHashMap.newKeySet();
    private final ServerMetrics metrics;
    private volatile boolean stopping;

    Generations(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    /** A pump registered until it is closed; it reports its generation's tokens and latency to the metrics. */
    EventPump open() {
        if (stopping) {
            throw new ApiException(503, "server is stopping", null);
        }
        EventPump pump = new EventPump(active::remove, metrics);
        active.add(pump);
        return pump;
    }

    int size() {
        return active.size();
    }

    void abortAll() {
        stopping = true;
        for (EventPump pump : active) {
            pump.abort("server is stopping");
        }
    }
}
