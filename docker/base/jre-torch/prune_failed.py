"""Removes from a C++ source file the top-level definitions that a failed g++ run reported errors in.

    python3 prune_failed.py FILE.cc COMPILER_LOG

Used by build-djl-jni.sh when DJL's JNI sources (written for libtorch 2.7.1) meet a libtorch whose API moved: each
JNI function is a top-level definition, and the JVM binds a native method only when it is first called, so a
library without the functions that no longer compile still serves every other method. The removed text is replaced
by blank lines (line numbers stay valid for the next round's diagnostics). An #include line that fails is commented
out, so that what used it fails next round and is pruned in turn.

Prints one line per removed definition (its first line, shortened) and exits 1 when an error could not be tied to
a top-level definition of FILE (an error inside a header with no "required from here" in FILE, say).
"""
import re
import sys


def items(text):
    """Top-level items as (start, end) offsets; preprocessor lines are items of their own, flagged True."""
    out = []
    i, n = 0, len(text)
    start = None
    depth = 0
    while i < n:
        c = text[i]
        if start is None:
            if c.isspace():
                i += 1
                continue
            if text.startswith("//", i):
                i = text.find("\n", i)
                i = n if i < 0 else i
                continue
            if text.startswith("/*", i):
                j = text.find("*/", i + 2)
                i = n if j < 0 else j + 2
                continue
            if c == "#":
                j = i
                while True:
                    k = text.find("\n", j)
                    if k < 0:
                        k = n
                        break
                    if text[k - 1] == "\\":
                        j = k + 1
                        continue
                    break
                out.append((i, k, True))
                i = k
                continue
            start = i
        # inside an item
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == "R" and i + 1 < n and text[i + 1] == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if m:
                close = ")" + m.group(1) + '"'
                j = text.find(close, i + m.end())
                i = n if j < 0 else j + len(close)
                continue
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "#" and depth > 0:
            # a preprocessor line inside a definition belongs to it
            k = text.find("\n", i)
            i = n if k < 0 else k
            continue
        if c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
            if depth == 0 and c == "}":
                # a definition ends here, unless a ';' follows (struct, initialiser)
                j = i + 1
                while j < n and text[j] in " \t\r\n":
                    j += 1
                if j < n and text[j] == ";":
                    i = j
                out.append((start, i + 1, False))
                start = None
                i += 1
                continue
        elif c == ";" and depth == 0:
            out.append((start, i + 1, False))
            start = None
        i += 1
    if start is not None:
        out.append((start, n, False))
    return out


def main():
    path, log = sys.argv[1], sys.argv[2]
    with open(path) as f:
        text = f.read()
    name = path.rsplit("/", 1)[-1]
    lines = set()
    unplaced = 0
    with open(log, errors="replace") as f:
        for line in f:
            m = re.match(r"^(.*?):(\d+):(?:\d+:)?\s*(error|fatal error|required from here|note: in expansion of macro)", line)
            if not m:
                if re.search(r"\berror\b", line) and re.match(r"^\S+:\d+:", line):
                    unplaced += 1
                continue
            if m.group(1).rsplit("/", 1)[-1] == name:
                lines.add(int(m.group(2)))
            elif m.group(3) in ("error", "fatal error"):
                unplaced += 1
    line_starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(k + 1)

    def line_of(offset):
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    spans = [(line_of(s), line_of(max(s, e - 1)), s, e, pp) for s, e, pp in items(text)]
    remove = {}
    for ln in sorted(lines):
        hit = [sp for sp in spans if sp[0] <= ln <= sp[1]]
        if not hit:
            print("prune: %s:%d is in no top-level definition" % (name, ln))
            continue
        remove[hit[0][2]] = hit[0]
    chars = list(text)
    for _, (l0, l1, s, e, pp) in sorted(remove.items()):
        first = text[s:e].split("\n", 1)[0][:110]
        if pp:
            if text[s:e].lstrip().startswith("#include"):
                print("prune: %s:%d commented out: %s" % (name, l0, first))
            else:
                print("prune: %s:%d preprocessor line kept: %s" % (name, l0, first))
            continue
        for k in range(s, e):
            if chars[k] != "\n":
                chars[k] = " "
        print("prune: %s:%d-%d removed: %s" % (name, l0, l1, first))
    out = "".join(chars)
    # comment out failing #include lines, last first so that earlier offsets stay valid
    for _, (l0, l1, s, e, pp) in sorted(remove.items(), reverse=True):
        if pp and text[s:e].lstrip().startswith("#include"):
            out = out[:s] + "// " + out[s:]
    with open(path, "w") as f:
        f.write(out)
    if not remove or unplaced and not lines:
        print("prune: %s: %d error(s) not placed in this file; nothing to prune" % (name, unplaced))
        sys.exit(1)


if __name__ == "__main__":
    main()
