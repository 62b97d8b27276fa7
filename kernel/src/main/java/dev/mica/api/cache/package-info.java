/**
 * The prefix cache: the engine places each prompt through a {@link PrefixCache}'s
 * {@link ContextCache}, which reuses what a context's memory or its snapshots already hold; eviction
 * policies are services chosen by name that rank a read-only view of cache entries. A third-party
 * policy is one small bundle registering one {@link EvictionPolicy}.
 */
@Export
@Version("1.1.0")
package dev.mica.api.cache;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
