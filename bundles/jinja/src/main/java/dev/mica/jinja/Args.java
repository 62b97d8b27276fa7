package dev.mica.jinja;

import java.util.List;
import java.util.Map;

/**
 * Arguments of a builtin call, bound Python-style: parameter {@code i} comes from the i-th positional argument or the
 * keyword of the same name.
 */
record Args(String function, List<Object> positional, Map<String, Object> keywords) {

    boolean has(int index, String name) {
        return index < positional.size() || keywords.containsKey(name);
    }

    Object get(int index, String name, Object fallback) {
        if (index < positional.size()) {
            return positional.get(index);
        }
        return keywords.containsKey(name) ? keywords.get(name) : fallback;
    }

    Object required(int index, String name) {
        if (!has(index, name)) {
            throw TemplateException.runtime(function + "() missing required argument '" + name + "'");
        }
        return get(index, name, null);
    }

    String string(int index, String name, String fallback) {
        Object v = get(index, name, fallback);
        if (v == null || v instanceof PyValues.Undefined) {
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw TemplateException.runtime(function + "() argument '" + name + "' must be str, not "
                    + PyValues.typeName(v));
        }
        return s;
    }

    long integer(int index, String name, long fallback) {
        Object v = get(index, name, fallback);
        if (v == null || v instanceof PyValues.Undefined) {
            return fallback;
        }
        if (!PyValues.isIntegral(v)) {
            throw TemplateException.runtime(function + "() argument '" + name + "' must be int, not "
                    + PyValues.typeName(v));
        }
        return PyValues.toLong(v);
    }

    boolean bool(int index, String name, boolean fallback) {
        return PyValues.truthy(get(index, name, fallback));
    }

    /** Positional arguments from {@code index} on, e.g. the test arguments of {@code select('equalto', 3)}. */
    List<Object> rest(int index) {
        return index < positional.size() ? positional.subList(index, positional.size()) : List.of();
    }
}
