package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void hostsInOllamaStyle() {
        assertEquals(new HttpSettings.HostPort("127.0.0.1", 11434), HttpSettings.parseHost("127.0.0.1:11434"));
        assertEquals(new HttpSettings.HostPort(null, 8080), HttpSettings.parseHost(":8080"));
        assertEquals(new HttpSettings.HostPort("localhost", 11434), HttpSettings.parseHost("localhost"));
        assertEquals(new HttpSettings.HostPort(null, 11434), HttpSettings.parseHost("0.0.0.0"));
        assertEquals(new HttpSettings.HostPort("127.0.0.1", 0), HttpSettings.parseHost("http://127.0.0.1:0"));
        assertEquals(new HttpSettings.HostPort("::1", 9000), HttpSettings.parseHost("[::1]:9000"));
        assertEquals(new HttpSettings.HostPort("::1", 11434), HttpSettings.parseHost("::1"));
        assertThrows(IllegalArgumentException.class, () -> HttpSettings.parseHost("127.0.0.1:99999"));
        assertThrows(IllegalArgumentException.class, () -> HttpSettings.parseHost("127.0.0.1:abc"));
        assertThrows(IllegalArgumentException.class, () -> HttpSettings.parseHost("https://x:1"));
    }

    @Test
    void fromProperties() {
        HttpSettings s = HttpSettings.from(Map.of("mica.host", "127.0.0.1:0", "mica.http.max_body", "2M")::get, "1.0");
        assertEquals("127.0.0.1", s.bindHost());
        assertEquals(0, s.port());
        assertEquals(2L << 20, s.maxBody());
        HttpSettings d = HttpSettings.from(Map.<String, String>of()::get, "1.0");
        assertEquals("127.0.0.1", d.bindHost());
        assertEquals(11434, d.port());
        assertEquals(64L << 20, d.maxBody());
        assertEquals(512L << 10, HttpSettings.from(Map.of("mica.http.max_body", "512KiB")::get, "1.0").maxBody());
        assertThrows(IllegalArgumentException.class, () -> HttpSettings.parseSize("lots"));
        assertThrows(IllegalArgumentException.class, () -> HttpSettings.parseSize("-5"));
    }

    @Test
    void keepAliveDurations() {
        assertEquals(Duration.ofMinutes(5), KeepAlive.parse("5m", "k"));
        assertEquals(Duration.ofMinutes(90), KeepAlive.parse("1h30m", "k"));
        assertEquals(Duration.ofMillis(300), KeepAlive.parse("300ms", "k"));
        assertEquals(Duration.ofMinutes(90), KeepAlive.parse("1.5h", "k"));
        assertEquals(Duration.ofSeconds(-1), KeepAlive.parse("-1", "k"));
        assertEquals(Duration.ofMinutes(-1), KeepAlive.parse("-1m", "k"));
        assertEquals(Duration.ZERO, KeepAlive.parse("0", "k"));
        assertEquals(Duration.ofSeconds(300), KeepAlive.parse("300", "k"));
        assertEquals(Duration.ofNanos(1_500), KeepAlive.parse("1us500ns", "k"));
        assertNull(KeepAlive.parse((com.fasterxml.jackson.databind.JsonNode) null, "k"));
        for (String bad : new String[] {"", "5", "m", "5x", "1h-3m", "--1", "1e3s", "9999999999999h"}) {
            if (bad.equals("5")) continue; // a bare number is seconds
            assertThrows(ApiException.class, () -> KeepAlive.parse(bad, "k"), bad);
        }
    }

    @Test
    void versionForClients() {
        assertEquals("0.1.0-SNAPSHOT", HttpComponent.displayVersion(new org.osgi.framework.Version(0, 1, 0, "SNAPSHOT")));
        assertEquals("1.2.3", HttpComponent.displayVersion(new org.osgi.framework.Version(1, 2, 3)));
    }
}
