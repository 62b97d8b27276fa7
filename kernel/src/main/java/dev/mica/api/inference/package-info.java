/**
 * The inference contract: all a front end (HTTP server, CLI, an embedding application) needs.
 * Requests and streamed events are plain records; nothing of a backend crosses it.
 */
@Export
@Version("1.4.0")
package dev.mica.api.inference;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
