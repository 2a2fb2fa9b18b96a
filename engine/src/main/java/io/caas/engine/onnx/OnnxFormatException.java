package io.caas.engine.onnx;

/** The bytes are not a usable ONNX model: not a protobuf, no graph, inconsistent tensors, refused features. */
public class OnnxFormatException extends RuntimeException {

    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
