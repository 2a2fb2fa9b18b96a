package io.caas.engine.compress;

import io.caas.engine.compress.bilinear.BilinearMethod;
import io.caas.engine.compress.ldr.LdrMethod;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.compress.svd.TruncatedSvdMethod;
import io.caas.engine.compress.tied.TiedMethod;
import io.caas.engine.compress.tensor.TensorMethod;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The compression methods the engine offers, by name. Methods are stateless, so one instance each serves all. */
public final class CompressionMethods {

    private static final Map<String, CompressionMethod> METHODS = new LinkedHashMap<>();

    static {
        register(new TruncatedSvdMethod());
        register(new OialrMethod());
        register(TensorMethod.tucker());
        register(TensorMethod.cp());
        register(TensorMethod.tt());
        register(new LdrMethod());
        register(new BilinearMethod());
        register(new TiedMethod());
    }

    private CompressionMethods() {
    }

    private static void register(CompressionMethod method) {
        METHODS.put(method.descriptor().name(), method);
    }

    public static Optional<CompressionMethod> find(String name) {
        return Optional.ofNullable(METHODS.get(name));
    }

    /** @throws IllegalArgumentException naming the methods there are */
    public static CompressionMethod get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown compression method '" + name
                + "'; available: " + String.join(", ", METHODS.keySet())));
    }

    public static Collection<CompressionMethod> all() {
        return METHODS.values();
    }
}
