package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A parameter's definition is what reads it: its default, its bounds (open or closed), its choices. */
class MethodParameterTest {

    private final List<String> problems = new ArrayList<>();

    @Test
    void aFractionTakesItsDefaultAndRefusesItsOpenLowerBoundButNotItsClosedUpperOne() {
        MethodParameter share = MethodParameter.fraction("share", 0.25, "a share", null);

        assertThat(share.readNumber(Map.of(), problems)).isEqualTo(0.25);
        assertThat(share.readNumber(Map.of("share", 1), problems)).isEqualTo(1.0);
        assertThat(share.readNumber(Map.of("share", "0.5"), problems)).isEqualTo(0.5);
        assertThat(problems).isEmpty();

        assertThat(share.readNumber(Map.of("share", 0), problems)).isNaN();
        assertThat(share.readNumber(Map.of("share", "NaN"), problems)).isNaN();
        assertThat(problems).containsExactly("share must be a number in (0, 1], got 0",
                "share must be a number in (0, 1], got NaN");
    }

    @Test
    void bothBoundsOpenAreSaidSo() {
        MethodParameter cut = MethodParameter.number("cut", 0.2, 0.0, 1.0, "a cut-off", null).aboveMinimum()
                .belowMaximum();

        cut.readNumber(Map.of("cut", 1.0), problems);

        assertThat(problems).containsExactly("cut must be a number in (0, 1), got 1.0");
    }

    @Test
    void anIntegerIsWholeAndWithinItsBounds() {
        MethodParameter steps = MethodParameter.integer("steps", 300L, 0, 1000L, "steps", null);
        MethodParameter rank = MethodParameter.integer("rank", null, 1, null, "a rank", null);

        assertThat(steps.readInt(Map.of(), problems)).isEqualTo(300);
        assertThat(steps.readInt(Map.of("steps", 0), problems)).isZero();
        assertThat(rank.readInt(Map.of(), problems)).isEqualTo(-1);
        assertThat(rank.readLong(Map.of("rank", 5_000_000_000L), problems)).isEqualTo(5_000_000_000L);
        assertThat(problems).isEmpty();

        steps.readInt(Map.of("steps", 1001), problems);
        rank.readInt(Map.of("rank", 2.5), problems);
        rank.readInt(Map.of("rank", 0), problems);
        rank.readInt(Map.of("rank", 5_000_000_000L), problems);

        assertThat(problems).containsExactly("steps must be an integer in [0, 1000], got 1001",
                "rank must be an integer ≥ 1, got 2.5", "rank must be an integer ≥ 1, got 0",
                "rank must be an integer in [1, 2147483647], got 5000000000");
    }

    @Test
    void aChoiceIsMatchedWithoutRegardToCaseAndGivenBackAsListed() {
        MethodParameter form = MethodParameter.choice("form", "auto", List.of("auto", "channels"), "a form", null);

        assertThat(form.readChoice(Map.of(), problems)).isEqualTo("auto");
        assertThat(form.readChoice(Map.of("form", " Channels "), problems)).isEqualTo("channels");
        assertThat(problems).isEmpty();

        assertThat(form.readChoice(Map.of("form", 3), problems)).isEqualTo("auto");
        assertThat(problems).containsExactly("form must be one of [auto, channels], got 3");
    }

    @Test
    void aDefaultOutsideItsChoicesIsAMistakeInTheDefinition() {
        assertThatThrownBy(() -> MethodParameter.choice("form", "diagonal", List.of("auto"), "a form", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("diagonal");
    }

    @Test
    void aParameterIsReadAsTheTypeItIsDefinedAs() {
        MethodParameter flag = MethodParameter.bool("flag", true, "a flag", null);

        assertThat(flag.readBoolean(Map.of(), problems)).isTrue();
        assertThat(flag.readBoolean(Map.of("flag", "false"), problems)).isFalse();
        assertThatThrownBy(() -> flag.readNumber(Map.of("flag", 1), problems))
                .isInstanceOf(IllegalStateException.class);
    }
}
