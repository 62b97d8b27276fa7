package dev.mica.http;

import dev.mica.api.cache.PrefixCache;
import dev.mica.api.inference.Inference;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The HTTP front end as a Declarative Services component: it starts once an {@link Inference}
 * service exists and stops (freeing the port) when that service or this bundle goes away.
 *
 * <p>Once bound it registers a {@link URI} service with the property {@value #URL_PROPERTY}
 * ({@code http://127.0.0.1:PORT}) and {@value #PORT_PROPERTY} (an Integer). A JDK type, so an
 * embedding application or a kernel test finds the address without any class of this bundle:
 * {@code context.getServiceReferences(URI.class, "(mica.http.url=*)")}. This matters with
 * {@code mica.host=127.0.0.1:0}, where the port is only known after binding.
 */
@Component(immediate = true, service = {})
public final class HttpComponent {
    public static final String URL_PROPERTY = "mica.http.url";
    public static final String PORT_PROPERTY = "mica.http.port";
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final MicaHttpServer server;
    private final ServiceRegistration<URI> registration;
    /** The prefix cache bundle's service, for its experiment report; it may come and go. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PrefixCache prefixCache;

    @Activate
    public HttpComponent(@Reference Inference inference, BundleContext context) {
        String version = context.getBundle().getHeaders().get("Mica-Version");
        if (version == null) version = displayVersion(context.getBundle().getVersion());
        HttpSettings settings = HttpSettings.from(context::getProperty, version);
        this.server = new MicaHttpServer(settings, inference, () -> OsgiBundles.of(context), () -> prefixCache);
        URI uri;
        try {
            uri = server.start();
        } catch (RuntimeException e) {
            // SCR would log this deep in a stack trace; say plainly what failed and where.
            LOG.log(Level.ERROR, "mica cannot listen on {0}:{1}: {2}",
                    settings.bindHost() == null ? "*" : settings.bindHost(), String.valueOf(settings.port()), e.getMessage());
            throw e;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(URL_PROPERTY, uri.toString());
        props.put(PORT_PROPERTY, uri.getPort());
        props.put("service.description", "mica HTTP API (Ollama, OpenAI, Anthropic)");
        ServiceRegistration<URI> reg;
        try {
            reg = context.registerService(URI.class, uri, props);
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
        this.registration = reg;
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            LOG.log(Level.DEBUG, "URI service was already unregistered");
        }
        server.stop();
    }

    /** 1.2.3.qualifier -> 1.2.3-qualifier: clients compare Ollama versions as semver. */
    static String displayVersion(Version v) {
        String base = v.getMajor() + "." + v.getMinor() + "." + v.getMicro();
        return v.getQualifier().isEmpty() ? base : base + "-" + v.getQualifier();
    }
}
