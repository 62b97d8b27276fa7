package dev.mica.http;

import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;

/**
 * A streamed response, written and flushed event by event. Headers are committed lazily on the
 * first write, so a request that fails before its first event still gets a proper error status
 * instead of a 200 stream that carries an error. Writes go to the servlet stream, not Javalin's
 * (possibly compressing) wrapper, so each flush reaches the socket.
 *
 * <p>A write that fails means the client went away: the caller cancels its generation.
 */
abstract class ResponseStream {
    private final Context ctx;
    private final String contentType;
    private ServletOutputStream out;

    ResponseStream(Context ctx, String contentType) {
        this.ctx = ctx;
        this.contentType = contentType;
    }

    /** Whether anything was sent: past this point errors must travel inside the stream. */
    final boolean committed() {
        return out != null;
    }

    final synchronized void write(byte[] bytes) throws IOException {
        if (out == null) {
            ctx.status(200);
            ctx.res().setContentType(contentType);
            ctx.res().setHeader("Cache-Control", "no-cache");
            // Tell reverse proxies (nginx) not to buffer: tokens must arrive as they are made.
            ctx.res().setHeader("X-Accel-Buffering", "no");
            out = ctx.res().getOutputStream();
        }
        out.write(bytes);
        out.flush();
    }
}
