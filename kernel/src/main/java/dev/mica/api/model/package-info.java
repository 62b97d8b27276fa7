/**
 * The model store contract: names to model files and their settings (template, system prompt,
 * parameters), plus blob upload, pulls from registries, create, copy and delete.
 */
@Export
@Version("1.3.0")
package dev.mica.api.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
