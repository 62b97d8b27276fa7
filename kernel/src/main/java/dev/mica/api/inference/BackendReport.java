package dev.mica.api.inference;

import dev.mica.api.backend.DeviceInfo;
import java.util.List;

/** A backend as a status page shows it. */
public record BackendReport(String id, boolean available, String detail, List<DeviceInfo> devices, List<String> loadedModels) {}
