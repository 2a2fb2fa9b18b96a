package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.caas.engine.TestData;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the ONNX conformance cases (ONNX 1.12 test data) whose operators are all supported and whose inputs and
 * outputs are tensors. The checked-in expected-pass list keeps the suite from silently shrinking.
 */
class ConformanceTest {

    private static final String[] SUITES = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    private static final double RTOL = 1e-3;
    private static final double ATOL = 1e-5;

    record Outcome(String name, Set<String> ops, String failure) {
    }

    @Test
    void supportedCasesMatchReferenceOutputs() throws IOException {
        Path data = TestData.require("root/usr/share/libonnx-testdata/data");
        List<Outcome> outcomes = new ArrayList<>();
        int skipped = 0;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE)) {
            for (String suite : SUITES) {
                List<Path> cases;
                try (Stream<Path> s = Files.list(data.resolve(suite))) {
                    cases = s.filter(p -> Files.exists(p.resolve("model.onnx"))).sorted().toList();
                }
                for (Path dir : cases) {
                    ModelProto model;
                    try (InputStream in = Files.newInputStream(dir.resolve("model.onnx"))) {
                        model = ModelProto.parseFrom(in);
                    }
                    if (!eligible(model)) {
                        skipped++;
                        continue;
                    }
                    if (Boolean.getBoolean("caas.conformance.trace")) {
                        System.err.println("case " + suite + "/" + dir.getFileName());
                    }
                    outcomes.add(runCase(suite + "/" + dir.getFileName(), dir, model, manager));
                }
            }
        }
        report(outcomes, skipped);
        Set<String> expectedPass = readList("conformance/expected-pass.txt");
        Set<String> passed = new TreeSet<>();
        Map<String, String> failed = new TreeMap<>();
        for (Outcome o : outcomes) {
            if (o.failure() == null) {
                passed.add(o.name());
            } else {
                failed.put(o.name(), o.failure());
            }
        }
        Set<String> newlyPassing = new TreeSet<>(passed);
        newlyPassing.removeAll(expectedPass);
        if (!newlyPassing.isEmpty()) {
            System.out.println("Newly passing, add to expected-pass.txt:\n  " + String.join("\n  ", newlyPassing));
        }
        Set<String> regressions = new TreeSet<>(expectedPass);
        regressions.removeAll(passed);
        List<String> why = regressions.stream()
                .map(n -> n + ": " + failed.getOrDefault(n, "no longer run (case missing or no longer eligible)"))
                .toList();
        assertThat(why).as("cases listed in expected-pass.txt that did not pass").isEmpty();
        Set<String> expectedFail = readList("conformance/expected-fail.txt");
        Set<String> unexplained = new TreeSet<>(failed.keySet());
        unexplained.removeAll(expectedFail);
        assertThat(unexplained).as("failing cases without a reason in expected-fail.txt").isEmpty();
    }

    /** All nodes, subgraphs' too, in the default domain with a registered operator; graph inputs and outputs tensors. */
    static boolean eligible(ModelProto model) {
        if (!io.caas.engine.onnx.ModelInspector.unsupportedOperators(model.getGraph()).isEmpty()) {
            return false;
        }
        return model.getGraph().getInputList().stream().allMatch(v -> v.getType().hasTensorType())
                && model.getGraph().getOutputList().stream().allMatch(v -> v.getType().hasTensorType());
    }

    private static Outcome runCase(String name, Path dir, ModelProto model, NDManager parent) throws IOException {
        Set<String> ops = new TreeSet<>();
        model.getGraph().getNodeList().forEach(n -> ops.add(n.getOpType()));
        List<Path> sets;
        try (Stream<Path> s = Files.list(dir)) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        }
        try (InterpretedModel interpreted = OnnxInterpreter.load(model, Device.cpu())) {
            for (Path set : sets) {
                try (NDManager m = parent.newSubManager()) {
                    NDList inputs = new NDList();
                    for (int k = 0; Files.exists(set.resolve("input_" + k + ".pb")); k++) {
                        inputs.add(read(m, set.resolve("input_" + k + ".pb")));
                    }
                    NDList outputs = interpreted.forward(inputs);
                    for (int k = 0; Files.exists(set.resolve("output_" + k + ".pb")); k++) {
                        NDArray expected = read(m, set.resolve("output_" + k + ".pb"));
                        String diff = Comparison.mismatch(outputs.get(k), expected, RTOL, ATOL);
                        if (diff != null) {
                            return new Outcome(name, ops, set.getFileName() + " output " + k + ": " + diff);
                        }
                    }
                }
            }
            return new Outcome(name, ops, null);
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage()).replace('\n', ' ');
            return new Outcome(name, ops, e.getClass().getSimpleName() + ": "
                    + (msg.length() > 300 ? msg.substring(0, 300) : msg));
        }
    }

    private static NDArray read(NDManager m, Path pb) throws IOException {
        return NDTensors.toNDArray(m, TensorProto.parseFrom(Files.readAllBytes(pb)));
    }

    private static void report(List<Outcome> outcomes, int skipped) throws IOException {
        Map<String, int[]> byOp = new TreeMap<>();
        for (Outcome o : outcomes) {
            for (String op : o.ops()) {
                int[] c = byOp.computeIfAbsent(op, k -> new int[2]);
                c[1]++;
                if (o.failure() == null) {
                    c[0]++;
                }
            }
        }
        long passed = outcomes.stream().filter(o -> o.failure() == null).count();
        StringBuilder sb = new StringBuilder();
        sb.append("Conformance: ").append(passed).append('/').append(outcomes.size())
                .append(" eligible cases passed (").append(skipped).append(" cases use unsupported operators or non-tensor values)\n");
        byOp.forEach((op, c) -> sb.append(String.format("  %-20s %d/%d%n", op + ":", c[0], c[1])));
        sb.append("Failures:\n");
        outcomes.stream().filter(o -> o.failure() != null)
                .forEach(o -> sb.append("  ").append(o.name()).append(": ").append(o.failure()).append('\n'));
        System.out.println(sb);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("conformance-report.txt"), sb.toString(), StandardCharsets.UTF_8);
        }
    }

    /** One case name per line; '#' starts a comment, and in expected-fail the reason follows the name. */
    static Set<String> readList(String resource) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        try (InputStream in = ConformanceTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("missing test resource " + resource);
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                int space = t.indexOf(' ');
                names.add(space < 0 ? t : t.substring(0, space).replaceAll(":$", ""));
            }
        }
        return names;
    }
}
