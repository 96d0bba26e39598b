"""Where sampled time went: the functions of py-spy's collapsed stacks (--format raw), each
with the share of samples in which it was on the stack (cumulative) and on top (own).

    .venv/bin/python bench/stacks.py FILE [--top 40] [--under FUNCTION]

--under keeps only the samples whose stack passes through FUNCTION (a substring of the
frame, e.g. "create_registration"), so that a request's share is read apart from the
server's idle waiting and start-up.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

#: A frame as py-spy writes it: "function (path/to/file.py:line)".
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>.*?)(?::\d+)?\)$")
_PREFIXES = re.compile(r"^.*?/(site-packages|lib/python3\.\d+|work/[^/]+)/")


def frame_name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    return f"{match['function']} ({_PREFIXES.sub('', match['path'])})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--under", default=None)
    args = parser.parse_args()

    cumulative: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(args.file, encoding="utf-8") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            frames = [frame_name(frame) for frame in stack.split(";")[1:]]  # [0]: the process
            if args.under and not any(args.under in frame for frame in frames):
                continue
            samples = int(count)
            total += samples
            own[frames[-1]] += samples
            for frame in set(frames):
                cumulative[frame] += samples
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples" + (f" under {args.under}" if args.under else ""))
    print(f"{'cumulative':>10} {'own':>6}  function")
    for frame, samples in cumulative.most_common(args.top):
        print(f"{samples / total:>10.1%} {own[frame] / total:>6.1%}  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
