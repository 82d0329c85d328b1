#!/usr/bin/env python3
"""check_layout.py — keeps two promises of ../shared/DESIGN.md true in the product code.

  1. No function body is longer than MAX_BODY_LINES lines (a long function is split along its
     sections into named helpers).
  2. Every #include "..." points down the layer order (DESIGN.md "Layers"):

         tensor < autograd < model < {train, analysis} < tools

     train/ and analysis/ are siblings (neither includes the other), and model/io/ (the file
     formats: JSON, safetensors, CSV, file helpers) sits below the rest of model/: it includes
     only tensor/ and model/io/ headers.

Run from anywhere: `python3 tests/style/check_layout.py [REPO_ROOT]`. Prints each offender as
"path:line: what is wrong" and exits 1 when there is any, 0 otherwise. The C++ is read with a
small lexer (comments, string, character and raw-string literals removed) and brace matching,
which is enough for this code base; it is a style check, not a compiler.
"""

import os
import re
import sys

MAX_BODY_LINES = 80

# The product's layers, bottom to top; equal rank = siblings, which may not include each other.
LAYER_RANK = {"tensor": 0, "autograd": 1, "model": 2, "train": 3, "analysis": 3, "tools": 4}
SOURCE_SUFFIXES = (".cpp", ".h", ".cu", ".cuh")

# Functions allowed to stay long for now, as (path, name). Each entry is a debt with an owner:
# remove it when the function is split.
LONG_FUNCTION_ALLOW_LIST = set()

# ---- lexing ------------------------------------------------------------------------------------

# What must be blanked before braces can be matched: comments, raw strings (the report's inline
# CSS and JavaScript are full of braces), strings and character literals. Numbers are matched too,
# so that a digit separator (1'000) is not taken for the start of a character literal.
TOKEN = re.compile(
    r"""
      (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*.*?\*/)
    | (?P<raw_string>(?:u8|[uUL])?R"(?P<delim>[^()\\\s]{0,16})\(.*?\)(?P=delim)")
    | (?P<string>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*")
    | (?P<number>(?<![A-Za-z_0-9])\.?[0-9](?:[0-9A-Za-z_.]|'(?=[0-9A-Za-z])|[eEpP][+-])*)
    | (?P<char>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)+')
    """,
    re.VERBOSE | re.DOTALL,
)


def blank(text, keep_strings=False):
    """text with comments and literals replaced by spaces (newlines kept, so lines still count);
    with keep_strings, string literals stay as they are (an #include's name is one)."""
    out = []
    last = 0
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "number" or (keep_strings and kind in ("string", "raw_string")):
            continue
        out.append(text[last:m.start()])
        kept = "\n" * m.group(0).count("\n")
        out.append(('""' if kind in ("string", "raw_string") else " ") + kept)
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def preprocessor_lines_removed(code):
    """code with every preprocessor directive (and its continuation lines) blanked."""
    lines = code.split("\n")
    in_directive = False
    for i, line in enumerate(lines):
        if in_directive or line.lstrip().startswith("#"):
            in_directive = line.rstrip().endswith("\\")
            lines[i] = ""
    return "\n".join(lines)


# ---- function lengths --------------------------------------------------------------------------

SCOPE_HEAD = re.compile(r"^(?:template\s*<[^{};]*>\s*)?(?:namespace\b|extern\s*\"\"|(?:struct|class|union)\b)")
ENUM_HEAD = re.compile(r"^(?:typedef\s+)?enum\b")
NAME_BEFORE_PAREN = re.compile(
    r"(operator\s*\(\s*\)|operator\s*[^\s(]+|(?:[A-Za-z_][A-Za-z_0-9]*\s*::\s*)*~?[A-Za-z_][A-Za-z_0-9]*)"
    r"\s*(?:<[^()]*>)?\s*\($")
NOT_FUNCTION_NAMES = {"if", "for", "while", "switch", "catch", "return", "sizeof", "decltype", "alignof",
                      "static_assert", "noexcept", "requires", "alignas"}
LAMBDA = re.compile(r"\[[^\]]*\]\s*(?:\(|\{|mutable|->)")


def top_level_index(head, wanted):
    """Index of the first `wanted` outside (), [] and {} in head, or -1."""
    depth = 0
    for i, c in enumerate(head):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and head.startswith(wanted, i):
            return i
    return -1


def function_name(head):
    """The name a function head declares ("Class::method", "operator()"), or None."""
    paren = head.find("(")
    while paren >= 0:
        m = NAME_BEFORE_PAREN.search(head[: paren + 1])
        if m:
            name = re.sub(r"\s+", "", m.group(1))
            if name not in NOT_FUNCTION_NAMES:
                return name
        paren = head.find("(", paren + 1)
    return None


def is_constructor_member_init(head):
    """True for the '{' of a member's brace initializer in a constructor's initializer list,
    "Foo::Foo(int n) : size_{n}": its head ends with a name after the list's top-level ':'."""
    close = head.rfind(")")
    tail = head[close + 1:] if close >= 0 else ""
    return bool(re.search(r"(?<!:):(?!:)", tail)) and bool(re.search(r"[A-Za-z_0-9>]\s*$", tail))


def classify(head):
    """What a '{' at namespace or class scope opens, from the text before it back to the previous
    ';', '{' or '}': ('scope', None) for a namespace, class or extern "C"; ('function', name) for a
    function or a lambda stored in a variable; ('init', None) for a member's brace initializer in a
    constructor's initializer list (the body's '{' follows); ('other', None) for anything else (an
    enum, an initializer)."""
    head = " ".join(head.split())
    if SCOPE_HEAD.match(head) and "(" not in head:
        return "scope", None
    if ENUM_HEAD.match(head) or not head or head.endswith(("=", ",", "return")):
        return "other", None
    assign = top_level_index(head, "=")
    if assign >= 0 and "operator" not in head[:assign]:
        if LAMBDA.search(head, assign):
            return "function", head[:assign].split()[-1] if head[:assign].split() else "(lambda)"
        return "other", None  # int table[] = {...}
    if ")" not in head:
        return "other", None  # an aggregate or brace initializer: Foo x{...}
    if is_constructor_member_init(head):
        return "init", None
    name = function_name(head)
    return ("function", name) if name else ("other", None)


def long_functions(code):
    """(line, name, body_lines) for every function (not inside another) whose body, from its '{'
    line to its '}' line, is longer than MAX_BODY_LINES."""
    found = []
    stack = []  # one (kind, name, line) per open brace
    head_start = 0  # where the text before the next '{' begins
    line, position = 1, 0
    for m in re.finditer(r"[{};]", code):
        line += code.count("\n", position, m.start())
        position = m.start()
        c = m.group(0)
        at_scope_level = all(kind == "scope" for kind, _, _ in stack)
        in_member_init = bool(stack) and stack[-1][0] == "init"
        if c == "{":
            if at_scope_level:
                kind, name = classify(code[head_start:m.start()])
                stack.append((kind, name, line))
            else:
                stack.append(("block", None, line))
        elif c == "}":
            if not stack:
                continue  # unbalanced (a brace in a preprocessor branch): nothing to measure
            kind, name, open_line = stack.pop()
            if kind == "function" and line - open_line + 1 > MAX_BODY_LINES:
                found.append((open_line, name, line - open_line + 1))
            if kind == "init":
                continue  # the constructor's head goes on to its body's '{'
        if not in_member_init:
            head_start = m.end()
    return found


# ---- include directions ------------------------------------------------------------------------

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def layer_of(relative_path):
    """'model/io' for files under model/io/, else the top folder ('tensor', 'tools', ...)."""
    parts = relative_path.split("/")
    if parts[:2] == ["model", "io"] and len(parts) > 2:
        return "model/io"
    return parts[0]


def rank(layer):
    return LAYER_RANK["model"] if layer == "model/io" else LAYER_RANK.get(layer)


def include_problem(source_layer, target_layer, target):
    """Why an include from source_layer of target (in target_layer) points up, or None."""
    if target_layer not in LAYER_RANK and target_layer != "model/io":
        return f'includes "{target}", outside the product layers'
    if source_layer == "model/io":
        if target_layer not in ("tensor", "model/io"):
            return f'includes "{target}": model/io/ may include only tensor/ and model/io/ headers'
        return None
    if source_layer == target_layer or (source_layer == "model" and target_layer == "model/io"):
        return None
    if rank(target_layer) > rank(source_layer):
        return f'includes "{target}": {target_layer}/ is above {source_layer}/'
    if rank(target_layer) == rank(source_layer):
        return f'includes "{target}": {source_layer}/ and {target_layer}/ are siblings'
    return None


def upward_includes(root, relative_path, text):
    """(line, message) for every #include "..." of the file that points up the layer order."""
    found = []
    source_layer = layer_of(relative_path)
    for m in INCLUDE.finditer(text):
        target = m.group(1)
        beside = os.path.normpath(os.path.join(os.path.dirname(relative_path), target))
        resolved = beside if os.path.exists(os.path.join(root, beside)) else os.path.normpath(target)
        problem = include_problem(source_layer, layer_of(resolved), target)
        if problem:
            found.append((text.count("\n", 0, m.start()) + 1, problem))
    return found


# ---- the check ---------------------------------------------------------------------------------


def product_files(root):
    for layer in sorted(LAYER_RANK):
        for directory, subdirectories, files in os.walk(os.path.join(root, layer)):
            subdirectories.sort()
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    yield os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    offenders = []
    allowed_seen = set()
    files = 0
    for path in product_files(root):
        files += 1
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        code = preprocessor_lines_removed(blank(text))
        for line, name, body in long_functions(code):
            if (path, name) in LONG_FUNCTION_ALLOW_LIST:
                allowed_seen.add((path, name))
                continue
            offenders.append(f"{path}:{line}: function '{name}' is {body} lines long "
                             f"(at most {MAX_BODY_LINES}: split it along its sections)")
        for line, problem in upward_includes(root, path, blank(text, keep_strings=True)):
            offenders.append(f"{path}:{line}: {problem}")
    for path, name in sorted(LONG_FUNCTION_ALLOW_LIST - allowed_seen):
        print(f"note: allow-list entry {path}: {name} is no longer needed (remove it)")
    if offenders:
        print("\n".join(offenders))
        print(f"check_layout: {len(offenders)} problem(s) in {files} product files")
        return 1
    print(f"check_layout: {files} product files: functions within {MAX_BODY_LINES} lines, includes point down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
