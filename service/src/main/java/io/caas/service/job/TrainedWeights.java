package io.caas.service.job;

import io.caas.engine.train.EmbeddingUpdates;
import io.caas.engine.train.TrainableGroup;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A job budget's {@code train} and {@code embeddingUpdates}: the names they may hold, and the engine's values they
 * stand for.
 */
final class TrainedWeights {

    private TrainedWeights() {
    }

    /** What is wrong with a budget's {@code train} and {@code embeddingUpdates}; empty when absent or fine. */
    static List<String> problems(JobRequest.Budget budget) {
        List<String> problems = problems(budget.train());
        String updates = budget.embeddingUpdates();
        if (updates != null) {
            Optional<EmbeddingUpdates> known = EmbeddingUpdates.ofWireName(updates);
            if (known.isEmpty()) {
                problems.add("budget.embeddingUpdates: unknown '" + updates + "', known: "
                        + EmbeddingUpdates.wireNames());
            } else if (known.get() == EmbeddingUpdates.SPARSE && problems.isEmpty()
                    && !groupsOrDefault(budget.train()).contains(TrainableGroup.EMBEDDINGS)) {
                problems.add("budget.embeddingUpdates: sparse updates apply to trained embedding tables, and "
                        + "budget.train leaves them out; add embeddings to budget.train");
            }
        }
        return problems;
    }

    /** What is wrong with a budget's {@code train} list; empty when it is absent or fine. */
    private static List<String> problems(List<String> train) {
        List<String> problems = new ArrayList<>();
        if (train == null) {
            return problems;
        }
        if (train.isEmpty()) {
            problems.add("budget.train: name at least one of " + TrainableGroup.wireNames()
                    + ", or leave it out for the default (compressed, other)");
        }
        for (String name : train) {
            if (name == null || TrainableGroup.ofWireName(name).isEmpty()) {
                problems.add("budget.train: unknown kind of weights '" + name + "', known: "
                        + TrainableGroup.wireNames());
            }
        }
        return problems;
    }

    /** The engine's embedding updates a checked budget names; null (its default, dense) when it names none. */
    static EmbeddingUpdates embeddingUpdates(String name) {
        return name == null ? null : EmbeddingUpdates.ofWireName(name).orElseThrow();
    }

    private static Set<TrainableGroup> groupsOrDefault(List<String> train) {
        Set<TrainableGroup> groups = groups(train);
        return groups == null ? TrainableGroup.DEFAULT : groups;
    }

    /** The groups a checked list names; null (the engine's default) when the budget has none. */
    static Set<TrainableGroup> groups(List<String> train) {
        if (train == null) {
            return null;
        }
        Set<TrainableGroup> groups = EnumSet.noneOf(TrainableGroup.class);
        train.forEach(n -> groups.add(TrainableGroup.ofWireName(n).orElseThrow()));
        return groups;
    }
}
