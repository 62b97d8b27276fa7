package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.ToolCall;
import java.io.IOException;
import java.util.List;

/**
 * Turns a generation's events into the Responses API's stream: named server-sent events whose data
 * carries its {@code type} and a {@code sequence_number} counting from 0, and no {@code [DONE]}.
 *
 * <p>{@code response.created} and {@code response.in_progress} go out with the first event, so a
 * request the engine fails before any output still gets a proper error status. Reasoning and
 * answer text each stream as one output item with one content part (added, deltas, done); a new
 * item starts when the kind of output changes, the open one closes first. A tool call is one
 * {@code function_call} item whose arguments arrive as one delta. The end is
 * {@code response.completed}, or {@code response.incomplete} after a length stop, carrying the
 * whole response; a failure part way is an {@code error} event, then {@code response.failed}.
 */
final class ResponsesEvents implements EventPump.Listener {
    /** The two kinds of text item; each has one content part, whose events are named after its type. */
    private enum Kind {
        REASONING("rs", "reasoning_text"), MESSAGE("msg", "output_text");

        final String idPrefix;
        final String partType;

        Kind(String idPrefix, String partType) {
            this.idPrefix = idPrefix;
            this.partType = partType;
        }
    }

    private final SseStream out;
    private final ResponsesObjects objects;
    private final ResponsesObjects.Head head;
    private final ArrayNode output; // the items done so far, in order
    private int sequence;
    private boolean started;
    private Kind open;
    private String openId;
    private final StringBuilder text = new StringBuilder();
    private boolean answered; // a message or a tool call went out

    ResponsesEvents(SseStream out, ResponsesObjects objects, ResponsesObjects.Head head) {
        this.out = out;
        this.objects = objects;
        this.head = head;
        this.output = objects.items();
    }

    @Override
    public void on(GenerationEvent event) throws IOException {
        start();
        switch (event) {
            case GenerationEvent.Thinking t -> append(Kind.REASONING, t.text());
            case GenerationEvent.Token t -> append(Kind.MESSAGE, t.text());
            case GenerationEvent.ToolCalls calls -> {
                for (ToolCall c : calls.calls()) call(c);
            }
            case GenerationEvent.Done done -> {
                String status = ResponsesObjects.status(done);
                if (!answered) open(Kind.MESSAGE); // an empty answer is still a message, as in the JSON answer
                close(status);
                ObjectNode end = event("response." + status);
                end.set("response", objects.response(head, status, output, done));
                send(end);
            }
        }
    }

    /** After a failure part way: an {@code error} event, then the response as it stood, failed. */
    void fail(ApiError error) throws IOException {
        send(objects.error(event("error"), error));
        ObjectNode failed = event("response.failed");
        failed.set("response", objects.failed(head, output, error));
        send(failed);
    }

    private void start() throws IOException {
        if (started) return;
        started = true;
        for (String type : List.of("response.created", "response.in_progress")) {
            ObjectNode e = event(type);
            e.set("response", objects.response(head, ResponsesObjects.IN_PROGRESS, output, null));
            send(e);
        }
    }

    private void append(Kind kind, String delta) throws IOException {
        if (delta.isEmpty()) return;
        open(kind);
        text.append(delta);
        ObjectNode e = partEvent("response." + kind.partType + ".delta");
        e.put("delta", delta);
        if (kind == Kind.MESSAGE) e.putArray("logprobs");
        send(e);
    }

    private void open(Kind kind) throws IOException {
        if (open == kind) return;
        close(ResponsesObjects.COMPLETED);
        open = kind;
        openId = ResponsesObjects.id(kind.idPrefix);
        if (kind == Kind.MESSAGE) answered = true;
        ObjectNode added = event("response.output_item.added");
        added.put("output_index", output.size());
        added.set("item", item(kind, null, ResponsesObjects.IN_PROGRESS));
        send(added);
        ObjectNode part = partEvent("response.content_part.added");
        part.set("part", objects.part(kind.partType, ""));
        send(part);
    }

    private void close(String status) throws IOException {
        if (open == null) return;
        String all = text.toString();
        ObjectNode textDone = partEvent("response." + open.partType + ".done");
        textDone.put("text", all);
        if (open == Kind.MESSAGE) textDone.putArray("logprobs");
        send(textDone);
        ObjectNode partDone = partEvent("response.content_part.done");
        partDone.set("part", objects.part(open.partType, all));
        send(partDone);
        itemDone(item(open, all, status));
        open = null;
        text.setLength(0);
    }

    private void call(ToolCall c) throws IOException {
        close(ResponsesObjects.COMPLETED);
        answered = true;
        String id = ResponsesObjects.id("fc");
        String callId = ResponsesObjects.callId(c);
        String arguments = objects.arguments(c);
        ObjectNode added = event("response.output_item.added");
        added.put("output_index", output.size());
        added.set("item", objects.functionCall(id, callId, c.name(), "", ResponsesObjects.IN_PROGRESS));
        send(added);
        ObjectNode delta = itemEvent("response.function_call_arguments.delta", id);
        delta.put("delta", arguments);
        send(delta);
        ObjectNode done = itemEvent("response.function_call_arguments.done", id);
        done.put("name", c.name());
        done.put("arguments", arguments);
        send(done);
        itemDone(objects.functionCall(id, callId, c.name(), arguments, ResponsesObjects.COMPLETED));
    }

    private ObjectNode item(Kind kind, String content, String status) {
        return kind == Kind.REASONING ? objects.reasoning(head, openId, content, status) : objects.message(openId, content, status);
    }

    private void itemDone(ObjectNode item) throws IOException {
        ObjectNode e = event("response.output_item.done");
        e.put("output_index", output.size());
        e.set("item", item);
        send(e);
        output.add(item);
    }

    /** An event about the open item's one content part. */
    private ObjectNode partEvent(String type) {
        ObjectNode e = itemEvent(type, openId);
        e.put("content_index", 0);
        return e;
    }

    /** An event about one output item. */
    private ObjectNode itemEvent(String type, String itemId) {
        ObjectNode e = event(type);
        e.put("item_id", itemId);
        e.put("output_index", output.size());
        return e;
    }

    private ObjectNode event(String type) {
        return objects.event(type, sequence++);
    }

    private void send(ObjectNode event) throws IOException {
        out.send(event.get("type").textValue(), event);
    }
}
