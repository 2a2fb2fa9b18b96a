package io.caas.engine.compress.tensor;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/** A dense row-major matrix in double precision; the small linear algebra of the decompositions goes through EJML. */
record Matrix(int rows, int cols, double[] data) {

    Matrix {
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException(data.length + " values do not make a " + rows + "x" + cols + " matrix");
        }
    }

    static Matrix zeros(int rows, int cols) {
        return new Matrix(rows, cols, new double[rows * cols]);
    }

    double get(int r, int c) {
        return data[r * cols + c];
    }

    void set(int r, int c, double v) {
        data[r * cols + c] = v;
    }

    DMatrixRMaj ejml() {
        return DMatrixRMaj.wrap(rows, cols, data);
    }

    static Matrix of(DMatrixRMaj m) {
        return new Matrix(m.numRows, m.numCols, m.data);
    }

    Matrix times(Matrix other) {
        DMatrixRMaj out = new DMatrixRMaj(rows, other.cols);
        CommonOps_DDRM.mult(ejml(), other.ejml(), out);
        return of(out);
    }

    /** thisᵀ · other. */
    Matrix transposeTimes(Matrix other) {
        DMatrixRMaj out = new DMatrixRMaj(cols, other.cols);
        CommonOps_DDRM.multTransA(ejml(), other.ejml(), out);
        return of(out);
    }

    Matrix transpose() {
        return of(CommonOps_DDRM.transpose(ejml(), null));
    }

    /** The first k columns. */
    Matrix leftColumns(int k) {
        Matrix out = zeros(rows, k);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, r * cols, out.data, r * k, k);
        }
        return out;
    }

    /** The same values read as a matrix of another shape (row-major order kept). */
    Matrix reshape(int newRows, int newCols) {
        return new Matrix(newRows, newCols, data);
    }

    /**
     * Reads this n1 × (n2·s) matrix, entry [x][y·s + t], as a 3-way array (x, y, t) and returns it as n2 × (n1·s)
     * with entry [y][x·s + t]: the unfolding along the other leading mode.
     */
    Matrix swapLeadingModes(int n2, int s) {
        int n1 = rows;
        if (cols != n2 * s) {
            throw new IllegalArgumentException(cols + " columns are not " + n2 + "x" + s);
        }
        Matrix out = zeros(n2, n1 * s);
        for (int x = 0; x < n1; x++) {
            for (int y = 0; y < n2; y++) {
                System.arraycopy(data, x * cols + y * s, out.data, y * n1 * s + x * s, s);
            }
        }
        return out;
    }
}
