package io.caas.service.upload;

import java.nio.charset.StandardCharsets;

/**
 * File names clients send (multipart filename, {@code ?filename=}) and send back in {@code Content-Disposition}.
 * A name is only a label here (objects are stored under ids), but it is echoed in headers and pages, so it is cut
 * to its last path segment, stripped of control and formatting characters (CR/LF would split a header; a
 * right-to-left override would disguise an extension) and bounded in length.
 */
public final class FileNames {

    /** Longest name kept, in characters. */
    public static final int MAX_LENGTH = 255;

    private FileNames() {
    }

    /** The name as the service keeps it, or null when nothing usable is left. */
    public static String sanitize(String raw) {
        if (raw == null) {
            return null;
        }
        String last = raw.substring(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1);
        StringBuilder kept = new StringBuilder(last.length());
        last.codePoints().filter(FileNames::printable).forEach(kept::appendCodePoint);
        String name = kept.toString().strip();
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            return null;
        }
        return name.length() <= MAX_LENGTH ? name
                : name.substring(0, name.offsetByCodePoints(0, name.codePointCount(0, MAX_LENGTH)));
    }

    private static boolean printable(int c) {
        int type = Character.getType(c);
        return !Character.isISOControl(c) && type != Character.FORMAT && type != Character.LINE_SEPARATOR
                && type != Character.PARAGRAPH_SEPARATOR && type != Character.SURROGATE
                && type != Character.UNASSIGNED && type != Character.PRIVATE_USE;
    }

    /**
     * {@code attachment} with the name as RFC 6266 asks: an ASCII {@code filename} for old clients and the exact
     * name as UTF-8 in {@code filename*} (RFC 8187). Spring's builder puts RFC 2047 words in {@code filename},
     * which RFC 6266 forbids, and passes CR/LF through.
     */
    public static String attachment(String name) {
        String safe = sanitize(name);
        if (safe == null) {
            safe = "download";
        }
        StringBuilder ascii = new StringBuilder();
        safe.codePoints().forEach(c -> ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char) c : '_'));
        StringBuilder encoded = new StringBuilder();
        for (byte b : safe.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 0x80 || "!#$&+-.^_`|~".indexOf(c) >= 0) {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }
}
