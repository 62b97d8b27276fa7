package dev.mica.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Codex's configuration ({@code $CODEX_HOME/config.toml}, else {@code ~/.codex/config.toml}) with a
 * {@code mica} profile and model provider, as {@code ollama launch codex} writes its own: a provider
 * table is what makes Codex send a user logged in with ChatGPT to the local server, where the
 * environment variables alone are ignored. The provider uses the Responses API, which mica serves
 * at {@code /v1/responses}.
 *
 * <p>Only the two tables are replaced; every other byte of the file stays, comments included, which
 * is why this edits the text rather than parsing and writing TOML back. The scan below knows just
 * enough TOML (strings, multi-line values, quoted keys) to find where tables begin, and refuses a
 * file that defines {@code mica}'s tables some other way, since a second definition would make it
 * invalid.
 */
final class CodexConfig {
    static final String PROFILE = "mica";
    private static final List<String> PROFILE_TABLE = List.of("profiles", PROFILE);
    private static final List<String> PROVIDER_TABLE = List.of("model_providers", PROFILE);

    private CodexConfig() {}

    /** Codex reads CODEX_HOME before the home folder, so a profile written elsewhere would not be seen. */
    static Path file(Map<String, String> env, Path userHome) {
        String codexHome = env.get("CODEX_HOME");
        Path dir = codexHome != null && !codexHome.isBlank() ? Path.of(codexHome) : userHome.resolve(".codex");
        return dir.resolve("config.toml");
    }

    /** Adds or replaces mica's tables in the file; returns those tables as written. */
    static String write(Path file, String server, String model, String apiKey) throws IOException {
        String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        String nl = text.contains("\r\n") ? "\r\n" : "\n";
        String profile = profile(server, model, nl);
        String provider = provider(server, apiKey, nl);
        String merged;
        try {
            merged = merge(text, profile, provider);
        } catch (IllegalArgumentException e) {
            throw new CliException(file + " " + e.getMessage() + "; add these tables to it yourself:\n" + profile + nl + provider);
        }
        ToolConfigFile.replace(file, merged);
        return profile + nl + provider;
    }

    /**
     * forced_login_method keeps Codex from using a ChatGPT login for this profile; openai_base_url
     * is set too because Ollama sets it, for the Codex versions that read it from the profile.
     */
    static String profile(String server, String model, String nl) {
        return "[profiles." + PROFILE + "]" + nl
                + "model = " + quote(model) + nl
                + "openai_base_url = " + quote(server + "/v1") + nl
                + "model_provider = " + quote(PROFILE) + nl
                + "forced_login_method = \"api\"" + nl;
    }

    /**
     * A provider without env_key sends no key. When the server wants one, Codex is told to read the
     * variable mica itself reads, so the key never lands in the file and {@code codex --profile mica}
     * works by hand in the same shell.
     */
    static String provider(String server, String apiKey, String nl) {
        return "[model_providers." + PROFILE + "]" + nl
                + "name = " + quote(PROFILE) + nl
                + "base_url = " + quote(server + "/v1") + nl
                + "wire_api = \"responses\"" + nl
                + (apiKey != null && !apiKey.isBlank() ? "env_key = \"MICA_API_KEY\"" + nl : "");
    }

    /** The text with the two tables replaced where they are, or appended; IllegalArgumentException if it cannot be edited safely. */
    static String merge(String text, String profile, String provider) {
        List<Section> sections = new Scanner(text).scan();
        String nl = profile.endsWith("\r\n") ? "\r\n" : "\n";
        StringBuilder out = new StringBuilder();
        int at = 0;
        boolean profileDone = false;
        boolean providerDone = false;
        for (Section s : sections) {
            boolean isProfile = s.path.equals(PROFILE_TABLE);
            if (!isProfile && !s.path.equals(PROVIDER_TABLE)) continue;
            out.append(text, at, s.start);
            // A file that already names the table twice is invalid; the copies after the first go.
            if (isProfile && !profileDone) out.append(profile);
            if (!isProfile && !providerDone) out.append(provider);
            profileDone |= isProfile;
            providerDone |= !isProfile;
            at = s.contentEnd;
        }
        out.append(text, at, text.length());
        if (!profileDone) append(out, profile, nl);
        if (!providerDone) append(out, provider, nl);
        return out.toString();
    }

    private static void append(StringBuilder out, String table, String nl) {
        if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n') out.append(nl);
        if (!out.isEmpty()) out.append(nl);
        out.append(table);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04X", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * A {@code [table]} header (path), from the start of its line to the end of its last line that
     * is not blank or only a comment: comments just above the next table are taken to be about that
     * one, and stay.
     */
    record Section(List<String> path, int start, int contentEnd) {}

    /** Finds the table headers, skipping what only looks like one inside a multi-line string or array. */
    private static final class Scanner {
        private final String text;
        private int pos;
        private int line = 1;
        private int depth;
        private String openString;

        Scanner(String text) {
            this.text = text;
        }

        List<Section> scan() {
            List<Section> sections = new ArrayList<>();
            List<String> table = List.of();
            Section current = null;
            while (pos < text.length()) {
                int start = pos;
                int end = text.indexOf('\n', pos);
                end = end < 0 ? text.length() : end + 1;
                if (openString != null || depth > 0) {
                    value(end);
                    if (current != null) current = new Section(current.path, current.start, end);
                } else {
                    skipBlanks(end);
                    if (pos == end || text.charAt(pos) == '#' || text.charAt(pos) == '\r' || text.charAt(pos) == '\n') {
                        pos = end;
                    } else if (text.charAt(pos) == '[') {
                        boolean array = text.startsWith("[[", pos);
                        pos += array ? 2 : 1;
                        List<String> path = key(end);
                        expect(array ? "]]" : "]", end);
                        rest(end);
                        if (array && (startsWith(PROFILE_TABLE, path) || startsWith(PROVIDER_TABLE, path))) {
                            throw conflict(String.join(".", path));
                        }
                        if (current != null) sections.add(current);
                        current = array ? null : new Section(path, start, end);
                        table = path;
                    } else {
                        List<String> key = key(end);
                        expect("=", end);
                        List<String> full = new ArrayList<>(table);
                        full.addAll(key);
                        for (List<String> ours : List.of(PROFILE_TABLE, PROVIDER_TABLE)) {
                            if (startsWith(ours, full) || startsWith(full, ours) && !startsWith(table, ours)) {
                                throw conflict(String.join(".", full));
                            }
                        }
                        value(end);
                        if (current != null) current = new Section(current.path, current.start, end);
                    }
                }
                pos = end;
                line++;
            }
            if (current != null) sections.add(current);
            return sections;
        }

        private IllegalArgumentException conflict(String key) {
            return new IllegalArgumentException("defines " + key + " on line " + line + " in a way mica does not rewrite");
        }

        private static boolean startsWith(List<String> whole, List<String> prefix) {
            return whole.size() >= prefix.size() && whole.subList(0, prefix.size()).equals(prefix);
        }

        private IllegalArgumentException unreadable() {
            return new IllegalArgumentException("is not TOML mica can read (line " + line + ")");
        }

        private void skipBlanks(int end) {
            while (pos < end && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) pos++;
        }

        private void expect(String s, int end) {
            skipBlanks(end);
            if (!text.startsWith(s, pos) || pos + s.length() > end) throw unreadable();
            pos += s.length();
        }

        /** After a header: nothing but a comment. */
        private void rest(int end) {
            skipBlanks(end);
            if (pos < end && text.charAt(pos) != '#' && text.charAt(pos) != '\r' && text.charAt(pos) != '\n') throw unreadable();
        }

        /** A dotted key: bare, "basic" or 'literal' parts. */
        private List<String> key(int end) {
            List<String> parts = new ArrayList<>();
            while (true) {
                skipBlanks(end);
                if (pos >= end) throw unreadable();
                char c = text.charAt(pos);
                if (c == '"' || c == '\'') {
                    int close = pos + 1;
                    StringBuilder part = new StringBuilder();
                    while (close < end && text.charAt(close) != c) {
                        if (c == '"' && text.charAt(close) == '\\' && close + 1 < end) {
                            close = escape(close, part);
                        } else {
                            part.append(text.charAt(close++));
                        }
                    }
                    if (close >= end) throw unreadable();
                    parts.add(part.toString());
                    pos = close + 1;
                } else {
                    int from = pos;
                    while (pos < end && (Character.isLetterOrDigit(c = text.charAt(pos)) && c < 0x80 || c == '_' || c == '-')) pos++;
                    if (pos == from) throw unreadable();
                    parts.add(text.substring(from, pos));
                }
                skipBlanks(end);
                if (pos < end && text.charAt(pos) == '.') {
                    pos++;
                } else {
                    return parts;
                }
            }
        }

        /** Decodes the escape at i (a backslash) into part; returns the index after it. */
        private int escape(int i, StringBuilder part) {
            char e = text.charAt(i + 1);
            int hex = e == 'u' ? 4 : e == 'U' ? 8 : 0;
            if (hex > 0 && i + 2 + hex <= text.length()) {
                try {
                    part.appendCodePoint(Integer.parseInt(text.substring(i + 2, i + 2 + hex), 16));
                    return i + 2 + hex;
                } catch (IllegalArgumentException notHex) {
                    throw unreadable();
                }
            }
            part.append(switch (e) {
                case 'n' -> '\n';
                case 't' -> '\t';
                case 'r' -> '\r';
                case 'b' -> '\b';
                case 'f' -> '\f';
                default -> e;
            });
            return i + 2;
        }

        /** Reads a value's text to the line's end, keeping track of open strings and brackets. */
        private void value(int end) {
            while (pos < end) {
                if (openString != null) {
                    boolean basic = openString.charAt(0) == '"';
                    int close = pos;
                    while (close < end && !text.startsWith(openString, close)) close += basic && text.charAt(close) == '\\' ? 2 : 1;
                    if (close >= end) {
                        pos = end;
                        return;
                    }
                    pos = close + 3;
                    // Up to two quotes right before the delimiter belong to the string.
                    for (int extra = 0; extra < 2 && pos < end && text.charAt(pos) == openString.charAt(0); extra++) pos++;
                    openString = null;
                    continue;
                }
                char c = text.charAt(pos);
                if (c == '#') {
                    pos = end;
                } else if (text.startsWith("\"\"\"", pos) || text.startsWith("'''", pos)) {
                    openString = text.substring(pos, pos + 3);
                    pos += 3;
                } else if (c == '"' || c == '\'') {
                    int i = pos + 1;
                    while (i < end && text.charAt(i) != c) i += c == '"' && text.charAt(i) == '\\' ? 2 : 1;
                    if (i >= end) throw unreadable();
                    pos = i + 1;
                } else {
                    if (c == '[' || c == '{') depth++;
                    if (c == ']' || c == '}') depth--;
                    pos++;
                }
            }
        }
    }
}
