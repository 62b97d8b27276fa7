package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.EmbedResult;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Metrics;
import dev.mica.api.inference.ModelDetails;
import dev.mica.api.inference.ModelSummary;
import dev.mica.api.inference.RunningModel;
import dev.mica.api.inference.ToolCall;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The contract's records as Ollama's JSON: exact field names, durations in nanoseconds,
 * {@code created_at} as RFC 3339 with fractional seconds, and Ollama's habit of leaving out empty
 * optional fields (Go's {@code omitempty}).
 */
final class OllamaResponses {
    private final Json json;

    OllamaResponses(Json json) {
        this.json = json;
    }

    /** A streamed chunk of /api/generate for one event that is not the end. */
    ObjectNode generateChunk(String model, GenerationEvent event) {
        ObjectNode o = head(model);
        switch (event) {
            case GenerationEvent.Token t -> {
                o.put("response", t.text());
                o.put("done", false);
                if (t.logprob() != null) o.set("logprobs", logprobs(List.of(t.logprob())));
            }
            case GenerationEvent.Thinking t -> {
                o.put("response", "");
                o.put("thinking", t.text());
                o.put("done", false);
            }
            case GenerationEvent.ToolCalls c -> {
                o.put("response", "");
                o.set("tool_calls", toolCalls(c.calls()));
                o.put("done", false);
            }
            case GenerationEvent.Done d -> throw new IllegalArgumentException("Done is written by generateDone");
        }
        return o;
    }

    /** The last object of /api/generate; {@code transcript} is set when the answer was not streamed. */
    ObjectNode generateDone(String model, GenerationEvent.Done done, Transcript transcript) {
        ObjectNode o = head(model);
        o.put("response", transcript == null ? "" : transcript.content());
        if (transcript != null && !transcript.thinking().isEmpty()) o.put("thinking", transcript.thinking());
        if (transcript != null && !transcript.toolCalls().isEmpty()) o.set("tool_calls", toolCalls(transcript.toolCalls()));
        o.put("done", true);
        o.put("done_reason", done.reason().wireName());
        if (done.context() != null && done.context().length > 0) {
            ArrayNode context = o.putArray("context");
            for (int t : done.context()) context.add(t);
        }
        metrics(o, done.metrics());
        if (transcript != null && !transcript.logprobs().isEmpty()) o.set("logprobs", logprobs(transcript.logprobs()));
        return o;
    }

    ObjectNode chatChunk(String model, GenerationEvent event) {
        ObjectNode o = head(model);
        ObjectNode message = o.putObject("message");
        message.put("role", "assistant");
        switch (event) {
            case GenerationEvent.Token t -> {
                message.put("content", t.text());
                if (t.logprob() != null) o.set("logprobs", logprobs(List.of(t.logprob())));
            }
            case GenerationEvent.Thinking t -> {
                message.put("content", "");
                message.put("thinking", t.text());
            }
            case GenerationEvent.ToolCalls c -> {
                message.put("content", "");
                message.set("tool_calls", toolCalls(c.calls()));
            }
            case GenerationEvent.Done d -> throw new IllegalArgumentException("Done is written by chatDone");
        }
        o.put("done", false);
        // Ollama puts logprobs after done; field order does not matter to JSON clients.
        return o;
    }

    ObjectNode chatDone(String model, GenerationEvent.Done done, Transcript transcript) {
        ObjectNode o = head(model);
        ObjectNode message = o.putObject("message");
        message.put("role", "assistant");
        message.put("content", transcript == null ? "" : transcript.content());
        if (transcript != null && !transcript.thinking().isEmpty()) message.put("thinking", transcript.thinking());
        if (transcript != null && !transcript.toolCalls().isEmpty()) message.set("tool_calls", toolCalls(transcript.toolCalls()));
        o.put("done", true);
        o.put("done_reason", done.reason().wireName());
        metrics(o, done.metrics());
        if (transcript != null && !transcript.logprobs().isEmpty()) o.set("logprobs", logprobs(transcript.logprobs()));
        return o;
    }

    /** The answer to an empty prompt: the model was loaded ("load") or unloaded ("unload"). */
    ObjectNode loadDone(String model, boolean chat, GenerationEvent.DoneReason reason) {
        ObjectNode o = head(model);
        if (chat) {
            ObjectNode message = o.putObject("message");
            message.put("role", "assistant");
            message.put("content", "");
        } else {
            o.put("response", "");
        }
        o.put("done", true);
        o.put("done_reason", reason.wireName());
        return o;
    }

    /** A line of a stream that failed after it started, as Ollama writes it. */
    ObjectNode error(String message) {
        return json.object().put("error", message);
    }

    ObjectNode status(String status) {
        return json.object().put("status", status);
    }

    ObjectNode tags(List<ModelSummary> models) {
        ObjectNode o = json.object();
        ArrayNode list = o.putArray("models");
        for (ModelSummary m : models) {
            ObjectNode row = list.addObject();
            row.put("name", m.name());
            row.put("model", m.name());
            row.put("modified_at", time(m.modifiedAt()));
            row.put("size", m.size());
            row.put("digest", digest(m.digest()));
            row.set("details", details(m.details()));
        }
        return o;
    }

    ObjectNode show(ModelDetails d) {
        ObjectNode o = json.object();
        putIfText(o, "modelfile", d.modelfile());
        putIfText(o, "parameters", d.parameters());
        putIfText(o, "template", d.template());
        putIfText(o, "system", d.system());
        // Ollama joins a model's several licenses into one text
        if (!d.licenses().isEmpty()) o.put("license", String.join("\n", d.licenses()));
        if (!d.messages().isEmpty()) {
            ArrayNode messages = o.putArray("messages");
            d.messages().forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
        }
        o.set("details", details(d.details()));
        o.set("model_info", d.modelInfo() == null ? json.object() : json.toTree(d.modelInfo()));
        ArrayNode caps = o.putArray("capabilities");
        if (d.capabilities() != null) d.capabilities().forEach(caps::add);
        o.put("modified_at", time(d.modifiedAt()));
        return o;
    }

    ObjectNode ps(List<RunningModel> running) {
        ObjectNode o = json.object();
        ArrayNode list = o.putArray("models");
        for (RunningModel m : running) {
            ObjectNode row = list.addObject();
            row.put("name", m.name());
            row.put("model", m.name());
            row.put("size", m.size());
            row.put("digest", digest(m.digest()));
            row.set("details", details(m.details()));
            // Ollama shows a model kept forever as expiring ~292 years from now (Go's max duration).
            Instant expires = m.expiresAt() != null ? m.expiresAt() : Instant.now().plus(Duration.ofNanos(Long.MAX_VALUE));
            row.put("expires_at", time(expires));
            row.put("size_vram", m.sizeVram());
            row.put("context_length", m.contextLength());
            if (m.backend() != null) row.put("backend", m.backend());
            if (m.route() != null) row.put("route", m.route());
        }
        return o;
    }

    ObjectNode embed(EmbedResult r) {
        ObjectNode o = json.object();
        o.put("model", r.model());
        ArrayNode all = o.putArray("embeddings");
        for (float[] e : r.embeddings()) {
            ArrayNode row = all.addArray();
            for (float v : e) row.add(v);
        }
        o.put("total_duration", r.totalNanos());
        o.put("load_duration", r.loadNanos());
        o.put("prompt_eval_count", r.promptTokens());
        return o;
    }

    ObjectNode details(ModelDetails.Details d) {
        ObjectNode o = json.object();
        if (d == null) return o;
        o.put("parent_model", d.parentModel() == null ? "" : d.parentModel());
        o.put("format", d.format());
        o.put("family", d.family());
        ArrayNode families = o.putArray("families");
        if (d.families() != null) d.families().forEach(families::add);
        o.put("parameter_size", d.parameterSize());
        o.put("quantization_level", d.quantizationLevel());
        return o;
    }

    ArrayNode toolCalls(List<ToolCall> calls) {
        ArrayNode list = json.array();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall c = calls.get(i);
            ObjectNode call = list.addObject();
            if (c.id() != null) call.put("id", c.id());
            ObjectNode function = call.putObject("function");
            function.put("index", i);
            function.put("name", c.name());
            function.set("arguments", json.toTree(c.arguments() == null ? java.util.Map.of() : c.arguments()));
        }
        return list;
    }

    ArrayNode logprobs(List<GenerationEvent.Logprob> logprobs) {
        ArrayNode list = json.array();
        for (GenerationEvent.Logprob lp : logprobs) {
            ObjectNode row = logprob(list.addObject(), lp);
            if (lp.top() != null && !lp.top().isEmpty()) {
                ArrayNode top = row.putArray("top_logprobs");
                for (GenerationEvent.Logprob alt : lp.top()) logprob(top.addObject(), alt);
            }
        }
        return list;
    }

    private static ObjectNode logprob(ObjectNode o, GenerationEvent.Logprob lp) {
        o.put("token", lp.token());
        o.put("logprob", lp.logprob());
        if (lp.bytes() != null) {
            ArrayNode bytes = o.putArray("bytes");
            for (byte b : lp.bytes()) bytes.add(b & 0xff);
        }
        return o;
    }

    private ObjectNode head(String model) {
        ObjectNode o = json.object();
        o.put("model", model);
        o.put("created_at", time(Instant.now()));
        return o;
    }

    private static void metrics(ObjectNode o, Metrics m) {
        if (m == null) return;
        o.put("total_duration", m.totalNanos());
        o.put("load_duration", m.loadNanos());
        o.put("prompt_eval_count", m.promptEvalCount());
        o.put("prompt_eval_duration", m.promptEvalNanos());
        o.put("eval_count", m.evalCount());
        o.put("eval_duration", m.evalNanos());
    }

    /** RFC 3339 in UTC with up to nanosecond precision, as Go's time.Time marshals. */
    static String time(Instant t) {
        return t == null ? null : t.toString();
    }

    /** Ollama lists digests as bare hex. */
    static String digest(String d) {
        return d != null && d.startsWith("sha256:") ? d.substring(7) : d;
    }

    private static void putIfText(ObjectNode o, String name, String value) {
        if (value != null && !value.isEmpty()) o.put(name, value);
    }
}
