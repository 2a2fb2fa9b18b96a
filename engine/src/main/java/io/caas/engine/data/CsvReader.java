package io.caas.engine.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Numeric features then an integer label in the last column; a first row that is not numeric is a header. */
final class CsvReader {

    private CsvReader() {
    }

    static Dataset read(InputStream in, String name, DatasetLimits limits) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        String delimiter = null;
        int columns = -1;
        float[] features = new float[1024];
        int[] labels = new int[64];
        int rows = 0;
        long lineNo = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (delimiter == null) {
                delimiter = line.contains(",") ? "," : line.contains(";") ? ";" : line.contains("\t") ? "\t" : "\\s+";
            }
            String[] fields = line.split(delimiter, -1);
            if (columns < 0) {
                if (fields.length < 2) {
                    throw new DatasetFormatException(name + ": a row needs at least one feature and a label");
                }
                columns = fields.length;
                if (!isNumber(fields[0].strip()) || !isNumber(fields[fields.length - 1].strip())) {
                    continue; // header
                }
            }
            if (fields.length != columns) {
                throw new DatasetFormatException(name + " line " + lineNo + " has " + fields.length
                        + " columns, expected " + columns);
            }
            long needed = (long) (rows + 1) * (columns - 1);
            limits.checkFloats(needed, name);
            if (needed > features.length) {
                features = Arrays.copyOf(features, (int) Math.min(DatasetLimits.MAX_FLOATS, Math.max(needed, 2L * features.length)));
            }
            if (rows == labels.length) {
                labels = Arrays.copyOf(labels, labels.length * 2);
            }
            int base = rows * (columns - 1);
            for (int c = 0; c < columns - 1; c++) {
                features[base + c] = parse(fields[c], name, lineNo, c + 1);
            }
            float label = parse(fields[columns - 1], name, lineNo, columns);
            if (label < 0 || label != Math.rint(label) || label > 1_000_000) {
                throw new DatasetFormatException(name + " line " + lineNo + ": label '" + fields[columns - 1].strip()
                        + "' is not a class index 0, 1, 2...");
            }
            labels[rows++] = (int) label;
        }
        if (rows == 0) {
            throw new DatasetFormatException(name + " has no data rows");
        }
        int[] y = Arrays.copyOf(labels, rows);
        return new Dataset(name, new long[] {columns - 1}, Arrays.copyOf(features, rows * (columns - 1)), y,
                Arrays.stream(y).max().orElse(-1) + 1);
    }

    private static boolean isNumber(String s) {
        try {
            Float.parseFloat(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static float parse(String field, String name, long line, int column) {
        String s = field.strip();
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        try {
            float v = Float.parseFloat(s);
            if (!Float.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new DatasetFormatException(name + " line " + line + " column " + column + ": '" + field
                    + "' is not a finite number");
        }
    }
}
