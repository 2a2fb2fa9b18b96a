package io.caas.engine.testing;

import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.io.IOException;
import java.io.InputStream;

/**
 * The small models PyTorch 1.13 exported for issue 15 (scripts/export-recurrent-models.sh), committed under the
 * engine's test resources in pytorch-exports/: the LSTM/GRU classifiers and the torch.jit.script model with a
 * data-dependent if and a loop.
 */
public final class PyTorchExports {

    /** The folder of the exports and of their metadata (pytorch-exports.json). */
    public static final String DIR = "/pytorch-exports/";

    private PyTorchExports() {
    }

    /** An export by name: "lstm-1layer", "gru-2layer-bi", "scripted-branches". */
    public static ModelProto read(String name) throws IOException {
        try (InputStream in = PyTorchExports.class.getResourceAsStream(DIR + name + ".onnx")) {
            if (in == null) {
                throw new IOException("no export " + DIR + name + ".onnx among the test resources");
            }
            return OnnxModels.read(in);
        }
    }
}
