package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.ToolCall;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Responses API's {@code input} as chat messages. A string is one user message. An array holds
 * items: messages, {@code function_call} items (the assistant's calls, joined onto the assistant
 * message before them, as chat templates expect one assistant turn with its calls) and
 * {@code function_call_output} items (tool messages, named after their call through
 * {@code call_id}). A {@code reasoning} item is the thinking of the assistant turn that follows it.
 * References to stored items are refused: mica keeps no responses.
 */
final class ResponsesInput {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    private final OpenAiRequests chat;
    private final List<Message> messages = new ArrayList<>();
    private final Map<String, String> callNames = new HashMap<>(); // call_id -> function name
    private String thinking; // from a reasoning item, for the next assistant message

    private ResponsesInput(OpenAiRequests chat) {
        this.chat = chat;
    }

    static List<Message> messages(JsonNode input, OpenAiRequests chat) {
        if (input == null) throw ApiException.badField("input", "input is required");
        if (input.isTextual()) return List.of(Message.of("user", input.textValue()));
        if (!input.isArray()) throw ApiException.badField("input", "invalid input: expected a string or an array of input items");
        if (input.isEmpty()) throw ApiException.badField("input", "input must not be empty");
        ResponsesInput reader = new ResponsesInput(chat);
        for (int i = 0; i < input.size(); i++) reader.item(input.get(i), i);
        return reader.messages;
    }

    private void item(JsonNode raw, int index) {
        String where = "input[" + index + "]";
        if (!(raw instanceof ObjectNode o)) throw ApiException.badField("input", where + " must be an object");
        Fields f = new Fields(o, where + ".");
        String type = f.string("type");
        if (type == null && f.has("role")) type = "message"; // the short form: {"role", "content"}
        if (type == null) throw ApiException.badField("input", where + ".type is required");
        switch (type) {
            case "message" -> message(f, where);
            case "function_call" -> functionCall(f, where);
            case "function_call_output" -> callOutput(f, where);
            case "reasoning" -> thinking = reasoning(f);
            case "item_reference" -> throw ApiException.badField("input",
                    where + ": mica keeps no responses, so items cannot be referenced by id; send the items themselves");
            default -> throw ApiException.badField("input", where + ": unsupported input item type \"" + type
                    + "\" (expected message, function_call, function_call_output or reasoning)");
        }
    }

    private void message(Fields f, String where) {
        String role = f.requiredString("role");
        if (!ROLES.contains(role)) {
            throw ApiException.badField("input", "invalid " + where + ".role: \"" + role + "\" (expected user, system, developer or assistant)");
        }
        List<String> images = new ArrayList<>();
        String content = content(f, "content", where, images);
        if (role.equals("assistant")) {
            messages.add(new Message("assistant", content, takeThinking(), List.of(), List.of(), null, null));
        } else {
            messages.add(new Message(role.equals("developer") ? "system" : role, content, null, images, List.of(), null, null));
        }
    }

    private void functionCall(Fields f, String where) {
        String callId = f.requiredString("call_id");
        String name = f.requiredString("name");
        ToolCall call = new ToolCall(callId, name, chat.arguments(f.raw("arguments"), "input", where));
        callNames.put(callId, name);
        Message last = messages.isEmpty() ? null : messages.getLast();
        if (last != null && last.role().equals("assistant")) {
            List<ToolCall> calls = new ArrayList<>(last.toolCalls());
            calls.add(call);
            String lastThinking = last.thinking() != null ? last.thinking() : takeThinking();
            messages.set(messages.size() - 1, new Message("assistant", last.content(), lastThinking, last.images(), calls, null, null));
        } else {
            messages.add(new Message("assistant", "", takeThinking(), List.of(), List.of(call), null, null));
        }
    }

    private void callOutput(Fields f, String where) {
        String callId = f.requiredString("call_id");
        if (f.raw("output") == null) throw ApiException.badField("input", where + ".output is required");
        List<String> images = new ArrayList<>();
        String output = content(f, "output", where, images);
        messages.add(new Message("tool", output, null, images, List.of(), callNames.get(callId), callId));
    }

    /** The reasoning text: its content, else what this server put in encrypted_content, else its summary. */
    private static String reasoning(Fields f) {
        String text = partTexts(f, "content");
        if (text.isEmpty() && f.string("encrypted_content") != null) text = f.string("encrypted_content");
        if (text.isEmpty()) text = partTexts(f, "summary");
        return text.isEmpty() ? null : text;
    }

    private static String partTexts(Fields f, String field) {
        List<ObjectNode> parts = f.objects(field);
        if (parts == null) return "";
        StringBuilder text = new StringBuilder();
        for (ObjectNode part : parts) {
            String t = new Fields(part, f.prefix() + field + "[].").string("text");
            if (t != null) text.append(t);
        }
        return text.toString();
    }

    /** A string or an array of content parts: text parts are joined, image parts become base64 images. */
    private static String content(Fields f, String field, String where, List<String> images) {
        JsonNode raw = f.raw(field);
        if (raw == null) return "";
        if (raw.isTextual()) return raw.textValue();
        if (!raw.isArray()) throw f.wrong(field, "a string or an array of content parts", raw);
        StringBuilder text = new StringBuilder();
        for (JsonNode part : raw) {
            if (!(part instanceof ObjectNode p)) throw f.wrong(field, "an array of content parts", part);
            Fields pf = new Fields(p, where + "." + field + "[].");
            String type = pf.requiredString("type");
            switch (type) {
                case "input_text", "output_text" -> text.append(pf.requiredString("text"));
                case "refusal" -> text.append(pf.requiredString("refusal"));
                case "input_image" -> images.add(image(pf, where));
                default -> throw ApiException.badField("input", where + ": unsupported content part type \"" + type
                        + "\" (expected input_text, output_text, refusal or input_image)");
            }
        }
        return text.toString();
    }

    private static String image(Fields part, String where) {
        String url = part.string("image_url");
        if (url == null) {
            throw ApiException.badField("input", where + ": input_image needs an image_url (a base64 data URL); file_id is not supported");
        }
        return OpenAiRequests.imageData(url, "input", where);
    }

    private String takeThinking() {
        String t = thinking;
        thinking = null;
        return t;
    }
}
