package io.caas.service.job;

import io.caas.engine.train.TrainableGroup;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** A job budget's {@code train}: the names it may hold, and the engine's groups they stand for. */
final class TrainedWeights {

    private TrainedWeights() {
    }

    /** What is wrong with a budget's {@code train} list, for the request's problem; empty when it is absent or fine. */
    static List<String> problems(List<String> train) {
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
