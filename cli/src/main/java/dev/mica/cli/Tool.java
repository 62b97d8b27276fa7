package dev.mica.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The coding tools {@code mica launch} knows, and how each is pointed at mica: environment
 * variables for Claude Code (Anthropic's API), a profile in its configuration file for Codex (see
 * {@link CodexConfig}), a provider in its configuration file for OpenCode (see {@link OpenCodeConfig}).
 */
enum Tool {
    CLAUDE("claude", "Claude Code", "npm install -g @anthropic-ai/claude-code"),
    CODEX("codex", "Codex", "npm install -g @openai/codex"),
    OPENCODE("opencode", "OpenCode", "npm install -g opencode-ai");

    /** The key sent when the server wants none: the tools refuse to start without one. */
    static final String PLACEHOLDER_KEY = "mica";

    final String program;
    final String title;
    final String install;

    Tool(String program, String title, String install) {
        this.program = program;
        this.title = title;
        this.install = install;
    }

    static Tool of(String name) {
        for (Tool t : values()) {
            if (t.program.equals(name.toLowerCase(Locale.ROOT))) return t;
        }
        throw new CliException("unknown tool '" + name + "': choose claude, codex or opencode", CliException.USAGE);
    }

    /**
     * What the tool's process gets in its environment. Claude Code: the base URL, the token, and
     * the model for every role it picks models for; an inherited ANTHROPIC_API_KEY is blanked so a
     * real key is neither preferred over the token nor sent to the local server. Like
     * {@code ollama launch claude}, it also keeps the attribution line out of the system prompt
     * (it changes from request to request, so no prompt would share a prefix with the one before
     * in the server's prefix cache) and sends nothing to Anthropic about a session it does not serve.
     */
    Map<String, String> environment(String server, String model, String apiKey) {
        String key = apiKey == null || apiKey.isBlank() ? PLACEHOLDER_KEY : apiKey;
        Map<String, String> env = new LinkedHashMap<>();
        switch (this) {
            case CLAUDE -> {
                env.put("ANTHROPIC_BASE_URL", server);
                env.put("ANTHROPIC_AUTH_TOKEN", key);
                env.put("ANTHROPIC_API_KEY", "");
                env.put("ANTHROPIC_MODEL", model);
                env.put("ANTHROPIC_DEFAULT_OPUS_MODEL", model);
                env.put("ANTHROPIC_DEFAULT_SONNET_MODEL", model);
                env.put("ANTHROPIC_DEFAULT_HAIKU_MODEL", model);
                env.put("ANTHROPIC_SMALL_FAST_MODEL", model);
                env.put("CLAUDE_CODE_SUBAGENT_MODEL", model);
                env.put("CLAUDE_CODE_ATTRIBUTION_HEADER", "0");
                env.put("DISABLE_TELEMETRY", "1");
                env.put("DISABLE_ERROR_REPORTING", "1");
                env.put("DISABLE_FEEDBACK_COMMAND", "1");
                env.put("CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY", "1");
            }
            // The profile carries the base URL too; the variable stays for a Codex run without the
            // profile (an older one, or a user's own command line). The profile's
            // forced_login_method = "api" wants an API key rather than a ChatGPT login: as in
            // Ollama's launch, this (or the placeholder) is it.
            case CODEX -> {
                env.put("OPENAI_BASE_URL", server + "/v1");
                env.put("OPENAI_API_KEY", key);
            }
            case OPENCODE -> { }
        }
        return env;
    }

    /**
     * Inherited variables the tool must not get (matched ignoring case, as Windows names are).
     * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC also turns off Claude Code's feature flags, which
     * leaves features such as Channels unavailable; Ollama's launch drops it for that reason.
     */
    List<String> unset() {
        return this == CLAUDE ? List.of("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC") : List.of();
    }

    /** Arguments that pick the model (and, for Codex, mica's profile) on the tool's command line. */
    List<String> arguments(String model) {
        return switch (this) {
            case CLAUDE -> List.of("--model", model);
            case CODEX -> List.of("--profile", CodexConfig.PROFILE, "-m", model);
            case OPENCODE -> List.of("--model", OpenCodeConfig.PROVIDER + "/" + model);
        };
    }
}
