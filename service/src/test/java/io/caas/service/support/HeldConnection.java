package io.caas.service.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, held open as long as the test likes: a body that stalls halfway, hundreds of open
 * event streams without a client thread each, a response read before the body it answers has been sent; and
 * requests no client library would send.
 */
public final class HeldConnection implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Socket socket;

    private HeldConnection(Socket socket) {
        this.socket = socket;
    }

    public static HeldConnection connect(int port) {
        return connect(port, "127.0.0.1");
    }

    /**
     * @param from the local address to connect from: any of 127.0.0.0/8 reaches the loopback service, so a test
     *             can be a client at another address than every other test
     */
    public static HeldConnection connect(int port, String from) {
        try {
            Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(from), 0);
            s.setSoTimeout(30_000);
            return new HeldConnection(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a request head: {@code method path}, then the headers, then the blank line. */
    public HeldConnection head(String method, String path, Map<String, String> headers) {
        StringBuilder h = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        return write(h.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    }

    public HeldConnection write(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes, answering false instead of throwing when the server has closed the connection. */
    public boolean tryWrite(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * One request as given, for what a well-behaved client library will not send (malformed URIs, raw bytes in
     * headers, a body that stops short of its Content-Length): the head (request line and headers, CRLF-separated,
     * without the blank line), the body, and the whole answer.
     */
    public static Response exchange(int port, byte[] head, byte[] body) {
        try (HeldConnection c = connect(port)) {
            c.write(head).write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)).write(body);
            c.socket.shutdownOutput();
            return c.read(Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Response exchange(int port, String head, byte[] body) {
        return exchange(port, head.getBytes(StandardCharsets.ISO_8859_1), body);
    }

    /** Sends the head and the first part of a body, then resets the connection, as a killed client does. */
    public static void sendAndReset(int port, String head, byte[] partialBody) {
        try (HeldConnection c = connect(port)) {
            c.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)).write(partialBody);
            c.socket.setSoLinger(true, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The status line and headers only: for a stream that does not end. */
    public Response readHead(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            InputStream in = socket.getInputStream();
            String status = line(in);
            if (status == null) {
                throw new IOException("connection closed before a response");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
            return new Response(Integer.parseInt(status.split(" ")[1]), headers, new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A whole response: head, then a body of Content-Length or in chunks. */
    public Response read(Duration timeout) {
        Response head = readHead(timeout);
        try {
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if ("chunked".equalsIgnoreCase(head.header("Transfer-Encoding"))) {
                for (int size = Integer.parseInt(line(in).trim(), 16); size > 0;
                     size = Integer.parseInt(line(in).trim(), 16)) {
                    body.write(in.readNBytes(size));
                    line(in);
                }
                line(in);
            } else if (head.header("Content-Length") != null) {
                body.write(in.readNBytes(Integer.parseInt(head.header("Content-Length"))));
            }
            return new Response(head.status(), head.headers(), body.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the server closes the connection within {@code timeout} (reading and dropping what it sends). */
    public boolean closedByServerWithin(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (in.read(buffer) == -1) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return c == -1 && b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all that was asked
        }
    }
}
