package dev.mica.http;

/**
 * One OSGi bundle as the status page shows it, free of OSGi types so the page can be tested
 * without a framework.
 *
 * @param state lower-case OSGi state: installed, resolved, starting, stopping, active, uninstalled
 */
record BundleReport(long id, String symbolicName, String version, String state, boolean fragment) {
    /**
     * Every mica bundle is started at boot, so a bundle left installed or resolved failed to
     * resolve or to start. Fragments never start and are fine resolved.
     */
    boolean problem() {
        return !fragment && (state.equals("installed") || state.equals("resolved"));
    }
}
