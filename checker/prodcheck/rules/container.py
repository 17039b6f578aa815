"""Container: the model service ships as an image that is pinned, unprivileged, healthy and lean.

Dockerfiles are `Dockerfile`, `Containerfile`, `*.Dockerfile` and `Dockerfile.*` anywhere in the
tree (a monorepo's `services/api/Dockerfile` included). They are read with dockerfile-parse on
in-memory content, never through a path, so nothing is ever written into the audited tree.
Development images (`.devcontainer/`, `.gitpod.Dockerfile`, variants named for a workstation
or CI such as `Dockerfile.dev` or `ci.Dockerfile`), Dockerfiles under test and docs directories,
and templates (`Dockerfile.j2`, `Dockerfile.jinja`) are not images that ship, so no container
rule judges them.

Deployment manifests (OPS003, and the probes CONT004 accepts) are Kubernetes workloads in plain
YAML, Helm charts (values parsed, Go templates only scanned as text: they are not YAML) and
Compose files. Kubernetes documents naming the same workload, as Kustomize patches do, are
judged together.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from functools import cached_property
from typing import Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import is_docs_path, is_test_path
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.rules.ownership import is_placeholder
from prodcheck.snapshot import Snapshot, SourceFile, YamlDocument, parse_yaml

# -- which files are Dockerfiles -------------------------------------------------------------

DOCKERFILE_PATTERNS = ("*[Dd]ockerfile*", "*[Cc]ontainerfile*")
"""What the file-scoped rules read; `is_dockerfile` then leaves out what only looks like one.

Two patterns rather than one per spelling: the engine matches them against every path."""

_BUILD_FILE_NAMES = ("dockerfile", "containerfile")
# fmt: off
_NOT_A_DOCKERFILE = frozenset({
    "dockerignore", "containerignore", "j2", "jinja", "jinja2", "tmpl", "tpl", "template", "in",
    "erb", "mustache", "py", "sh", "ps1", "md", "rst", "txt", "json", "yml", "yaml", "toml",
    "lock", "ipynb", "html", "orig", "bak", "rej", "swp",
})
# fmt: on
_IMAGE_BUILD_FILES = frozenset({"bentofile.yaml", "bentofile.yml", "cog.yaml"})
"""Build files of tools that produce the service image without a Dockerfile (BentoML, Cog)."""


def is_dockerfile(path: str) -> bool:
    """`Dockerfile`, `Containerfile`, `api.Dockerfile`, `Dockerfile.prod`, in any case."""
    name = path.rpartition("/")[2].lower()
    if name in _BUILD_FILE_NAMES:
        return True
    extension = name.rpartition(".")[2]
    if extension in _NOT_A_DOCKERFILE:
        return False
    return any(
        name.startswith(f"{base}.") or name.endswith(f".{base}") for base in _BUILD_FILE_NAMES
    )


_NOT_SHIPPED_VARIANTS = frozenset(
    {"dev", "develop", "development", "devcontainer", "local", "debug", "test", "tests", "ci"}
)
"""`Dockerfile.dev`, `test.Dockerfile`, `Dockerfile.ci-tests`: named for a workstation or CI."""


def not_shipped(path: str) -> str | None:
    """Why a Dockerfile's image does not ship (a phrase for messages), or None when it does."""
    parts = path.split("/")
    name = parts[-1].lower()
    if ".devcontainer" in parts[:-1] or name.startswith(".gitpod."):
        return "a dev container"
    variant = name
    for base in _BUILD_FILE_NAMES:
        variant = variant.replace(base, " ")
    if not _NOT_SHIPPED_VARIANTS.isdisjoint(re.split(r"[^a-z0-9]+", variant)):
        return "a development or CI image"
    if is_test_path(path) or is_docs_path(path):
        return "a test or docs fixture"
    return None


def ships(path: str) -> bool:
    """A Dockerfile whose image is meant to run somewhere: not a dev container, test or doc."""
    return is_dockerfile(path) and not_shipped(path) is None


@lazy_dataclass(frozen=True)
class Layout:
    """The files the container rules care about, found by name in one pass over the paths."""

    dockerfiles: tuple[str, ...]
    """Every Dockerfile, shallowest first, shipping or not."""
    image_build_files: tuple[str, ...]
    charts: tuple[str, ...]
    compose_files: tuple[str, ...]


def layout(repo: Snapshot) -> Layout:
    return repo.memo(_layout)


def _layout(repo: Snapshot) -> Layout:
    dockerfiles: list[str] = []
    builds: list[str] = []
    charts: list[str] = []
    compose: list[str] = []
    for path in repo.files:  # plain string tests: this runs on every path of the repository
        name = path.rpartition("/")[2]
        lowered = name.lower()
        if ("dockerfile" in lowered or "containerfile" in lowered) and is_dockerfile(path):
            dockerfiles.append(path)
        elif lowered in _IMAGE_BUILD_FILES or name in _CHART_FILES:
            if _judged_path(path):
                (builds if lowered in _IMAGE_BUILD_FILES else charts).append(path)
        elif "compose" in lowered and _COMPOSE_FILE().fullmatch(name) and _judged_path(path):
            compose.append(path)
    dockerfiles.sort(key=lambda p: (p.count("/"), p))
    return Layout(tuple(dockerfiles), tuple(builds), tuple(sorted(charts)), tuple(compose))


def _judged_path(path: str) -> bool:
    return not is_test_path(path) and not is_docs_path(path)


# -- Dockerfiles, parsed ---------------------------------------------------------------------


@lazy_dataclass(frozen=True)
class Instruction:
    keyword: str
    """Upper-cased (`FROM`, `RUN`)."""
    value: str
    """Continuation lines joined; a heredoc's body follows on new lines."""
    line: int
    """1-based line of the instruction's first line."""
    end_line: int


@lazy_dataclass(frozen=True)
class Stage:
    index: int
    start: Instruction
    """The stage's `FROM`."""
    image: str | None
    """The image as written (`${BASE_IMAGE}`, `python:3.11-slim`); None when `FROM` names none."""
    name: str | None
    """The `AS` name, lower-cased: stage names are case-insensitive."""
    body: tuple[Instruction, ...]


@lazy_dataclass(frozen=True)
class Dockerfile:
    path: str
    lines: tuple[str, ...]
    preamble: tuple[Instruction, ...]
    """What comes before the first `FROM`: the global `ARG`s a `FROM` may use."""
    stages: tuple[Stage, ...]

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    @cached_property
    def global_args(self) -> dict[str, str | None]:
        """The `ARG`s before the first `FROM`: their default, or None when the build passes it."""
        values: dict[str, str | None] = {}
        for instruction in self.preamble:
            if instruction.keyword == "ARG":
                for name, raw in assignments(instruction):
                    values[name] = None if raw is None else expand(raw, values)
        return values

    def image_of(self, stage: Stage) -> str | None:
        """The stage's image with global `ARG` defaults substituted; None when unknowable."""
        if stage.image is None:
            return None
        return expand(stage.image, self.global_args)

    def parent(self, stage: Stage) -> Stage | None:
        """The earlier stage this one is built `FROM`, if it names one."""
        image = self.image_of(stage)
        if image is None:
            return None
        return next(
            (s for s in self.stages[: stage.index] if s.name == image.lower()),
            None,
        )

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage, then the stage it is built from, and so on: they share USER, HEALTHCHECK."""
        chain = [stage]
        while (parent := self.parent(chain[-1])) is not None:
            chain.append(parent)
        return chain

    def last(self, stage: Stage, keyword: str) -> Instruction | None:
        """The instruction of the kind that is in force in `stage`, inherited ones included."""
        for member in self.lineage(stage):
            found = [i for i in member.body if i.keyword == keyword]
            if found:
                return found[-1]
        return None

    def stage_named(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name.lower()), None)

    def line_mentioning(self, instruction: Instruction, text: str) -> int:
        """The line of `instruction` that mentions `text`, for multi-line instructions."""
        for number in range(instruction.line, instruction.end_line + 1):
            if text in self.lines[number - 1]:
                return number
        return instruction.line


_ESCAPE_DIRECTIVE = lazy(r"^\s*#\s*escape\s*=\s*([\\`])\s*$", re.IGNORECASE)
_PARSER_DIRECTIVE = lazy(r"^\s*#\s*\w+\s*=")
_HEREDOC = lazy(r"<<(-?)\s*([\"']?)([A-Za-z_][\w.-]*)\2")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


def dockerfile(repo: Snapshot, path: str) -> Dockerfile | None:
    """The parsed Dockerfile, once per audit; None when it cannot be read as text."""
    return repo.memo(_parse_dockerfile, path)


def _parse_dockerfile(repo: Snapshot, path: str) -> Dockerfile | None:
    text = repo.text(path)
    if text is None:
        return None
    from dockerfile_parse import DockerfileParser

    lines = tuple(text.splitlines())
    prepared = _prepared_for_parser(lines)
    # In memory only: given a path (or none), dockerfile-parse reads and may write files.
    parser = DockerfileParser(fileobj=io.BytesIO(prepared.encode("utf-8")))
    structure: list[dict[str, Any]] = parser.structure
    instructions = _with_heredocs(
        [
            Instruction(
                str(item["instruction"]),
                str(item["value"] or ""),
                int(item["startline"]) + 1,
                min(int(item["endline"]) + 1, max(len(lines), 1)),
            )
            for item in structure
            if item["instruction"] != "COMMENT"
        ],
        lines,
    )
    preamble: list[Instruction] = []
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            image, name = _from_words(instruction.value)
            stages.append(Stage(len(stages), instruction, image, name, ()))
        elif stages:
            last = stages[-1]
            stages[-1] = Stage(
                last.index, last.start, last.image, last.name, (*last.body, instruction)
            )
        else:
            preamble.append(instruction)
    return Dockerfile(path, lines, tuple(preamble), tuple(stages))


def _prepared_for_parser(lines: Sequence[str]) -> str:
    """The text dockerfile-parse should see, line for line the same as the file.

    Docker skips blank lines inside a continued instruction and ends one left open at the end
    of the file; dockerfile-parse would end the instruction at the blank line, and drop the
    open one. So blank lines inside a continuation become comments, and a blank line is added.
    """
    escape = "\\"
    for line in lines:
        if not _PARSER_DIRECTIVE().match(line):
            break
        directive = _ESCAPE_DIRECTIVE().match(line)
        if directive:
            escape = directive.group(1)
    prepared: list[str] = []
    continued = False
    for line in lines:
        if continued and not line.strip():
            prepared.append("#")
            continue
        prepared.append(line)
        if not line.lstrip().startswith("#"):
            continued = line.rstrip().endswith(escape)
    return "\n".join(prepared) + "\n\n"


def _with_heredocs(instructions: list[Instruction], lines: Sequence[str]) -> list[Instruction]:
    """Fold heredoc bodies (`RUN <<EOF` ... `EOF`) into their instruction.

    dockerfile-parse does not know heredocs and reads each body line as an instruction; those
    are dropped, and a `RUN` heredoc's script is kept as the rest of its value.
    """
    result: list[Instruction] = []
    skip_through = 0
    for instruction in instructions:
        if instruction.line <= skip_through:
            continue
        markers = []
        if instruction.keyword in _HEREDOC_KEYWORDS:
            markers = _HEREDOC().findall(instruction.value)
        if not markers:
            result.append(instruction)
            continue
        bodies: list[str] = []
        cursor = instruction.end_line  # 0-based index of the line after the instruction
        for dash, _, word in markers:
            end = _heredoc_end(lines, cursor, word, strip_tabs=bool(dash))
            if end is None:
                break  # no terminator: not a heredoc (`$((1<<x))`), so nothing is swallowed
            bodies.append("\n".join(lines[cursor:end]))
            cursor = end + 1
        if not bodies:
            result.append(instruction)
            continue
        skip_through = cursor
        value = instruction.value
        if instruction.keyword == "RUN":
            value = "\n".join([value, *bodies])
        result.append(Instruction(instruction.keyword, value, instruction.line, cursor))
    return result


def _heredoc_end(lines: Sequence[str], start: int, word: str, *, strip_tabs: bool) -> int | None:
    """The 0-based index of the line that ends a heredoc opened before line `start`."""
    for index in range(start, len(lines)):
        line = lines[index].lstrip("\t") if strip_tabs else lines[index]
        if line.rstrip() == word:
            return index
    return None


def _words(value: str, *, dequote: bool = True) -> list[str]:
    """Docker's word splitting (quotes, escapes), as dockerfile-parse implements it."""
    from dockerfile_parse.util import WordSplitter

    return [str(word) for word in WordSplitter(value).split(dequote=dequote)]


def _dequoted(text: str) -> str:
    from dockerfile_parse.util import WordSplitter

    return str(WordSplitter(text).dequote())


def _from_words(value: str) -> tuple[str | None, str | None]:
    """The image and stage name of `FROM [--platform=...] image [AS name]`."""
    words = [word for word in _words(value) if not word.startswith("--")]
    if not words:
        return None, None
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    return words[0], name


def assignments(instruction: Instruction) -> list[tuple[str, str | None]]:
    """The names an `ENV` or `ARG` sets, with their literal value (None: `ARG NAME` alone).

    Values are dequoted but not expanded; `ENV NAME value with spaces` (the legacy form) sets
    one name to the rest of the line.
    """
    words = _words(instruction.value, dequote=False)
    if not words:
        return []
    if instruction.keyword == "ENV" and "=" not in words[0]:
        name, *rest = instruction.value.split(None, 1)
        return [(_dequoted(name), _dequoted(rest[0].strip()) if rest else None)]
    found: list[tuple[str, str | None]] = []
    for word in words:
        name, equals, raw = word.partition("=")
        found.append((_dequoted(name), _dequoted(raw) if equals else None))
    return found


_VARIABLE = lazy(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def expand(text: str, values: Mapping[str, str | None]) -> str | None:
    """Substitute `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alternative}` as Docker does.

    `values` maps a name to its value, or to None when only the build can say (an `ARG`
    without default). The result is None when it depends on such a value, so a rule judges
    only what the file itself decides.
    """
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        value = values.get(match["braced"] or match["plain"])
        operator = match["op"]
        if operator is None:
            if value is None:
                unknown = True
            return value or ""
        word = expand(match["word"], values)
        if word is None:
            unknown = True
            return ""
        if operator.endswith("-"):
            unset = value is None or (operator == ":-" and value == "")
            return word if unset else str(value)
        if value is None:
            unknown = True
            return ""
        return word if value or operator == "+" else ""

    result = _VARIABLE().sub(substitute, text)
    return None if unknown or "$" in result else result


def _stage_values(file: Dockerfile, stage: Stage, before: int) -> dict[str, str | None]:
    """The `ARG` and `ENV` values in force in `stage` before line `before`."""
    global_args = file.global_args
    values: dict[str, str | None] = {}
    for member in reversed(file.lineage(stage)):
        for instruction in member.body:
            if instruction.line >= before or instruction.keyword not in ("ARG", "ENV"):
                continue
            for name, raw in assignments(instruction):
                if raw is None:
                    values[name] = global_args.get(name) if instruction.keyword == "ARG" else None
                else:
                    values[name] = expand(raw, values)
    return values


# -- image references ------------------------------------------------------------------------


@lazy_dataclass(frozen=True)
class ImageReference:
    repository: str
    tag: str | None
    digest: str | None


def parse_reference(image: str) -> ImageReference:
    """`registry:5000/team/name:tag@sha256:...` into its parts; a port is not a tag."""
    rest, _, digest = image.partition("@")
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        return ImageReference(rest[:colon], rest[colon + 1 :], digest or None)
    return ImageReference(rest, None, digest or None)


_NON_ROOT_BASES = (
    "cgr.dev/chainguard/",  # every Chainguard image runs as `nonroot`
    "mambaorg/micromamba",  # `$MAMBA_USER`
    "jupyter/",  # `jovyan`
    "quay.io/jupyter/",
    "rayproject/ray",  # `ray`
    "pytorch/torchserve",  # `model-server`
    "seldonio/mlserver",  # 1000
    "nginxinc/nginx-unprivileged",
    "registry.access.redhat.com/ubi8/python-",  # the S2I images run as 1001
    "registry.access.redhat.com/ubi9/python-",
)
"""Public base images whose own `USER` is not root, so a Dockerfile built on them need not
set one; distroless images with a `nonroot` tag too."""


def _runs_as_non_root_by_default(image: str | None) -> bool:
    if image is None:
        return False
    reference = parse_reference(image)
    repository = reference.repository.removeprefix("docker.io/").removeprefix("library/")
    return "nonroot" in (reference.tag or "") or repository.startswith(_NON_ROOT_BASES)


def _is_root(user: str) -> bool:
    name = user.strip().partition(":")[0].strip().lower()
    return name in ("root", "0")


def _healthcheck_enabled(instruction: Instruction | None) -> bool:
    if instruction is None:
        return False
    words = instruction.value.split()
    return bool(words) and words[0].upper() != "NONE"


# -- shell commands in RUN -------------------------------------------------------------------

_PIP = lazy(r"pip(?:\d+(?:\.\d+)*)?")
_PYTHON = lazy(r"python(?:\d+(?:\.\d+)*)?")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "time", "nice", "nohup", "xargs"})
_ASSIGNMENT = lazy(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_SEPARATOR_CHARS = frozenset(";&|()\n")
# fmt: off
_PIP_GLOBAL_OPTIONS_WITH_VALUE = frozenset({
    "--cache-dir", "--cert", "--client-cert", "--exists-action", "--keyring-provider", "--log",
    "--log-file", "--proxy", "--python", "--retries", "--timeout", "--trusted-host",
    "--use-deprecated", "--use-feature", "--directory", "--project", "--config-file", "--color",
})
# fmt: on
# fmt: off
_INSTALL_OPTIONS_WITH_VALUE = _PIP_GLOBAL_OPTIONS_WITH_VALUE | frozenset({
    "--requirement", "--constraint", "--editable", "--target", "--platform", "--python-version",
    "--implementation", "--abi", "--root", "--prefix", "--src", "--upgrade-strategy",
    "--progress-bar", "--root-user-action", "--report", "--config-settings", "--config-setting",
    "--global-option", "--install-option", "--no-binary", "--only-binary", "--index-url",
    "--extra-index-url", "--index", "--default-index", "--find-links", "--group", "--extra",
    "--override", "--overrides", "--build-constraint", "--build-constraints",
    "--index-strategy", "--resolution", "--prerelease", "--python-platform", "--exclude-newer",
    "--link-mode", "--reinstall-package", "--upgrade-package", "--no-binary-package",
    "--only-binary-package", "--torch-backend", "--resume-retries",
})
# fmt: on
_SHORT_OPTIONS_WITH_VALUE = frozenset("rcetifCpPb")
_PINNED_BY_OPTION = frozenset(
    {"--require-hashes", "--no-index", "--constraint", "--build-constraint", "--offline"}
)
"""Options under which the named packages are pinned elsewhere: hash-checked requirements, a
constraints file, or a local wheelhouse instead of the index."""
# fmt: off
_INSTALLER_TOOLS = frozenset({
    "pip", "pipx", "setuptools", "wheel", "uv", "poetry", "poetry-plugin-export", "pipenv", "pdm",
    "pip-tools", "hatch", "hatchling", "virtualenv", "build",
})
# fmt: on
"""The installer itself, not the service's dependencies: `pip install -U pip` is not flagged."""


def _script_lines(instruction: Instruction) -> list[list[str]]:
    """The words of each script line of a `RUN`, shell or exec form."""
    value = instruction.value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(word, str) for word in parsed):
            return [parsed]
    lines = value.replace("\\\n", " ").split("\n")
    first = _shell_words(lines[0])
    while first and first[0].startswith("--"):  # RUN --mount=... --network=...
        first.pop(0)
    return [first, *(_shell_words(line) for line in lines[1:])]


def _shell_words(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: nothing can be said about this line
        return []


def _commands(words: list[str], depth: int = 0) -> Iterator[list[str]]:
    """Simple commands: split at `&&`, `;`, `|`, drop redirections; `sh -c "..."` unwrapped."""
    command: list[str] = []
    following = iter(words)
    for word in following:
        if word and set(word) <= _SEPARATOR_CHARS:
            yield from _unwrapped(command, depth)
            command = []
        elif word and set(word) <= frozenset("<>&") | _SEPARATOR_CHARS:
            if command and command[-1].isdigit():
                command.pop()  # the file descriptor of `2>/dev/null`
            redirected_to = next(following, "")
            if word in (">", "<") and redirected_to.startswith("=") and command:
                # `pip install numpy>=1.0` unquoted: the shell redirects to `=1.0`, but the
                # message should show what was written.
                command[-1] += word + redirected_to
        else:
            command.append(word)
    yield from _unwrapped(command, depth)


def _unwrapped(command: list[str], depth: int) -> Iterator[list[str]]:
    if not command:
        return
    program = command[0].rpartition("/")[2]
    if program in _SHELLS and depth < 2 and "-c" in command[1:-1]:
        script = command[command.index("-c", 1) + 1]
        for line in script.replace("\\\n", " ").split("\n"):
            yield from _commands(_shell_words(line), depth + 1)
        return
    yield command


def pip_install_arguments(command: list[str]) -> list[str] | None:
    """What follows `install` in a pip command (`pip3`, `python -m pip`, `uv pip`), or None."""
    index = 0
    while index < len(command) and (
        command[index] in _WRAPPERS
        or _ASSIGNMENT().fullmatch(command[index])
        or (command[index].startswith("-") and index > 0 and command[index - 1] in _WRAPPERS)
    ):
        index += 1
    words = command[index:]
    if not words:
        return None
    program = words[0].rpartition("/")[2]
    if _PIP().fullmatch(program):
        rest = words[1:]
    elif _PYTHON().fullmatch(program):
        after = _after_dash_m_pip(words[1:])
        if after is None:
            return None
        rest = after
    elif program == "uv" and words[1:2] == ["pip"]:
        rest = words[2:]
    else:
        return None
    position = 0
    while position < len(rest) and rest[position].startswith("-"):
        option = rest[position]
        takes_value = option in _PIP_GLOBAL_OPTIONS_WITH_VALUE and "=" not in option
        position += 2 if takes_value else 1
    if rest[position : position + 1] != ["install"]:
        return None
    return rest[position + 1 :]


def _after_dash_m_pip(words: list[str]) -> list[str] | None:
    for position, word in enumerate(words):
        if word == "-m":
            return words[position + 2 :] if words[position + 1 : position + 2] == ["pip"] else None
        if word == "-mpip":
            return words[position + 1 :]
        if not word.startswith("-"):
            return None  # `python script.py`
    return None


def unpinned_requirements(arguments: list[str]) -> list[str]:
    """The packages `pip install <arguments>` takes from the index without an exact `==` pin."""
    requirements: list[str] = []
    position = 0
    while position < len(arguments):
        word = arguments[position]
        position += 1
        if word.startswith("--"):
            option, equals, _ = word.partition("=")
            if option in _PINNED_BY_OPTION:
                return []
            if option in _INSTALL_OPTIONS_WITH_VALUE and not equals:
                position += 1
            continue
        if word.startswith("-") and len(word) > 1:
            for offset, letter in enumerate(word[1:], 1):
                if letter == "c":
                    return []  # -c constraints.txt
                if letter in _SHORT_OPTIONS_WITH_VALUE:
                    position += 0 if word[offset + 1 :] else 1
                    break
            continue
        requirements.append(word)

    unpinned = []
    for word in requirements:
        if not word or "$" in word or "`" in word or _is_local_or_url(word):
            continue  # a path, a URL, or a value only the build knows
        # imported here, only once a package is named: packaging costs ~20 ms to import, and
        # the common `pip install -r requirements.txt` names none
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name

        try:
            requirement = Requirement(word)
        except InvalidRequirement:
            continue
        if requirement.url or canonicalize_name(requirement.name) in _INSTALLER_TOOLS:
            continue
        exact = [
            s for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version
        ]
        if not exact:
            unpinned.append(word)
    return unpinned


def _is_local_or_url(word: str) -> bool:
    return (
        word.startswith((".", "/", "~", "git+", "hg+", "svn+", "bzr+", "file:"))
        or "/" in word
        or "\\" in word
        or word.endswith((".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2"))
    )


# -- secrets in ENV and ARG ------------------------------------------------------------------

# fmt: off
_SECRET_WORDS = frozenset({
    "key", "apikey", "accesskey", "secretkey", "privatekey", "secret", "secrets", "token",
    "authtoken", "accesstoken", "password", "passwd", "passphrase", "credential", "credentials",
})
# fmt: on
_SECRET_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey")
"""Secret words run together with a prefix (`PGPASSWORD`, `CLIENTSECRET`); `key` is not among
them, or `MONKEY` and `HOTKEY` would be secrets."""
# fmt: off
_ABOUT_A_SECRET = frozenset({
    "id", "ids", "name", "names", "path", "paths", "file", "files", "dir", "directory", "url",
    "uri", "endpoint", "host", "port", "type", "kind", "length", "len", "size", "ttl", "expiry",
    "expires", "expiration", "lifetime", "region", "header", "prefix", "env", "var", "version",
    "format", "algorithm", "alg", "mode", "enabled", "enable", "disabled", "disable",
    "required", "timeout", "limit", "count", "location", "policy", "field", "column", "ref",
    "arn", "vault", "store", "provider", "source", "backend", "mount",
})
# fmt: on
"""A last name part that makes the variable describe a secret rather than hold it:
`KEY_PATH`, `SECRET_NAME`, `TOKEN_URL`, `API_KEY_FILE`, `AWS_ACCESS_KEY_ID`."""
_HARMLESS_VALUES = frozenset(
    {"true", "false", "yes", "no", "on", "off", "none", "null", "nil", "0", "1", "dummy"}
)
_NAME_PART = lazy(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def secret_name(name: str) -> bool:
    """True when the name says it holds a secret: `API_KEY`, `DB_PASSWORD`, `hfToken`.

    Whole name parts are compared, so `TOKENIZERS_PARALLELISM`, `MAX_TOKENS` or `KEYCLOAK_URL`
    are not secrets; nor is a name about a secret (`KEY_PATH`, `SECRET_NAME`, `PUBLIC_KEY`).
    """
    parts = [
        piece.lower()
        for chunk in re.split(r"[^A-Za-z0-9]+", name)
        for piece in _NAME_PART().findall(chunk)
    ]
    if not parts or "public" in parts or parts[-1] in _ABOUT_A_SECRET:
        return False
    return any(part in _SECRET_WORDS or part.endswith(_SECRET_SUFFIXES) for part in parts)


def literal_secret_value(value: str | None) -> bool:
    """A value written into the file: not empty, not a variable, a path or a placeholder."""
    if value is None:
        return False
    text = value.strip()
    return not (
        not text
        or "$" in text
        or text.startswith(("/", "./", "../", "~/"))
        or re.match(r"[A-Za-z]:\\", text) is not None
        or text.lower() in _HARMLESS_VALUES
        or is_placeholder(text)
    )


# -- .dockerignore ---------------------------------------------------------------------------

IGNORED_IN_CONTEXT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("`.git`", (".git/HEAD",)),
    (
        "data (`data/`, `*.csv`)",
        ("data/train.csv", "data/raw/train.parquet", "datasets/train.csv", "train.csv"),
    ),
    ("notebooks (`*.ipynb`, `notebooks/`)", ("notebooks/explore.ipynb", "explore.ipynb")),
    ("`.env`", (".env",)),
    (
        "experiment stores (`mlruns/`, `wandb/`)",
        ("mlruns/0/meta.yaml", "wandb/latest-run/run.wandb", "mlartifacts/0/model.pkl"),
    ),
)
"""What must stay out of the build context, each with paths that stand for it: a kind is kept
out when a pattern excludes one of its paths and no `!` pattern lets one back in. They are
judged whether or not git tracks them, because ignored files (`.env`, `mlruns/`, local data)
are exactly what sits in a developer's build context."""


def _ignore_spec(text: str) -> Callable[[str], bool | None]:
    """Whether a context path is excluded, by .dockerignore patterns read with gitignore rules:
    True excluded, False re-included by a `!` pattern, None matched by no pattern.

    Docker anchors every pattern at the context root (`*.csv` is only the root's CSV files)
    where gitignore lets a pattern without a slash match at any depth; gitignore also ends a
    pattern at a trailing slash. Judged the gitignore way, a .dockerignore can only look more
    complete than Docker finds it, never less: a miss, not a false finding. Patterns are
    cleaned as Docker cleans them (`./data/` is `data`), and a re-included directory
    re-includes what is below it, as in Docker.
    """
    import pathspec

    patterns: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = line[1:].strip() if negated else line
        anchored = body.startswith("/")
        body = posixpath.normpath(body.lstrip("/")) if body.strip("/") else ""
        if not body or body == "." or body.startswith(".."):
            continue
        pattern = ("!" if negated else "") + ("/" if anchored else "") + body
        # Docker re-includes everything below a re-included directory (`*` then `!src`);
        # gitignore would keep its files excluded by `*`.
        for variant in (pattern, f"{pattern}/**") if negated else (pattern,):
            try:
                pathspec.GitIgnoreSpec.from_lines([variant])
            except ValueError:
                continue  # an invalid pattern excludes nothing
            patterns.append(variant)
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def excluded(path: str) -> bool | None:
        decision = spec.check_file(path).include
        return None if decision is None else bool(decision)

    return excluded


def _not_excluded(repo: Snapshot, ignore_file: str) -> list[str]:
    """The kinds of content `ignore_file` lets into the build context."""
    return repo.memo(_not_excluded_memo, ignore_file)


def _not_excluded_memo(repo: Snapshot, ignore_file: str) -> list[str]:
    excluded = _ignore_spec(repo.text(ignore_file) or "")
    leaking = []
    for kind, probes in IGNORED_IN_CONTEXT:
        decisions = [excluded(probe) for probe in probes]
        if True not in decisions or False in decisions:
            leaking.append(kind)
    return leaking


def _ignore_files_for(repo: Snapshot, path: str) -> list[str]:
    """The ignore files that may apply to a Dockerfile, nearest first.

    `<Dockerfile>.dockerignore` beside it wins where BuildKit is used; otherwise the context's
    `.containerignore` (Podman) or `.dockerignore`. The context is not written in the
    Dockerfile, so every directory from the Dockerfile's own up to the root may be it.
    """
    directory = path.rpartition("/")[0]
    candidates = [f"{path}.dockerignore", f"{path}.containerignore"]
    while True:
        prefix = f"{directory}/" if directory else ""
        candidates += [f"{prefix}.containerignore", f"{prefix}.dockerignore"]
        if not directory:
            break
        directory = directory.rpartition("/")[0]
    return [candidate for candidate in candidates if candidate in repo]


# -- deployment manifests --------------------------------------------------------------------

_POD_TEMPLATE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Rollout"}
)
"""Long-running workloads whose pods are at `spec.template.spec` (Argo Rollouts included)."""
_PLATFORM_PROBED = frozenset({"InferenceService", "SeldonDeployment"})
"""KServe and Seldon serve the model and probe it themselves."""
_MANIFEST_KINDS = (b"Deployment", b"StatefulSet", b"DaemonSet", b"ReplicaSet", b"Rollout")
_MANIFEST_HINTS = (
    *_MANIFEST_KINDS,
    b"ReplicationController",
    b"Pod",
    b"List",
    *(kind.encode() for kind in _PLATFORM_PROBED),
)
_HELM_WORKLOAD = lazy(
    r"^\s*kind:\s*[\"']?(?:Deployment|StatefulSet|DaemonSet|Rollout)\b", re.MULTILINE
)
_CHART_FILES = frozenset({"Chart.yaml", "Chart.yml"})
_COMPOSE_FILE = lazy(r"(?:docker-)?compose(?:\.[\w.-]+)?\.ya?ml")
_DOCUMENT_START = lazy(r"^---(?:\s|$)")


def _yaml_key(text: str, key: str) -> bool:
    """A `key:` line in YAML or a Go template of it, comments aside (templates are not YAML)."""
    return re.search(rf"^[ \t-]*{key}:", text, re.MULTILINE) is not None


@lazy_dataclass
class Container:
    name: str
    path: str
    line: int | None = None
    image: bool = False
    liveness: bool = False
    readiness: bool = False
    memory_limit: bool = False


@lazy_dataclass
class Workload:
    kind: str
    name: str
    containers: dict[str, Container] = field(default_factory=dict)

    @property
    def probed(self) -> bool:
        return self.kind in _PLATFORM_PROBED or any(
            c.liveness and c.readiness for c in self.containers.values()
        )


@lazy_dataclass
class ComposeService:
    name: str
    path: str
    line: int | None
    directory: str
    build: Any = None
    healthcheck: bool = False
    memory_limit: bool = False
    job: bool = False


@lazy_dataclass
class HelmChart:
    chart_file: str
    directory: str
    values: str | None
    line: int | None
    workload: bool
    liveness: bool
    readiness: bool
    memory_limit: bool


@lazy_dataclass(frozen=True)
class Manifests:
    workloads: list[Workload]
    templated_with_probes: list[str]
    """Templated manifests (`{{ }}`) that name both probes: read as text, not YAML."""
    charts: list[HelmChart]
    compose: list[ComposeService]
    compose_files: list[str]


def manifests(repo: Snapshot) -> Manifests:
    """Every deployment manifest of the repository, read once per audit."""
    return repo.memo(_manifests)


def _manifests(repo: Snapshot) -> Manifests:
    chart_files = layout(repo).charts
    chart_dirs = [path.rpartition("/")[0] for path in chart_files]
    workloads: dict[tuple[str, str, str], Workload] = {}
    templated: list[str] = []
    for file in repo.files_with(b"apiVersion", ".yaml", ".yml"):
        if not _judged_path(file.path) or _in_chart(file.path, chart_dirs):
            continue
        data = repo.read_bytes(file.path) or b""
        if not any(hint in data for hint in _MANIFEST_HINTS):
            continue
        if b"{{" in data:
            text = repo.text(file.path) or ""
            if _yaml_key(text, "livenessProbe") and _yaml_key(text, "readinessProbe"):
                templated.append(file.path)
            continue
        for node in _composed(repo, file.path):
            _add_workloads(workloads, node, file.path)
    compose, compose_files = _compose_services(repo)
    return Manifests(
        [w for w in workloads.values() if any(c.image for c in w.containers.values())],
        templated,
        [_helm_chart(repo, path) for path in chart_files],
        compose,
        compose_files,
    )


def _in_chart(path: str, chart_dirs: Iterable[str]) -> bool:
    """A chart's own file: a template, a subchart, or a values file beside `Chart.yaml`."""
    for directory in chart_dirs:
        prefix = f"{directory}/" if directory else ""
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            if rest.startswith(("templates/", "charts/")) or "/" not in rest:
                return True
    return False


def _documents_with_lines(repo: Snapshot, path: str) -> list[YamlDocument]:
    """Each YAML document of a file with the line of every key.

    The documents are split at their `---` lines and parsed one by one. When that split is
    wrong (a `---` inside a block), the snapshot's parse is used without lines; a broken file
    gives nothing, and the snapshot reports it.
    """
    return repo.memo(_documents_with_lines_memo, path)


def _documents_with_lines_memo(repo: Snapshot, path: str) -> list[YamlDocument]:
    text = repo.text(path)
    if text is None:
        return []
    lines = text.splitlines()
    starts = [0] + [i for i, line in enumerate(lines) if i and _DOCUMENT_START().match(line)]
    documents = []
    for begin, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        document = parse_yaml("\n".join(lines[begin:end]), first_line=begin + 1)
        if document.error is not None:
            return [YamlDocument(data, {}) for data in repo.yaml_documents(path)]
        documents.append(document)
    return documents


def _mapping(value: Any, *keys: str) -> dict[Any, Any]:
    """`value[keys[0]][keys[1]]...` when each step is a mapping, else an empty mapping."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _set(value: Any) -> bool:
    return value not in (None, "", {}, [])


def _add_workloads(found: dict[tuple[str, str, str], Workload], node: Any, path: str) -> None:
    """Add the workloads of one composed YAML document (or a `kind: List` item)."""
    kind = _scalar(_child(node, "kind"))
    if kind == "List":
        items = _child(node, "items")
        for item in _items(items):
            _add_workloads(found, item, path)
        return
    if kind is None:
        return
    metadata = _child(node, "metadata")
    name = _scalar(_child(metadata, "name")) or ""
    key = (kind, _scalar(_child(metadata, "namespace")) or "", name)
    if kind in _PLATFORM_PROBED:
        found.setdefault(key, Workload(kind, name)).containers.setdefault(
            "", Container("", path, image=True)
        )
        return
    if kind in _POD_TEMPLATE_KINDS:
        spec = _child(_child(_child(node, "spec"), "template"), "spec")
    elif kind == "Pod":
        spec = _child(node, "spec")
    else:
        return
    workload = found.setdefault(key, Workload(kind, name))
    for index, item in enumerate(_items(_child(spec, "containers"))):
        if not _is_mapping(item):
            continue
        container_name = _scalar(_child(item, "name")) or str(index)
        line = item.start_mark.line + 1
        container = workload.containers.setdefault(
            container_name, Container(container_name, path, line)
        )
        if _filled(_child(item, "image")):
            container.image = True
            container.path, container.line = path, line
        container.liveness |= _filled(_child(item, "livenessProbe"))
        container.readiness |= _filled(_child(item, "readinessProbe"))
        limits = _child(_child(item, "resources"), "limits")
        container.memory_limit |= _filled(_child(limits, "memory"))


# -- YAML nodes: Kubernetes manifests are composed, not constructed, and only the keys the
# rules need are read; that is twice as fast and gives every key's line.

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


def _composed(repo: Snapshot, path: str) -> list[Any]:
    """The YAML documents of `path` as nodes; [] when broken (the snapshot reports why)."""
    text = repo.text(path)
    if text is None:
        return []
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return [node for node in yaml.compose_all(text, Loader=loader) if node is not None]
    except (yaml.YAMLError, ValueError, RecursionError):
        repo.yaml_documents(path)  # parsed again only to report the error (PC002)
        return []


def _is_mapping(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.MappingNode)


def _child(node: Any, key: str, depth: int = 0) -> Any:
    """The value node of `key` in a mapping node, merge keys (`<<: *defaults`) included."""
    if not _is_mapping(node) or depth > 10:
        return None
    found = None
    merged = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            merged.append(value_node)
        elif getattr(key_node, "value", None) == key:
            found = value_node
    if found is not None:
        return found
    for source in merged:
        for candidate in [source] if _is_mapping(source) else _items(source):
            value = _child(candidate, key, depth + 1)
            if value is not None:
                return value
    return None


def _items(node: Any) -> list[Any]:
    import yaml

    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _scalar(node: Any) -> str | None:
    import yaml

    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL_TAG:
        return str(node.value)
    return None


def _filled(node: Any) -> bool:
    """A value that says something: a non-empty mapping, list or scalar."""
    if node is None:
        return False
    if _scalar(node) is not None:
        return bool(_scalar(node))
    return bool(getattr(node, "value", None)) and node.tag != _NULL_TAG


def _helm_chart(repo: Snapshot, chart_file: str) -> HelmChart:
    directory = chart_file.rpartition("/")[0]
    prefix = f"{directory}/" if directory else ""
    below = [path for path in repo.files if path.startswith(prefix)]
    templates = "\n".join(
        repo.text(path) or ""
        for path in below
        if path.startswith(f"{prefix}templates/") and path.endswith((".yaml", ".yml", ".tpl"))
    )
    values_files = [
        path
        for path in below
        if "/" not in path[len(prefix) :]
        and re.fullmatch(r"values(?:[-.][\w.-]+)?\.ya?ml", path[len(prefix) :])
    ]
    values_path = next(
        (p for p in values_files if p.endswith(("/values.yaml", "/values.yml"))),
        values_files[0] if values_files else None,
    )
    keys: set[str] = set()
    line = None
    for path in values_files:
        for document in _documents_with_lines(repo, path):
            keys |= _probe_and_limit_keys(document.data)
            if path == values_path:
                line = document.line_of("resources") or document.line_of()
    return HelmChart(
        chart_file,
        directory or ".",
        values_path,
        line,
        _HELM_WORKLOAD().search(templates) is not None,
        "livenessProbe" in keys or _yaml_key(templates, "livenessProbe"),
        "readinessProbe" in keys or _yaml_key(templates, "readinessProbe"),
        "memory" in keys or _template_memory_limit(templates),
    )


def _probe_and_limit_keys(data: Any) -> set[str]:
    """Which of `livenessProbe`, `readinessProbe` and a memory limit Helm values set, anywhere."""
    found: set[str] = set()
    seen: set[int] = set()
    pending = [data]
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            for key in ("livenessProbe", "readinessProbe"):
                if _set(value.get(key)):
                    found.add(key)
            if _set(_mapping(value, "resources", "limits").get("memory")):
                found.add("memory")
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


def _template_memory_limit(text: str) -> bool:
    """A `limits:` block with a `memory:` key in a Helm template, read as text."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)limits:\s*$", line)
        if not match:
            continue
        indent = len(match.group(1))
        for following in lines[index + 1 :]:
            if not following.strip():
                continue
            if len(following) - len(following.lstrip()) <= indent:
                break
            if re.match(r"^\s*memory:\s*\S", following):
                return True
    return False


def _compose_services(repo: Snapshot) -> tuple[list[ComposeService], list[str]]:
    """Compose services, merged across the files of one directory (overrides add to a base)."""
    files = list(layout(repo).compose_files)
    services: dict[tuple[str, str], ComposeService] = {}
    for path in files:
        directory = path.rpartition("/")[0]
        for document in _documents_with_lines(repo, path):
            declared = _mapping(document.data, "services")
            for name, spec in declared.items():
                if not isinstance(spec, dict):
                    continue
                service = services.setdefault(
                    (directory, str(name)),
                    ComposeService(str(name), path, document.line_of("services", name), directory),
                )
                if "build" in spec:
                    service.build = spec["build"]
                    service.path, service.line = path, document.line_of("services", name)
                service.healthcheck |= _compose_healthcheck(spec.get("healthcheck"))
                service.memory_limit |= _set(spec.get("mem_limit")) or _set(
                    _mapping(spec, "deploy", "resources", "limits").get("memory")
                )
                restart = str(spec.get("restart", "")).lower()
                service.job |= restart == "no" or restart.startswith("on-failure")
    return list(services.values()), files


def _compose_healthcheck(value: Any) -> bool:
    if not isinstance(value, dict) or value.get("disable") is True:
        return False
    test = value.get("test")
    if test in ("NONE", ["NONE"]):
        return False
    return _set(test)


def _compose_dockerfile(service: ComposeService) -> tuple[str, str | None] | None:
    """The Dockerfile a Compose service builds (and its target stage), relative to the root."""
    build = service.build
    if isinstance(build, str):
        context, name, target = build, "Dockerfile", None
    elif isinstance(build, dict):
        context = str(build.get("context", "."))
        name = str(build.get("dockerfile", "Dockerfile"))
        target = str(build["target"]) if "target" in build else None
    else:
        return None
    if "://" in context or context.startswith("git@"):
        return None
    joined = posixpath.normpath(posixpath.join(service.directory, context, name))
    if joined.startswith(".."):
        return None
    return joined, target


def _image_healthcheck(repo: Snapshot, path: str, target: str | None = None) -> bool:
    """True when the Dockerfile's final (or target) stage has an enabled HEALTHCHECK."""
    if path not in repo:
        return False
    parsed = dockerfile(repo, path)
    if parsed is None:
        return False
    stage = parsed.stage_named(target) if target else parsed.final
    return stage is not None and _healthcheck_enabled(parsed.last(stage, "HEALTHCHECK"))


def _compose_service_healthy(repo: Snapshot, service: ComposeService) -> bool:
    if service.healthcheck:
        return True
    built = _compose_dockerfile(service)
    return built is not None and _image_healthcheck(repo, *built)


# -- the Dockerfiles a repository ships ------------------------------------------------------


def shipping_dockerfiles(repo: Snapshot) -> list[Dockerfile]:
    """The Dockerfiles that build an image that ships, parsed, with at least one `FROM`."""
    return repo.memo(_shipping_dockerfiles)


def _shipping_dockerfiles(repo: Snapshot) -> list[Dockerfile]:
    found = []
    for path in layout(repo).dockerfiles:
        if ships(path):
            parsed = dockerfile(repo, path)
            if parsed is not None and parsed.stages:
                found.append(parsed)
    return found


def _the_service_dockerfile(repo: Snapshot) -> Dockerfile | None:
    """The Dockerfile a finding about "the" image points at: the shallowest one."""
    dockerfiles = shipping_dockerfiles(repo)
    return dockerfiles[0] if dockerfiles else None


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- rules -----------------------------------------------------------------------------------

_DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE} AS build
COPY requirements.lock .
RUN pip install --no-cache-dir --prefix=/install -r requirements.lock
COPY src/ src/
RUN pip install --no-cache-dir --no-deps --prefix=/install .

FROM ${BASE_IMAGE}
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 app
USER 10001
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://localhost:8000/healthz')"
CMD ["uvicorn", "churn.service.app:app", "--host", "0.0.0.0", "--port", "8000"]
"""
_DOCKERIGNORE = """\
.git
.env
data/
*.csv
*.parquet
notebooks/
*.ipynb
mlruns/
wandb/
"""


@rule(
    "CONT001",
    "missing-dockerfile",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A Dockerfile or Containerfile builds the model service.",
    remedy=(
        "Add the template's `Dockerfile` (multi-stage, pinned `ARG BASE_IMAGE`, non-root, "
        "`HEALTHCHECK`, installs from `requirements.lock`) at the repository root, or beside the "
        "service in a monorepo (`services/api/Dockerfile`). A `.devcontainer/Dockerfile` is for "
        "development and does not count."
    ),
    examples=Examples(
        failing={
            ".devcontainer/Dockerfile": "FROM mcr.microsoft.com/devcontainers/python:3.11\n",
            "src/churn/service/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        },
        passing={
            "Dockerfile": _DOCKERFILE,
            "src/churn/service/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        },
    ),
)
def missing_dockerfile(repo: Snapshot) -> Iterator[Violation]:
    """A model that runs only on the laptop where its environment was set up by hand cannot be
    deployed, scaled or handed over. A container image is the unit every platform runs
    (Kubernetes, ECS, Cloud Run, a VM with Docker): it pins the operating system, the Python
    version and every library, so what was tested is what runs. Without one, each deployment
    is a new manual installation, and the pilot stays a pilot. A dev container does not count:
    it builds the developer's workstation, not the image that ships. BentoML (`bentofile.yaml`)
    and Cog (`cog.yaml`) build the service image themselves, so they count too.
    """
    if shipping_dockerfiles(repo):
        return
    if layout(repo).image_build_files:
        return
    consequence = "so it runs only where someone installed its environment by hand"
    others = list(layout(repo).dockerfiles)
    unusable = [path for path in others if ships(path)]
    if unusable:
        path = unusable[0]
        parsed = dockerfile(repo, path)
        why = "cannot be read as text" if parsed is None else "has no `FROM` instruction"
        yield Violation(
            f"`{path}` {why} and builds nothing, and no other Dockerfile builds the model "
            f"service, {consequence}",
            path,
        )
        return
    if others:
        described = []
        for path in others[:3]:
            kind = not_shipped(path)
            described.append(f"`{path}` ({kind})")
        subject = "the only Dockerfile" if len(others) == 1 else "the only Dockerfiles"
        yield Violation(
            f"{subject}, {_and(described)}, {'does' if len(others) == 1 else 'do'} not build "
            "the image that ships: no `Dockerfile` or `Containerfile` builds the model "
            f"service, {consequence}"
        )
        return
    yield Violation(f"no `Dockerfile` or `Containerfile` builds the model service, {consequence}")


@rule(
    "CONT002",
    "unpinned-base-image",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=DOCKERFILE_PATTERNS,
    summary="Every `FROM` is pinned: a tag other than `latest`, or a digest.",
    remedy=(
        "Pin every `FROM` to a version tag, better a digest, as the template's `Dockerfile` does "
        "with `ARG BASE_IMAGE=python:3.11-slim` (add `@sha256:...` to freeze it); update it "
        "on purpose, for instance with Dependabot or Renovate."
    ),
    examples=Examples(
        failing={"Dockerfile": "FROM python\nCOPY . /app\n"},
        passing={"Dockerfile": _DOCKERFILE},
    ),
)
def unpinned_base_image(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """`FROM python` pulls whatever `latest` is on the day of the build. The next build of the
    same commit can get a new Python, a new operating system and new system libraries, and the
    model that passed its tests yesterday breaks in production with no change to its code. A
    version tag makes the base deliberate; a digest makes it exact. Earlier stages named by
    `FROM builder`, `scratch`, and a base image left to a build argument without default (the
    build must pass it) are not judged.
    """
    if not ships(file.path):
        return
    parsed = dockerfile(repo, file.path)
    if parsed is None:
        return
    for stage in parsed.stages:
        if stage.image is None or "{{" in stage.image or "{%" in stage.image:
            continue
        image = parsed.image_of(stage)
        if image is None or "{{" in image or image.lower() == "scratch":
            continue
        if parsed.parent(stage) is not None:
            continue
        reference = parse_reference(image)
        if reference.digest or (reference.tag and reference.tag.lower() != "latest"):
            continue
        written = f"`FROM {stage.image}`"
        if image != stage.image:
            written += f" resolves to `{image}`, which"
        problem = (
            "has no tag, so it pulls whatever `latest` is"
            if reference.tag is None
            else "uses the moving `latest` tag, so it pulls whatever that is"
        )
        yield Violation(
            f"{written} {problem} on the day of the build, and the image changes under the "
            f"model without a code change: pin a version tag, better a digest "
            f"(`{reference.repository}:<version>@sha256:<digest>`)",
            file.path,
            stage.start.line,
        )


@rule(
    "CONT003",
    "root-container",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=DOCKERFILE_PATTERNS,
    summary="The final stage runs as a non-root `USER`.",
    remedy=(
        "Create an unprivileged user in the final stage and switch to it before `CMD`, as the "
        "template's `Dockerfile` does (`RUN useradd --uid 10001 app`, then `USER 10001`)."
    ),
    examples=Examples(
        failing={"Dockerfile": 'FROM python:3.11-slim\nCOPY . /app\nCMD ["python", "app.py"]\n'},
        passing={"Dockerfile": _DOCKERFILE},
    ),
)
def root_container(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """A model service that runs as root turns any bug in it, its web framework or one of its
    hundred dependencies (a pickle loaded from the wrong place, a path traversal) into root on
    the container, one kernel bug away from the node. Platforms increasingly refuse root pods
    (Kubernetes `runAsNonRoot`, OpenShift), so a root image also blocks the deployment itself.
    Only the final stage runs: a `USER` in a build stage does not count, a stage built from an
    earlier one inherits its `USER`, and base images that default to a non-root user
    (distroless `nonroot`, Chainguard) pass without one. A final `FROM scratch` stage without
    `CMD` or `ENTRYPOINT` only exports files, and is not judged.
    """
    if not ships(file.path):
        return
    parsed = dockerfile(repo, file.path)
    if parsed is None or parsed.final is None:
        return
    final = parsed.final
    user = parsed.last(final, "USER")
    if user is None:
        base = parsed.lineage(final)[-1]
        image = parsed.image_of(base)
        runs = parsed.last(final, "CMD") or parsed.last(final, "ENTRYPOINT")
        if _runs_as_non_root_by_default(image) or (
            image is not None and image.lower() == "scratch" and runs is None
        ):
            return
        inherited = f" unless `{image}` switches user itself" if image else ""
        yield Violation(
            f"the final stage of `{file.path}` sets no `USER`, so{inherited} the model service "
            "runs as root and any flaw in it or its dependencies is root in the container",
            file.path,
            final.start.line,
        )
        return
    holder = next(s for s in parsed.lineage(final) if user in s.body)
    value = expand(user.value.strip(), _stage_values(parsed, holder, user.line))
    if value is not None and _is_root(value):
        written = user.value.strip()
        resolved = f" (`{value}`)" if value != written else ""
        yield Violation(
            f"the final stage of `{file.path}` switches to `USER {written}`{resolved} and "
            "never back, so the model service runs as root and any flaw in it or its "
            "dependencies is root in the container",
            file.path,
            user.line,
        )


@rule(
    "CONT004",
    "missing-container-healthcheck",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The container reports health: `HEALTHCHECK` in the final stage, or liveness and "
    "readiness probes in deployment manifests.",
    remedy=(
        "Add a `HEALTHCHECK` that calls `/healthz` to the final stage of the template's "
        "`Dockerfile`; or set a `livenessProbe` (`/healthz`) and a `readinessProbe` (`/readyz`) "
        "in `deploy/k8s/deployment.yaml` (or the Helm chart's values); or a `healthcheck` for "
        "the service in `compose.yaml`."
    ),
    requires=("CONT001",),
    examples=Examples(
        failing={"Dockerfile": 'FROM python:3.11-slim\nUSER 10001\nCMD ["python", "app.py"]\n'},
        passing={"Dockerfile": _DOCKERFILE},
    ),
)
def missing_container_healthcheck(repo: Snapshot) -> Iterator[Violation]:
    """A model service can be up and useless: the process runs while the model failed to load,
    or a request deadlocked the worker. Without a health check the orchestrator cannot tell, so
    it keeps sending traffic to a container that answers nothing and never restarts it; with
    one, a broken replica is taken out and replaced before users notice. Any of these reports
    health: a `HEALTHCHECK` in the final stage of a Dockerfile that ships (`HEALTHCHECK NONE`
    turns it off), a Kubernetes workload (or Helm chart) with both liveness and readiness
    probes, a KServe or Seldon deployment (they probe the model themselves), or a Compose
    healthcheck on the service Compose builds.
    """
    dockerfiles = shipping_dockerfiles(repo)
    for parsed in dockerfiles:
        final = parsed.final
        if final is not None and _healthcheck_enabled(parsed.last(final, "HEALTHCHECK")):
            return
    found = manifests(repo)
    if any(w.probed for w in found.workloads) or found.templated_with_probes:
        return
    if any(c.workload and c.liveness and c.readiness for c in found.charts):
        return
    built = [s for s in found.compose if s.build is not None]
    if any(_compose_service_healthy(repo, s) for s in built or found.compose):
        return

    target = _the_service_dockerfile(repo)
    looked = []
    if found.workloads or found.templated_with_probes or found.charts:
        looked.append("Kubernetes manifest")
    if found.compose_files:
        looked.append("Compose file")
    where = (
        f"no {' or '.join(looked)} sets liveness and readiness probes or a healthcheck"
        if looked
        else "no deployment manifest sets liveness and readiness probes"
    )
    if target is None:
        yield Violation(
            f"the service image reports no health and {where}: an orchestrator cannot tell a "
            "hung or model-less service from a healthy one, so it keeps routing requests to it"
        )
        return
    final = target.final
    if final is None:
        return
    disabled = target.last(final, "HEALTHCHECK")
    detail = (
        f" (`HEALTHCHECK NONE` on line {disabled.line} turns it off)"
        if disabled is not None
        else ""
    )
    yield Violation(
        f"the final stage of `{target.path}` has no `HEALTHCHECK`{detail} and {where}: an "
        "orchestrator cannot tell a hung or model-less service from a healthy one, so it "
        "keeps routing requests to it",
        target.path,
        disabled.line if disabled is not None else final.start.line,
    )


@rule(
    "CONT005",
    "leaky-build-context",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="`.dockerignore` exists and keeps `.git`, data, notebooks, `.env` and experiment "
    "stores out of the image.",
    remedy=(
        "Add the template's `.dockerignore` beside the build context (the repository root, or "
        "the service directory in a monorepo) and exclude `.git`, `.env`, `data/`, `*.csv`, "
        "`notebooks/`, `*.ipynb`, `mlruns/` and `wandb/`; or allow-list: `*`, then `!src/`, "
        "`!requirements.lock` and whatever else the image needs."
    ),
    requires=("CONT001",),
    examples=Examples(
        failing={"Dockerfile": _DOCKERFILE, ".dockerignore": ".git\n__pycache__/\n"},
        passing={"Dockerfile": _DOCKERFILE, ".dockerignore": _DOCKERIGNORE},
    ),
)
def leaky_build_context(repo: Snapshot) -> Iterator[Violation]:
    """`docker build` sends the whole build context to the builder, and one `COPY . .` bakes
    all of it into the image: the `.env` with the database password, gigabytes of training
    exports, notebooks with customer rows in their outputs, the `.git` history with every
    secret ever committed, and local MLflow or W&B runs. Everyone who can pull the image can
    read them, and the image is slow to build and ship. Files git ignores are judged too,
    because they are exactly what sits in a developer's build context. The context is not
    written in the Dockerfile, so an ignore file in the Dockerfile's directory or any directory
    above it counts (and `<Dockerfile>.dockerignore` beside it, and Podman's
    `.containerignore`); the first one that keeps everything out is enough.
    """
    missing: dict[str, list[str]] = {}
    reported: set[str] = set()
    for parsed in shipping_dockerfiles(repo):
        candidates = _ignore_files_for(repo, parsed.path)
        if not candidates:
            missing.setdefault(parsed.path.rpartition("/")[0], []).append(parsed.path)
            continue
        leaks = [_not_excluded(repo, candidate) for candidate in candidates]
        if not all(leaks):
            continue
        nearest, kinds = candidates[0], leaks[0]
        if nearest in reported:
            continue
        reported.add(nearest)
        yield Violation(
            f"`{nearest}` does not keep {_and(kinds)} out of the build context, so a "
            "`COPY . .` bakes them into the image for everyone who pulls it",
            nearest,
        )
    for directory, paths in sorted(missing.items()):
        place = f"in `{directory}/`" if directory else "at the repository root"
        shown = _and([f"`{p}`" for p in paths])
        yield Violation(
            f"no `.dockerignore` {place} (beside {shown}) or above it: `docker build` sends "
            "everything, `.git`, data, notebooks and `.env` included, and a `COPY . .` bakes it "
            "into the image",
            paths[0],
        )


@rule(
    "CONT006",
    "secret-in-image",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=DOCKERFILE_PATTERNS,
    summary="No secrets baked into the image: no `ENV` or `ARG` whose name says key, secret, "
    "token or password with a literal value.",
    remedy=(
        "Delete the literal and rotate the secret: it is in git history. Pass it at run time "
        "instead (the environment, `env_file` in `compose.yaml`, a Kubernetes Secret), read by "
        "`src/<package>/settings.py`; for a secret the build needs, use "
        "`docker build --secret` and `RUN --mount=type=secret`."
    ),
    examples=Examples(
        failing={"Dockerfile": "FROM python:3.11-slim\nENV OPENAI_API_KEY=sk-live-3f9a7c2e\n"},
        passing={
            "Dockerfile": "FROM python:3.11-slim\nARG HF_TOKEN\nENV TOKENIZERS_PARALLELISM=false\n"
        },
    ),
)
def secret_in_image(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """An `ENV` or `ARG` value is stored in the image's configuration and history: anyone who
    can pull the image reads it with `docker inspect` or `docker history`, and it is in git
    history too, so it is leaked the moment it is pushed. Names are matched by whole parts
    (`API_KEY`, `AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD`, `HF_TOKEN`), so `TOKENIZERS_PARALLELISM`
    or `MAX_TOKENS` are not secrets; nor is a name about a secret (`KEY_PATH`, `SECRET_NAME`,
    `AWS_ACCESS_KEY_ID`). Values that are empty, variable references (`${TOKEN}`), paths
    (`/run/secrets/...`), booleans or placeholders are not literal secrets.
    """
    if not ships(file.path):
        return
    parsed = dockerfile(repo, file.path)
    if parsed is None:
        return
    instructions = [*parsed.preamble, *(i for stage in parsed.stages for i in stage.body)]
    for instruction in instructions:
        if instruction.keyword not in ("ENV", "ARG"):
            continue
        for name, value in assignments(instruction):
            if secret_name(name) and literal_secret_value(value):
                yield Violation(
                    f"`{instruction.keyword} {name}` sets a literal value for what its name "
                    "says is a secret: it is baked into the image, where anyone who can pull "
                    "it reads it with `docker history`, and it is in git history too",
                    file.path,
                    parsed.line_mentioning(instruction, name),
                )


@rule(
    "CONT007",
    "unpinned-pip-install",
    stage=2,
    principle=Principle.CONTAINER,
    severity=Severity.WARNING,
    scope=Scope.FILE,
    files=DOCKERFILE_PATTERNS,
    summary="Dependencies are installed from a lock or pinned requirements, not bare "
    "`pip install name`.",
    remedy=(
        "Install from the lock, as the template's `Dockerfile` does: "
        "`pip install --no-deps -r requirements.lock` (every line pinned with `==`), then "
        "`pip install --no-deps .`; or `uv sync --frozen`, `poetry install`; or pin each "
        "package with `==`."
    ),
    examples=Examples(
        failing={"Dockerfile": "FROM python:3.11-slim\nRUN pip install fastapi uvicorn\n"},
        passing={"Dockerfile": _DOCKERFILE},
    ),
)
def unpinned_pip_install(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """`pip install fastapi uvicorn` installs whatever versions are newest on the day of the
    build, so two builds of the same commit differ, and a release of any dependency can break
    the service with no change to its code, or change its predictions silently. Installing
    from a lock (or exact `==` pins) makes the image what was tested. Installs from
    requirements files, constraints, hash-checked or local wheelhouse installs, the project
    itself (`pip install .`), paths and URLs pass, as do `uv sync`, `poetry install` and
    upgrades of the installer itself (`pip install -U pip`).
    """
    if not ships(file.path):
        return
    parsed = dockerfile(repo, file.path)
    if parsed is None:
        return
    for stage in parsed.stages:
        for instruction in stage.body:
            if instruction.keyword != "RUN":
                continue
            unpinned: list[str] = []
            for words in _script_lines(instruction):
                for command in _commands(words):
                    arguments = pip_install_arguments(command)
                    if arguments is not None:
                        unpinned += unpinned_requirements(arguments)
            if unpinned:
                named = _and([f"`{word}`" for word in dict.fromkeys(unpinned)])
                yield Violation(
                    f"`RUN` installs {named} without an `==` pin, so every build may get "
                    "newer versions than the ones tested and the image changes without a "
                    "code change",
                    file.path,
                    instruction.line,
                )


@rule(
    "OPS003",
    "missing-probes-or-limits",
    stage=3,
    principle=Principle.CONTAINER,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="Deployment manifests set probes and resource limits (Kubernetes, Helm values, "
    "Compose healthchecks).",
    remedy=(
        "Give every container a `livenessProbe`, a `readinessProbe` and "
        "`resources.limits.memory`, as the template's `deploy/k8s/deployment.yaml` does; in a "
        "Helm chart, set them in `values.yaml`; in `compose.yaml`, give each service a "
        "`healthcheck` (or build it from a Dockerfile with a `HEALTHCHECK`) and "
        "`deploy.resources.limits.memory` (or `mem_limit`)."
    ),
    examples=Examples(
        failing={
            "compose.yaml": 'services:\n  api:\n    build: .\n    ports: ["8000:8000"]\n',
        },
        passing={
            "compose.yaml": (
                "services:\n  api:\n    build: .\n    healthcheck:\n"
                '      test: ["CMD", "curl", "-f", "http://localhost:8000/healthz"]\n'
                "    deploy:\n      resources:\n        limits:\n          memory: 2g\n"
            ),
        },
    ),
)
def missing_probes_or_limits(repo: Snapshot) -> Iterator[Violation]:
    """In production the orchestrator decides when a replica gets traffic, when it is
    restarted and how much of the machine it may take, and it decides from the manifest.
    Without a readiness probe, requests reach a pod whose model is still loading; without a
    liveness probe, a hung worker is never restarted; without a memory limit, one model that
    grows (a leak, a large batch) can take every other service on the node down with it. CPU
    limits are not required: they throttle latency and many operators leave them out on
    purpose. Kustomize patches are judged with the workload they patch; Compose services that
    run once (`restart: "no"`) are not judged; a repository without deployment manifests has
    nothing to judge here.
    """
    found = manifests(repo)
    for workload in found.workloads:
        if workload.kind in _PLATFORM_PROBED:
            continue
        for container in workload.containers.values():
            if not container.image:
                continue
            missing = _lacking(container.liveness, container.readiness, container.memory_limit)
            if missing:
                yield Violation(
                    f"{workload.kind} `{workload.name}` (container `{container.name}`) in "
                    f"`{container.path}` sets {_and(missing)}: {_consequence(missing)}",
                    container.path,
                    container.line,
                )
    for chart in found.charts:
        if not chart.workload:
            continue
        missing = _lacking(chart.liveness, chart.readiness, chart.memory_limit)
        if missing:
            where = f"`{chart.values}`" if chart.values else "its values"
            yield Violation(
                f"Helm chart `{chart.directory}` sets {_and(missing)} in {where} or its "
                f"templates: {_consequence(missing)}",
                chart.values or chart.chart_file,
                chart.line if chart.values else None,
            )
    for service in found.compose:
        if service.job:
            continue
        missing = [
            label
            for label, present in (
                ("no healthcheck", _compose_service_healthy(repo, service)),
                ("no memory limit", service.memory_limit),
            )
            if not present
        ]
        if missing:
            yield Violation(
                f"Compose service `{service.name}` in `{service.path}` has {_and(missing)}: "
                f"{_consequence(missing)}",
                service.path,
                service.line,
            )


def _lacking(liveness: bool, readiness: bool, memory_limit: bool) -> list[str]:
    return [
        label
        for label, present in (
            ("no liveness probe", liveness),
            ("no readiness probe", readiness),
            ("no memory limit", memory_limit),
        )
        if not present
    ]


def _consequence(missing: Sequence[str]) -> str:
    reasons = []
    if any("probe" in m or "healthcheck" in m for m in missing):
        reasons.append(
            "the orchestrator cannot tell a loading or hung model service from a healthy one"
        )
    if any("memory" in m for m in missing):
        reasons.append("one model that grows in memory can starve everything else on the node")
    return ", and ".join(reasons)
