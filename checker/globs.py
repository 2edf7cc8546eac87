"""Path globs (`*`, `?`, `**`, `[abc]`) matched without regular expressions.

Patterns come from users' config files; a dynamic-programming matcher is linear in
pattern times path length, so no pattern can cause catastrophic backtracking.
"""

from __future__ import annotations

from functools import lru_cache


def _segment_match(pat: str, name: str) -> bool:
    """Match one path segment against `*`, `?` and `[...]` (no `/` inside)."""
    # dp[j] is True when pat[:i] matches name[:j]
    dp = [True] + [False] * len(name)
    i = 0
    while i < len(pat):
        c = pat[i]
        if c == "*":
            for j in range(1, len(name) + 1):
                dp[j] = dp[j] or dp[j - 1]
            i += 1
            continue
        if c == "[":
            # a `]` first in the set (after `[` or `[!`) is a member, not the end
            first = i + 2 if pat[i + 1 : i + 2] in ("!", "^") else i + 1
            end = pat.find("]", first + 1)
            if end != -1:
                body = pat[i + 1 : end]
                negate = body[:1] in ("!", "^")
                chars = _expand(body[1:] if negate else body)
                new = [False] * (len(name) + 1)
                for j in range(1, len(name) + 1):
                    new[j] = dp[j - 1] and ((name[j - 1] in chars) != negate)
                dp = new
                i = end + 1
                continue
        new = [False] * (len(name) + 1)
        for j in range(1, len(name) + 1):
            new[j] = dp[j - 1] and (c == "?" or c == name[j - 1])
        dp = new
        i += 1
    return dp[len(name)]


def _expand(body: str) -> set[str]:
    out: set[str] = set()
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            lo, hi = ord(body[k]), ord(body[k + 2])
            if hi - lo <= 256:
                out.update(chr(c) for c in range(lo, hi + 1))
            k += 3
        else:
            out.add(body[k])
            k += 1
    return out


@lru_cache(maxsize=4096)
def _split(pattern: str) -> tuple[str, ...]:
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    return tuple(p for p in pattern.split("/") if p != "")


def match(pattern: str, path: str) -> bool:
    """True when the repository-relative POSIX `path` matches the glob `pattern`.

    A pattern without `/` matches the file name at any depth (like .gitignore);
    `**` matches any number of folders.
    """
    segs = _split(pattern)
    parts = tuple(path.split("/"))
    if len(segs) == 1 and segs[0] != "**":
        return _segment_match(segs[0], parts[-1])
    n, m = len(segs), len(parts)
    # dp over (pattern segment, path segment)
    dp = [[False] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = True
    for i in range(1, n + 1):
        s = segs[i - 1]
        if s == "**":
            dp[i][0] = dp[i - 1][0]
            for j in range(1, m + 1):
                dp[i][j] = dp[i - 1][j] or dp[i][j - 1]
        else:
            for j in range(1, m + 1):
                dp[i][j] = dp[i - 1][j - 1] and _segment_match(s, parts[j - 1])
    return dp[n][m]


def match_any(patterns: tuple[str, ...] | list[str], path: str) -> bool:
    """True when any pattern matches."""
    return any(match(p, path) for p in patterns)
