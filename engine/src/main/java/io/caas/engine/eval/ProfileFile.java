package io.caas.engine.eval;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON file ONNX Runtime's profiler writes (Chrome trace format): one "Session" event "model_run" per call of
 * the session and one "Node" event per node and call, "dur" in microseconds, the operator in "args.op_name". Read
 * with a streaming reader, since a long profile of a large model is megabytes of events of which a few fields count.
 */
final class ProfileFile {

    private record Event(String cat, String name, long ts, long dur, String opType) {
    }

    private record NodeEvent(String node, String opType, long ts, long dur) {
    }

    /** Start and end of each call, in call order. */
    private final List<long[]> calls;
    private final List<NodeEvent> nodes;

    private ProfileFile(List<long[]> calls, List<NodeEvent> nodes) {
        this.calls = calls;
        this.nodes = nodes;
    }

    static ProfileFile read(Path file) {
        List<long[]> calls = new ArrayList<>();
        List<NodeEvent> nodes = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); JsonReader json = new JsonReader(r)) {
            json.beginArray();
            while (json.hasNext()) {
                Event e = event(json);
                if ("Session".equals(e.cat()) && "model_run".equals(e.name())) {
                    calls.add(new long[] {e.ts(), e.ts() + e.dur()});
                } else if ("Node".equals(e.cat()) && e.name() != null) {
                    nodes.add(new NodeEvent(nodeName(e.name()), e.opType() == null ? "?" : e.opType(), e.ts(), e.dur()));
                }
            }
            json.endArray();
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new EvaluationException("cannot read ONNX Runtime's profile " + file.getFileName() + ": "
                    + e.getMessage(), e);
        }
        calls.sort(Comparator.comparingLong(c -> c[0]));
        return new ProfileFile(calls, nodes);
    }

    int calls() {
        return calls.size();
    }

    /**
     * The node times of calls [from, to), which make {@code runs} measured runs (a model fixed to batch 1 runs a
     * batch as several calls). Each node's figure is its median over the runs, so that one run the machine
     * interrupted does not make a cheap node look expensive.
     */
    NodeProfile profile(int from, int to, int runs, int batchSize) {
        int callsPerRun = (to - from) / runs;
        double[] runTimes = new double[runs];
        for (int c = from; c < to; c++) {
            runTimes[(c - from) / callsPerRun] += calls.get(c)[1] - calls.get(c)[0];
        }
        Map<String, double[]> perRun = new LinkedHashMap<>();
        Map<String, String> opTypes = new LinkedHashMap<>();
        for (NodeEvent e : nodes) {
            int call = callAt(e.ts());
            if (call >= from && call < to) {
                perRun.computeIfAbsent(e.node(), k -> new double[runs])[(call - from) / callsPerRun] += e.dur();
                opTypes.putIfAbsent(e.node(), e.opType());
            }
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        perRun.forEach((node, times) -> medians.put(node, median(times)));
        double total = medians.values().stream().mapToDouble(Double::doubleValue).sum();
        List<NodeTime> all = medians.entrySet().stream()
                .map(e -> new NodeTime(e.getKey(), opTypes.get(e.getKey()), e.getValue(), share(e.getValue(), total)))
                .sorted(Comparator.comparingDouble(NodeTime::micros).reversed()).toList();
        List<NodeTime> top = all.subList(0, Math.min(NodeProfile.TOP_NODES, all.size()));
        double otherMicros = all.subList(top.size(), all.size()).stream().mapToDouble(NodeTime::micros).sum();
        Map<String, OperatorTime> byOperator = new LinkedHashMap<>();
        for (NodeTime n : all) {
            byOperator.merge(n.opType(), new OperatorTime(n.opType(), 1, n.micros(), 0),
                    (a, b) -> new OperatorTime(a.opType(), a.nodes() + 1, a.micros() + b.micros(), 0));
        }
        List<OperatorTime> operators = byOperator.values().stream()
                .map(o -> new OperatorTime(o.opType(), o.nodes(), o.micros(), share(o.micros(), total)))
                .sorted(Comparator.comparingDouble(OperatorTime::micros).reversed()).toList();
        return new NodeProfile(batchSize, runs, median(runTimes), total, List.copyOf(top), all.size() - top.size(),
                otherMicros, operators);
    }

    /** The call whose time span holds this instant; -1 for none. */
    private int callAt(long ts) {
        int lo = 0;
        int hi = calls.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (calls.get(mid)[1] < ts) {
                lo = mid + 1;
            } else if (calls.get(mid)[0] > ts) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return Evaluator.percentile(sorted, 0.50);
    }

    private static double share(double micros, double total) {
        return total == 0 ? 0 : micros / total;
    }

    /** "conv_0_kernel_time" is conv_0's kernel; older versions also wrote "_fence_before"/"_fence_after" events. */
    private static String nodeName(String event) {
        for (String suffix : new String[] {"_kernel_time", "_fence_before", "_fence_after"}) {
            if (event.endsWith(suffix)) {
                return event.substring(0, event.length() - suffix.length());
            }
        }
        return event;
    }

    private static Event event(JsonReader json) throws IOException {
        String cat = null;
        String name = null;
        String op = null;
        long ts = 0;
        long dur = 0;
        json.beginObject();
        while (json.hasNext()) {
            switch (json.nextName()) {
                case "cat" -> cat = json.nextString();
                case "name" -> name = json.nextString();
                case "ts" -> ts = json.nextLong();
                case "dur" -> dur = json.nextLong();
                case "args" -> op = opName(json);
                default -> json.skipValue();
            }
        }
        json.endObject();
        return new Event(cat, name, ts, dur, op);
    }

    private static String opName(JsonReader json) throws IOException {
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            json.skipValue();
            return null;
        }
        String op = null;
        json.beginObject();
        while (json.hasNext()) {
            if (json.nextName().equals("op_name")) {
                op = json.nextString();
            } else {
                json.skipValue();
            }
        }
        json.endObject();
        return op;
    }
}
