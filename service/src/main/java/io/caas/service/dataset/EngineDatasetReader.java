package io.caas.service.dataset;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetFormat;
import io.caas.engine.data.DatasetFormatException;
import io.caas.engine.data.DatasetLimits;
import io.caas.engine.data.DatasetLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.springframework.stereotype.Component;

/** Reads datasets with the engine's loaders, which refuse zip slips, bombs and lying headers. */
@Component
class EngineDatasetReader implements DatasetReader {

    private final DatasetLimits limits = DatasetLimits.defaults();

    @Override
    public DatasetInfo inspect(Path file, String filename, String format) {
        DatasetFormat resolved = format != null ? parse(format) : detect(file);
        Dataset d = read(file, resolved);
        return new DatasetInfo(wire(resolved), d.size(), Arrays.stream(d.sampleShape()).boxed().toList(),
                d.inputs().stream().map(i -> new DatasetRecord.DatasetInputShape(i.name(),
                        Arrays.stream(i.sampleShape()).boxed().toList())).toList(),
                d.classes(), d.labelled());
    }

    @Override
    public Dataset load(Path file, String format) {
        return read(file, parse(format));
    }

    private Dataset read(Path file, DatasetFormat format) {
        try {
            return DatasetLoader.load(file, format, limits);
        } catch (DatasetFormatException e) {
            throw new InvalidDatasetException(e.getMessage(), e);
        }
    }

    private DatasetFormat detect(Path file) {
        try {
            return DatasetLoader.detect(file);
        } catch (DatasetFormatException e) {
            throw new InvalidDatasetException(e.getMessage(), e);
        }
    }

    static String wire(DatasetFormat format) {
        return format.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static DatasetFormat parse(String format) {
        for (DatasetFormat f : DatasetFormat.values()) {
            if (wire(f).equals(format.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new InvalidDatasetException("unknown dataset format '" + format + "'; use one of idx, csv, npz, image-zip");
    }
}
