package dev.mica.engine.grammar;

/**
 * Grammar alternatives for the decimal integers within [min, max], digit by digit: a port of
 * llama.cpp's {@code build_min_max_int}. {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE} stand
 * for "no bound"; integers have at most 16 digits (the grammar's {@code integral-part}).
 */
final class IntegerRanges {
    private IntegerRanges() {}

    static void build(long min, long max, StringBuilder out, int decimalsLeft, boolean topLevel) {
        boolean hasMin = min != Long.MIN_VALUE;
        boolean hasMax = max != Long.MAX_VALUE;
        if (hasMin && hasMax) {
            if (min < 0 && max < 0) {
                out.append("\"-\" (");
                build(-max, -min, out, decimalsLeft, true);
                out.append(")");
                return;
            }
            if (min < 0) {
                out.append("\"-\" (");
                build(0, -min, out, decimalsLeft, true);
                out.append(") | ");
                min = 0;
            }
            String minS = Long.toString(min);
            String maxS = Long.toString(max);
            for (int digits = minS.length(); digits < maxS.length(); digits++) {
                uniformRange(minS, "9".repeat(digits), out);
                minS = "1" + "0".repeat(digits);
                out.append(" | ");
            }
            uniformRange(minS, maxS, out);
            return;
        }
        int lessDecimals = Math.max(decimalsLeft - 1, 1);
        if (hasMin) {
            if (min < 0) {
                out.append("\"-\" (");
                build(Long.MIN_VALUE, -min, out, decimalsLeft, false);
                out.append(") | [0] | [1-9] ");
                moreDigits(0, decimalsLeft - 1, out);
            } else if (min == 0) {
                if (topLevel) {
                    out.append("[0] | [1-9] ");
                    moreDigits(0, lessDecimals, out);
                } else {
                    moreDigits(1, decimalsLeft, out);
                }
            } else if (min <= 9) {
                char c = (char) ('0' + min);
                char rangeStart = topLevel ? '1' : '0';
                if (c > rangeStart) {
                    digitRange(rangeStart, (char) (c - 1), out);
                    out.append(' ');
                    moreDigits(1, lessDecimals, out);
                    out.append(" | ");
                }
                digitRange(c, '9', out);
                out.append(' ');
                moreDigits(0, lessDecimals, out);
            } else {
                String minS = Long.toString(min);
                int len = minS.length();
                char c = minS.charAt(0);
                if (c > '1') {
                    digitRange(topLevel ? '1' : '0', (char) (c - 1), out);
                    out.append(' ');
                    moreDigits(len, lessDecimals, out);
                    out.append(" | ");
                }
                digitRange(c, c, out);
                out.append(" (");
                build(Long.parseLong(minS.substring(1)), Long.MAX_VALUE, out, lessDecimals, false);
                out.append(")");
                if (c < '9') {
                    out.append(" | ");
                    digitRange((char) (c + 1), '9', out);
                    out.append(' ');
                    moreDigits(len - 1, lessDecimals, out);
                }
            }
            return;
        }
        if (hasMax) {
            if (max >= 0) {
                if (topLevel) {
                    out.append("\"-\" [1-9] ");
                    moreDigits(0, lessDecimals, out);
                    out.append(" | ");
                }
                build(0, max, out, decimalsLeft, true);
            } else {
                out.append("\"-\" (");
                build(-max, Long.MAX_VALUE, out, decimalsLeft, false);
                out.append(")");
            }
            return;
        }
        throw new IllegalArgumentException("at least one of min and max must be set");
    }

    private static void digitRange(char from, char to, StringBuilder out) {
        out.append('[').append(from);
        if (from != to) out.append('-').append(to);
        out.append(']');
    }

    private static void moreDigits(int minDigits, int maxDigits, StringBuilder out) {
        out.append("[0-9]");
        if (minDigits == maxDigits && minDigits == 1) return;
        out.append('{').append(minDigits);
        if (maxDigits != minDigits) {
            out.append(',');
            if (maxDigits != Integer.MAX_VALUE) out.append(maxDigits);
        }
        out.append('}');
    }

    /** The numbers from {@code from} to {@code to}, both with the same number of digits. */
    private static void uniformRange(String from, String to, StringBuilder out) {
        int i = 0;
        while (i < from.length() && i < to.length() && from.charAt(i) == to.charAt(i)) i++;
        if (i > 0) out.append('"').append(from, 0, i).append('"');
        if (i < from.length() && i < to.length()) {
            if (i > 0) out.append(' ');
            int subLen = from.length() - i - 1;
            if (subLen > 0) {
                String fromSub = from.substring(i + 1);
                String toSub = to.substring(i + 1);
                String zeros = "0".repeat(subLen);
                String nines = "9".repeat(subLen);
                boolean toReached = false;
                out.append('(');
                if (fromSub.equals(zeros)) {
                    digitRange(from.charAt(i), (char) (to.charAt(i) - 1), out);
                    out.append(' ');
                    moreDigits(subLen, subLen, out);
                } else {
                    out.append('[').append(from.charAt(i)).append("] (");
                    uniformRange(fromSub, nines, out);
                    out.append(')');
                    if (from.charAt(i) < to.charAt(i) - 1) {
                        out.append(" | ");
                        if (toSub.equals(nines)) {
                            digitRange((char) (from.charAt(i) + 1), to.charAt(i), out);
                            toReached = true;
                        } else {
                            digitRange((char) (from.charAt(i) + 1), (char) (to.charAt(i) - 1), out);
                        }
                        out.append(' ');
                        moreDigits(subLen, subLen, out);
                    }
                }
                if (!toReached) {
                    out.append(" | ");
                    digitRange(to.charAt(i), to.charAt(i), out);
                    out.append(' ');
                    uniformRange(zeros, toSub, out);
                }
                out.append(')');
            } else {
                out.append('[').append(from.charAt(i)).append('-').append(to.charAt(i)).append(']');
            }
        }
    }
}
