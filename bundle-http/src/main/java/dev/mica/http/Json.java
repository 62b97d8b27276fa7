package dev.mica.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The one JSON mapper of the front end and the reading of request bodies. Requests are read as
 * trees, not bound to classes, so every wrong type can be reported with the field's name in each
 * API's own words (see {@link Fields}).
 */
final class Json {
    private final ObjectMapper mapper;
    private final long maxBody;

    /** @param maxBody the largest JSON body accepted, in bytes; larger ones get 413 */
    Json(long maxBody) {
        this.maxBody = maxBody;
        // Base64 images can be long single strings: allow strings as long as the body itself.
        int maxString = (int) Math.min(Integer.MAX_VALUE, Math.max(maxBody, 1));
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(maxString).build())
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .build();
    }

    ObjectMapper mapper() {
        return mapper;
    }

    ObjectNode object() {
        return mapper.createObjectNode();
    }

    ArrayNode array() {
        return mapper.createArrayNode();
    }

    /**
     * Reads the request body as one JSON object, at most {@code maxBody} bytes. The body is read
     * from the servlet stream directly so a body without Content-Length is bounded too.
     */
    ObjectNode readObject(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBody) {
            throw tooLarge();
        }
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = readLimited(in);
        } catch (IOException e) {
            throw ApiException.badRequest("could not read request body: " + e.getMessage());
        }
        if (body.length == 0 || isBlank(body)) {
            throw ApiException.badRequest("missing request body");
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.badRequest("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("invalid JSON: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.badRequest("request body must be a JSON object");
        }
        return object;
    }

    private byte[] readLimited(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            total += n;
            if (total > maxBody) {
                throw tooLarge();
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private ApiException tooLarge() {
        return new ApiException(413, "request body larger than " + maxBody + " bytes (mica.http.max_body)", null);
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') return false;
        }
        return true;
    }

    /** Compact JSON bytes, as one NDJSON line or SSE data field needs. */
    byte[] bytes(JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    String text(JsonNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A parsed JSON object as plain Java maps and lists, as the contract's tool and argument fields want. */
    @SuppressWarnings("unchecked")
    Map<String, Object> toMap(JsonNode node) {
        return mapper.convertValue(node, Map.class);
    }

    JsonNode toTree(Object value) {
        return mapper.valueToTree(value);
    }

    /** Parses a JSON text (OpenAI's tool call arguments arrive as strings). */
    JsonNode parse(String text) throws JsonProcessingException {
        return mapper.readTree(text);
    }
}
