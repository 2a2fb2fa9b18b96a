package io.caas.engine.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reads and writes ONNX model files. Reading validates what the rest of the engine relies on, so that a hostile or
 * broken file fails here with a message a user can act on, not later with an exception deep in a method.
 */
public final class OnnxModels {

    /** protobuf caps a single message at 2 GiB; ONNX files above that need external data, which is refused. */
    private static final int MAX_MODEL_BYTES = Integer.MAX_VALUE;
    /** Nested subgraphs (If/Loop bodies) recurse; deeper than this is not a real model. */
    private static final int MAX_RECURSION = 64;

    private OnnxModels() {
    }

    public static ModelProto read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        } catch (IOException e) {
            throw new OnnxFormatException("cannot read model file: " + e.getMessage(), e);
        }
    }

    public static ModelProto read(InputStream in) {
        ModelProto model;
        try {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(MAX_MODEL_BYTES);
            coded.setRecursionLimit(MAX_RECURSION);
            model = ModelProto.parseFrom(coded);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException("not an ONNX model (protobuf parse failed: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new OnnxFormatException("cannot read model: " + e.getMessage(), e);
        }
        validate(model);
        return model;
    }

    public static ModelProto parse(byte[] bytes) {
        try {
            ModelProto model = ModelProto.parseFrom(bytes);
            validate(model);
            return model;
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException("not an ONNX model (protobuf parse failed: " + e.getMessage() + ")", e);
        }
    }

    /** Writes atomically: a reader never sees a half-written model. */
    public static void write(ModelProto model, Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(tmp)) {
                model.writeTo(out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is the one worth reporting
            }
            throw new OnnxFormatException("cannot write model: " + e.getMessage(), e);
        }
    }

    static void validate(ModelProto model) {
        if (!model.hasGraph()) {
            throw new OnnxFormatException("not an ONNX model: it has no graph");
        }
        if (model.getIrVersion() <= 0) {
            throw new OnnxFormatException("not an ONNX model: ir_version is missing");
        }
        if (model.getOpsetImportCount() == 0) {
            throw new OnnxFormatException("not an ONNX model: it imports no operator set");
        }
        validateGraph(model.getGraph());
    }

    private static void validateGraph(GraphProto graph) {
        if (graph.getNodeCount() == 0) {
            throw new OnnxFormatException("the graph '" + graph.getName() + "' has no nodes");
        }
        for (TensorProto t : graph.getInitializerList()) {
            validateTensor(t, "initializer '" + t.getName() + "'");
        }
        for (NodeProto node : graph.getNodeList()) {
            if (node.getOpType().isEmpty()) {
                throw new OnnxFormatException("node '" + node.getName() + "' has no op_type");
            }
            for (AttributeProto attr : node.getAttributeList()) {
                if (attr.hasT()) {
                    validateTensor(attr.getT(), "tensor attribute '" + attr.getName() + "' of node '" + node.getName() + "'");
                }
                if (attr.hasG()) {
                    validateGraph(attr.getG());
                }
                for (GraphProto g : attr.getGraphsList()) {
                    validateGraph(g);
                }
            }
        }
    }

    private static void validateTensor(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            // External data names a file path; following it could read anything on the server.
            throw new OnnxFormatException(what + " uses external data, which is not accepted: "
                    + "save the model with all tensors inside the file");
        }
        long elements = 1;
        for (long d : t.getDimsList()) {
            if (d < 0) {
                throw new OnnxFormatException(what + " has a negative dimension " + d);
            }
            elements = Math.multiplyExact(elements, Math.max(d, 0));
        }
        long stored = Tensors.storedElementCount(t);
        if (stored >= 0 && stored != elements) {
            throw new OnnxFormatException(what + " declares " + elements + " elements (dims " + t.getDimsList()
                    + ") but holds " + stored);
        }
    }
}
