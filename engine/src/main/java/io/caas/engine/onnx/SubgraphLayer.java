package io.caas.engine.onnx;

/**
 * A layer inside a subgraph: an If branch, a Loop or Scan body, at any depth.
 *
 * @param subgraph the subgraph's path from the main graph, each step the control-flow node and its graph attribute
 *                 ({@code /If[then_branch]}, {@code /Loop[body]/If[else_branch]})
 * @param layer    the layer, its node named by the whole path ({@code /If[then_branch]/conv/Conv}), its weight
 *                 wherever it is held (the subgraph itself or an outer scope)
 */
public record SubgraphLayer(String subgraph, WeightedLayer layer) {
}
