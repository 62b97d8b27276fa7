/**
 * The prefix cache's extension points: eviction policies are services chosen by name, and they rank
 * a read-only view of cache entries. A third-party policy is one small bundle registering one
 * {@link EvictionPolicy}.
 */
@Export
@Version("1.0.0")
package dev.mica.api.cache;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
