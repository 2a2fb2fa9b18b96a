package io.caas.engine.data;

/** The dataset file formats the engine reads. */
public enum DatasetFormat {
    /** MNIST-family IDX file (raw or gzip); images with their labels file alongside, or a zip holding both. */
    IDX,
    /** Numeric features then an integer label in the last column; optional header row; raw or gzip. */
    CSV,
    /** numpy .npz: a zip of .npy arrays (features and labels). */
    NPZ,
    /** A zip whose top-level folders are class names holding PNG/JPEG images. */
    IMAGE_ZIP
}
