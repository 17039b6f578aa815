"""Secrets: no credential is committed, in code, configuration, documentation or notebook outputs.

SEC001 judges each file with detect-secrets' own plugins and false-positive filters, but runs
them only where a secret can be. Running detect-secrets on every line of every file costs
hundreds of times a plain read of the repository, so the check narrows in three steps, each
a necessary condition of the next:

1. the file's bytes: a few literal-prefix searches (`_file_passes`) find every token that any
   match of any chosen plugin contains (`AKIA`, `://`, `eyJ`, `ghp_`...). Most files stop here.
2. the line: it must hold one of the plugin's tokens and match one of the plugin's regular
   expressions (`_Kind.shapes`, which a test keeps identical to detect-secrets' own), and a
   match must survive the filters that need no import (`${DB_PASSWORD}`, `mlflow:mlflow@`,
   AWS's documented example keys).
3. detect-secrets itself, imported only now (it pulls in `requests`, a quarter of a second):
   the plugin's `analyze_string`, then detect-secrets' filters and ours.

Because each step only drops what the next would drop, the findings equal those of running the
same plugins and filters on every line; `tests/rules/test_secrets.py` checks that on a corpus.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.snapshot import Snapshot, SourceFile

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin

# -- what is scanned ---------------------------------------------------------------------------

SCANNED_SUFFIXES = (
    # code
    ".py",
    ".pyi",
    ".ipynb",
    ".r",
    ".R",
    ".jl",
    ".scala",
    ".java",
    ".js",
    ".ts",
    ".go",
    ".sql",
    ".sh",
    ".bash",
    ".zsh",
    ".ps1",
    ".tf",
    ".tfvars",
    # configuration and credentials files
    ".env",
    ".cfg",
    ".ini",
    ".conf",
    ".toml",
    ".yaml",
    ".yml",
    ".json",
    ".properties",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".pgpass",
    ".git-credentials",
    ".dockerfile",
    ".pem",
    ".key",
    ".ppk",
    ".asc",
    # documentation
    ".md",
    ".rst",
    ".txt",
)
"""Text that people write or tools write for them. Data exports (`.csv`, `.parquet`: DATA001's
concern), lock files and binaries are not scanned."""

SCANNED_NAMES = (
    "Dockerfile",
    "Containerfile",
    "Jenkinsfile",
    "Makefile",
    "Procfile",
    "credentials",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
)
"""Files known by name alone: build files that carry `--build-arg`s and install URLs, and
where credentials and keys are kept."""

_VARIANT_SUFFIXES = (
    ".local",
    ".production",
    ".prod",
    ".staging",
    ".development",
    ".dev",
    ".test",
    ".ci",
    ".gpu",
    ".example",
)
"""`.env.production`, `Dockerfile.gpu`: scanned when the name starts like one of _VARIANT_NAMES."""
_VARIANT_NAMES = (".env", "Dockerfile", "Containerfile")

_LOCK_FILES = frozenset(
    {
        "Brewfile.lock.json",
        "Cartfile.resolved",
        "composer.lock",
        "Gemfile.lock",
        "Package.resolved",
        "package-lock.json",
        "Podfile.lock",
        "yarn.lock",
        "Pipfile.lock",
        "poetry.lock",
        "Cargo.lock",
        "packages.lock.json",
    }
)
"""detect-secrets' `is_lock_file` list, checked here before anything is read."""


def is_scanned(path: str) -> bool:
    """True for the files SEC001 reads: code, configuration, documentation, notebooks."""
    name = path.rpartition("/")[2]
    if name in _LOCK_FILES or "swagger" in path:  # detect-secrets' is_lock_file, is_swagger_file
        return False
    if name.endswith(SCANNED_SUFFIXES) or name in SCANNED_NAMES:
        return True
    return name.endswith(_VARIANT_SUFFIXES) and name.startswith(_VARIANT_NAMES)


# -- the secrets looked for ----------------------------------------------------------------------


def _re(pattern: str, flags: int = 0) -> tuple[str, int]:
    return (pattern, flags)


@cache
def _compiled(patterns: tuple[tuple[str, int], ...]) -> tuple[re.Pattern[str], ...]:
    """Compiled on first use: compiling every plugin's patterns at import would slow every start
    of the pre-commit hook, which imports every rule module."""
    return tuple(re.compile(pattern, flags) for pattern, flags in patterns)


class _Kind(NamedTuple):
    """One detect-secrets plugin, with what a line must contain for it to find anything."""

    plugin: str
    """The detect-secrets class name; ours for the few narrowed or added below."""
    label: str
    """How the message names it, with its article."""
    tokens: tuple[str, ...]
    """Literal text that every match of every one of the plugin's regular expressions holds."""
    patterns: tuple[tuple[str, int], ...]
    """The plugin's regular expressions (pattern, flags): for detect-secrets' plugins, copies of
    its `denylist` (a test keeps them identical); for ours, the `denylist` itself."""

    @property
    def shapes(self) -> tuple[re.Pattern[str], ...]:
        return _compiled(self.patterns)


_PRIVATE_KEY_HEADERS = (
    "BEGIN DSA PRIVATE KEY",
    "BEGIN EC PRIVATE KEY",
    "BEGIN OPENSSH PRIVATE KEY",
    "BEGIN PGP PRIVATE KEY BLOCK",
    "BEGIN PRIVATE KEY",
    "BEGIN RSA PRIVATE KEY",
    "BEGIN SSH2 ENCRYPTED PRIVATE KEY",
    "PuTTY-User-Key-File-2",
)
_BASIC_AUTH_EXCLUDED = re.escape(":/?#[]@" + "!$&'()*+,;=")

KINDS: tuple[_Kind, ...] = (
    _Kind(
        "AWSKeyDetector",
        "an AWS Access Key",
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T", "aws", "AWS", "Aws"),
        (
            _re(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}"),
            # detect-secrets matches `aws` in any case; real names spell it aws, AWS or Aws.
            _re(
                r"(?-i:aws|AWS|Aws).{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?"
                r"[\'\"]([0-9a-zA-Z/+]{40})[\'\"]",
                re.IGNORECASE,
            ),
        ),
    ),
    _Kind(
        "AzureStorageKeyDetector",
        "an Azure Storage account access key",
        ("AccountKey=",),
        (_re(r"AccountKey=[a-zA-Z0-9+\/=]{88}"),),
    ),
    _Kind(
        "BasicAuthDetector",
        "a password in a URL (Basic Auth Credentials)",
        ("://",),
        (
            _re(
                rf"://[^{_BASIC_AUTH_EXCLUDED}\s]+:([^{_BASIC_AUTH_EXCLUDED}\s]+)@",
            ),
        ),
    ),
    _Kind(
        "GitHubTokenDetector",
        "a GitHub Token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        (_re(r"(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}"),),
    ),
    _Kind(
        "GitLabTokenDetector",
        "a GitLab Token",
        (
            "glpat-",
            "gldt-",
            "glft-",
            "glsoat-",
            "glrt-",
            "GR1348941",
            "glcbt-",
            "glimt-",
            "glptt-",
            "glagent-",
            "gloas-",
        ),
        (
            _re(r"(glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_\-]{20,50}(?!\w)"),
            _re(r"GR1348941[A-Za-z0-9_\-]{20,50}(?!\w)"),
            _re(r"glcbt-([0-9a-fA-F]{2}_)?[A-Za-z0-9_\-]{20,50}(?!\w)"),
            _re(r"glimt-[A-Za-z0-9_\-]{25}(?!\w)"),
            _re(r"glptt-[A-Za-z0-9_\-]{40}(?!\w)"),
            _re(r"glagent-[A-Za-z0-9_\-]{50,1024}(?!\w)"),
            _re(r"gloas-[A-Za-z0-9_\-]{64}(?!\w)"),
        ),
    ),
    _Kind(
        "JwtTokenDetector",
        "a JSON Web Token",
        ("eyJ",),
        (_re(r"eyJ[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.?[A-Za-z0-9-_.+/=]*?"),),
    ),
    _Kind(
        "NpmDetector",
        "an NPM token",
        ("/:_authToken=",),
        (_re(r"\/\/.+\/:_authToken=\s*((npm_.+)|([A-Fa-f0-9-]{36})).*"),),
    ),
    _Kind(
        "OpenAIDetector",
        "an OpenAI Token",
        ("T3BlbkFJ",),
        (_re(r"sk-[A-Za-z0-9-_]*[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"),),
    ),
    _Kind(
        "PrivateKeyDetector",
        "a Private Key",
        ("PRIVATE KEY", "PuTTY-User-Key-File-2"),
        tuple(_re(header) for header in _PRIVATE_KEY_HEADERS),
    ),
    _Kind(
        "PypiTokenDetector",
        "a PyPI Token",
        ("pypi-AgE",),
        (
            _re(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9-_]{70,}"),
            _re(r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9-_]{70,}"),
        ),
    ),
    _Kind(
        "SendGridDetector",
        "a SendGrid API Key",
        ("SG.",),
        (_re(r"SG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}"),),
    ),
    _Kind(
        "SlackDetector",
        "a Slack Token",
        # detect-secrets matches `xox` in any case; Slack issues it in lower case only.
        (*(f"xox{c}-" for c in "abposrABPOSR"), "://"),
        (
            _re(r"(?-i:xox)(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+", re.IGNORECASE),
            _re(
                r"https://hooks\.slack\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+",
                re.IGNORECASE | re.VERBOSE,
            ),
        ),
    ),
    _Kind(
        "SquareOAuthDetector",
        "a Square OAuth Secret",
        ("sq0csp-",),
        (_re(r"sq0csp-[0-9A-Za-z\\\-_]{43}"),),
    ),
    _Kind(
        "StripeDetector",
        "a Stripe Access Key",
        ("sk_live_", "rk_live_"),
        (_re(r"(?:r|s)k_live_[0-9a-zA-Z]{24}"),),
    ),
    _Kind(
        "HuggingFaceTokenDetector",
        "a Hugging Face Token",
        ("hf_",),
        (_re(r"(?<![A-Za-z0-9_])hf_[A-Za-z]{34}(?![A-Za-z0-9_])"),),
    ),
)
"""The plugins SEC001 runs. Left out, for precision: KeywordDetector and the high-entropy
string plugins (they flag any `password = ...` and any random-looking string), IPPublicDetector
(an address is no secret), the keyword-assignment plugins of IBM Cloud, IBM COS, Cloudant and
SoftLayer (generic `key = <44 characters>` shapes), ArtifactoryDetector (it matches capitalised
words such as `APACHEAIRFLOW`), TwilioKeyDetector (account and key SIDs are identifiers, not
credentials), and the Discord, Telegram and Mailchimp plugins (shapes with no literal anchor,
which match hashes and ids in notebook outputs). `HuggingFaceTokenDetector` is ours: model hub
tokens are the credential ML code leaks most, and detect-secrets has no plugin for them."""

NARROWED = frozenset({"AWSKeyDetector", "SlackDetector"})
"""Plugins whose vendor prefix detect-secrets matches in any case, narrowed to the casings real
credentials use, so the byte prefilter can look for them literally."""
OURS = {"HuggingFaceTokenDetector": "Hugging Face Token"}
"""Our plugins, by class name, with their secret type."""

# -- step 1: the bytes of a file -----------------------------------------------------------------


@cache
def _file_passes() -> tuple[re.Pattern[bytes], ...]:
    """Searches that together find every token of every kind (a test checks each token).

    Each pattern starts with one literal character, which the regular expression engine scans
    for quickly; lookbehinds then check the rest of the token. Seven scans of the bytes cost
    less than one parse of them.
    """
    return tuple(
        re.compile(pattern)
        for pattern in (
            rb"A(?:KIA|SIA|BIA|CCA|3T|WS|ws|ccountKey=|(?<=PRIVA)TE KEY)",
            rb"ws(?<=aws)",
            rb"/(?:/(?<=://)|:_authToken=)",
            rb"-(?:(?<=xox[abposrABPOSR]-)|(?<=glpat-|glcbt-|glimt-|glptt-|gloas-)"
            rb"|(?<=gldt-|glft-|glrt-)|(?<=glsoat-|sq0csp-)|(?<=glagent-)|(?<=pypi-)AgE"
            rb"|(?<=PuTTY-)User-Key-File-2)",
            rb"_(?:(?<=gh[pousr]_)|(?<=hf_)|live_(?<=[rs]k_live_))",
            rb"J(?:(?<=eyJ)|(?<=T3BlbkFJ))",
            rb"G(?:R1348941|(?<=SG)\.)",
        )
    )


def may_hold_secret(data: bytes) -> bool:
    """False when no chosen plugin can find anything in these bytes: the cheap first step."""
    return any(search.search(data) for search in _file_passes())


def candidate_paths(repo: Snapshot) -> frozenset[str]:
    """The scanned files whose bytes may hold a secret: `may_hold_secret` on each file, batched.

    Searching one buffer of every file, separated by NUL bytes (which no token holds, so no
    match can span two files), saves a Python call per file and search: it is several times
    faster than asking file by file, and gives the same answer for each file.
    """
    paths: list[str] = []
    chunks: list[bytes] = []
    for file in repo:
        if not is_scanned(file.path):
            continue
        data = repo.read_bytes(file.path)
        if data:
            paths.append(file.path)
            chunks.append(without_embedded_images(data) if file.path.endswith(".ipynb") else data)
    starts: list[int] = []
    offset = 0
    for chunk in chunks:
        starts.append(offset)
        offset += len(chunk) + 1
    buffer = b"\0".join(chunks)
    found: set[int] = set()
    for search in _file_passes():
        position = 0
        while (match := search.search(buffer, position)) is not None:
            index = bisect.bisect_right(starts, match.start()) - 1
            found.add(index)
            position = starts[index + 1] if index + 1 < len(starts) else len(buffer)
    return frozenset(paths[index] for index in found)


_IMAGE_KEY = b'"image/'
_JSON_SPACE = b" \t\r\n"


def without_embedded_images(data: bytes) -> bytes:
    """A notebook's bytes without its base64 image outputs, which are never scanned.

    Random base64 holds short tokens such as `AWS` by chance, which would send every notebook
    with a plot to the parser. Only a string value that directly follows an `"image/...":` key
    is cut, and only when its closing quote is certain (not preceded by a backslash), so no
    scanned text can be lost: text inside JSON strings has its quotes escaped.
    """
    start = data.find(_IMAGE_KEY)
    if start < 0:
        return data
    parts: list[bytes] = []
    kept = 0
    while start >= 0:
        resume = start + len(_IMAGE_KEY)
        key_end = data.find(b'"', resume)
        if key_end < 0:
            break
        if start > 0 and data[start - 1] not in b" \t\r\n{,":
            start = data.find(_IMAGE_KEY, resume)
            continue  # an escaped quote inside some string, not a key
        value = _after_colon(data, key_end + 1)
        if value is not None and data[value : value + 1] == b'"':
            value_end = data.find(b'"', value + 1)
            if value_end < 0:
                break
            if data[value_end - 1] != 0x5C:  # a backslash would make the quote part of the text
                parts.append(data[kept : value + 1])
                kept = value_end
            resume = value_end
        start = data.find(_IMAGE_KEY, resume)
    parts.append(data[kept:])
    return b"".join(parts)


def _after_colon(data: bytes, index: int) -> int | None:
    """The index of the first character of a JSON value after a key ending before `index`."""
    size = len(data)
    while index < size and data[index] in _JSON_SPACE:
        index += 1
    if index >= size or data[index] != 0x3A:  # ':'
        return None
    index += 1
    while index < size and data[index] in _JSON_SPACE:
        index += 1
    return index


# -- steps 2 and 3: lines, then detect-secrets ---------------------------------------------------


class Hit(NamedTuple):
    """A secret found in a text: its 1-based line there and the kind of secret."""

    line: int
    label: str
    plugin: str
    """The detect-secrets class name of the plugin that found it."""


class Scanner:
    """detect-secrets' plugins and filters, plus ours, applied to the lines of one text.

    Built once per process: the plugins are stateless.
    """

    def __init__(self, kinds: Sequence[_Kind] = KINDS, *, prodcheck_filters: bool = True) -> None:
        self.kinds = tuple(kinds)
        self.plugins: tuple[BasePlugin, ...] = tuple(_plugin(kind) for kind in self.kinds)
        self.prodcheck_filters = prodcheck_filters
        from detect_secrets.filters import heuristic
        from detect_secrets.filters.allowlist import is_line_allowlisted
        from detect_secrets.util.code_snippet import get_code_snippet

        self._allowlisted = is_line_allowlisted
        self._snippet = get_code_snippet
        self._secret_filters: tuple[Callable[[str], bool], ...] = (
            heuristic.is_sequential_string,
            heuristic.is_potential_uuid,
            heuristic.is_templated_secret,
            heuristic.is_prefixed_with_dollar_sign,
            heuristic.is_not_alphanumeric_string,
        )

    def scan(
        self, filename: str, lines: Sequence[str], *, every_line: bool = False
    ) -> Iterator[Hit]:
        """The secrets in `lines`, one per line and kind; `every_line` skips steps 1 and 2, as
        the tests' reference does."""
        lines = list(lines)
        for index, raw in enumerate(lines):
            line = raw.rstrip()
            wanted = (
                range(len(self.kinds))
                if every_line
                else likely_kinds(line, self.kinds, prodcheck_filters=self.prodcheck_filters)
            )
            if not wanted or self._allowlisted(
                filename=filename, line=line, context=self._snippet(lines, index + 1)
            ):
                continue
            for number in wanted:
                kind = self.kinds[number]
                if any(
                    not self._filtered(kind, secret, line, lines, index)
                    for secret in self.plugins[number].analyze_string(line)
                ):
                    yield Hit(index + 1, kind.label, kind.plugin)

    def _filtered(
        self, kind: _Kind, secret: str, line: str, lines: Sequence[str], index: int
    ) -> bool:
        if any(check(secret) for check in self._secret_filters):
            return True
        if not self.prodcheck_filters:
            return False
        if _is_published_example(secret):
            return True
        if kind.plugin == "BasicAuthDetector":
            return _is_placeholder_credential(line, secret)
        if kind.plugin == "PrivateKeyDetector":
            return not _has_key_material(lines, index)
        return False


_ALL_TOKENS = tuple({token for kind in KINDS for token in kind.tokens})


def likely_kinds(
    line: str, kinds: Sequence[_Kind] = KINDS, *, prodcheck_filters: bool = True
) -> list[int]:
    """The kinds that may find a secret in the line: one of their tokens is there, one of their
    regular expressions matches, and a match survives the filters cheap enough to run before
    detect-secrets is imported (all of them run again afterwards)."""
    if kinds is KINDS and not any(token in line for token in _ALL_TOKENS):
        return []  # most lines of a candidate file hold no token at all
    return [
        number
        for number, kind in enumerate(kinds)
        if any(token in line for token in kind.tokens)
        and any(
            not _dropped_early(kind, secret, line, prodcheck_filters)
            for secret in _matches(kind, line)
        )
    ]


def _matches(kind: _Kind, line: str) -> Iterator[str]:
    """What `RegexBasedDetector.analyze_string` yields (before a plugin's own extra checks)."""
    for shape in kind.shapes:
        for match in shape.findall(line):
            if isinstance(match, tuple):
                yield from (group for group in match if group)
            else:
                yield match


def _dropped_early(kind: _Kind, secret: str, line: str, prodcheck_filters: bool) -> bool:
    """detect-secrets' templated and dollar-sign filters, restated (`${DB_PASSWORD}`, `{pw}`,
    `<token>`, `$TOKEN`), and ours that need no context: placeholders should not cost the
    quarter second detect-secrets takes to import."""
    if (
        secret.startswith("$")
        or (secret.startswith("{") and secret.endswith("}"))
        or (secret.startswith("<") and secret.endswith(">"))
    ):
        return True
    if not prodcheck_filters:
        return False
    if _is_published_example(secret):
        return True
    return kind.plugin == "BasicAuthDetector" and _is_placeholder_credential(line, secret)


@cache
def scanner() -> Scanner:
    return Scanner()


def _plugin(kind: _Kind) -> BasePlugin:
    """The detect-secrets plugin of a kind; narrowed and added ones are subclasses."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    by_type: dict[str, type[Any]] = get_mapping_from_secret_type_to_class()
    classes = {c.__name__: c for c in by_type.values()}
    plugin_class: type[Any]
    if kind.plugin in OURS:
        attributes = {"secret_type": OURS[kind.plugin], "denylist": kind.shapes}
        plugin_class = type(kind.plugin, (RegexBasedDetector,), attributes)
    elif kind.plugin in NARROWED:
        plugin_class = type(kind.plugin, (classes[kind.plugin],), {"denylist": kind.shapes})
    else:
        plugin_class = classes[kind.plugin]
    plugin: BasePlugin = plugin_class()
    return plugin


# -- our filters ---------------------------------------------------------------------------------

PUBLISHED_EXAMPLES = (
    # AWS's documented keys: AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    "EXAMPLE",
    # the claims of jwt.io's sample token ({"sub": "1234567890", "name": "John Doe", ...})
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
)
_PLACEHOLDER_PASSWORDS = frozenset(
    {
        "pass",
        "pwd",
        "pw",
        "secret",
        "test",
        "testing",
        "dummy",
        "fake",
        "example",
        "changeit",
        "placeholder",
        "redacted",
        "token",
        "apikey",
        "api_key",
        "key",
        "xxx",
    }
)
_PLACEHOLDER_PARTS = (
    "password",
    "passwd",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "redacted",
    "yourpass",
    "your_pass",
    "your-pass",
)
_PLACEHOLDER_HOSTS = (
    r"^(?:(?:[\w.-]+\.)?example(?:\.(?:com|org|net))?|localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0)$"
)
"""Documentation domains (RFC 2606) and the loopback: a credential that works nowhere else."""
_KEY_MATERIAL = r"[A-Za-z0-9+/]{40,}"


def _is_published_example(secret: str) -> bool:
    """A value vendors publish in their documentation, such as AKIAIOSFODNN7EXAMPLE."""
    return any(example in secret for example in PUBLISHED_EXAMPLES)


def _is_placeholder_credential(line: str, password: str) -> bool:
    """`postgres://user:password@`, `mlflow:mlflow@`, `...@db.example.com`, `...@localhost`:
    not a real password.

    A password equal to its user name is how compose files wire local services together; a
    password for the loopback opens a database on the developer's own machine only.
    """
    lowered = password.lower()
    if (
        lowered in _PLACEHOLDER_PASSWORDS
        or any(part in lowered for part in _PLACEHOLDER_PARTS)
        or len(set(lowered)) == 1
    ):
        return True
    pattern = rf"://([^\s:/@]+):{re.escape(password)}@([^\s:/?#]+)"
    for match in re.finditer(pattern, line):
        user, host = match.groups()
        if user.lower() == lowered or re.match(_PLACEHOLDER_HOSTS, host, re.IGNORECASE):
            return True
    return False


def _has_key_material(lines: Sequence[str], index: int) -> bool:
    """A private key header followed by its base64 body, on its line or the next five.

    A header alone is how code and documentation talk about keys
    (`if text.startswith("-----BEGIN RSA PRIVATE KEY-----")`).
    """
    return any(
        _is_base64_body(run.group())
        for line in lines[index : index + 6]
        for run in re.finditer(_KEY_MATERIAL, line)
    )


def _is_base64_body(run: str) -> bool:
    """Mixed case and digits, as key bodies are: not a `====` underline or a long word."""
    return (
        any(c.isdigit() for c in run)
        and any(c.islower() for c in run)
        and any(c.isupper() for c in run)
    )


# -- notebooks -----------------------------------------------------------------------------------


class _Text(NamedTuple):
    """A stretch of scanned text: a file, a cell's source, or a cell's output."""

    lines: list[str]
    cell: int | None = None
    output: bool = False


def _notebook_texts(repo: Snapshot, path: str) -> list[_Text] | None:
    """Every cell's source and text outputs; None when the notebook cannot be read."""
    notebook = repo.notebook(path)
    if notebook is None:
        return None
    texts: list[_Text] = []
    for index, cell in enumerate(notebook.cells):
        texts.append(_Text(_joined(cell.get("source", "")).splitlines(), index))
        outputs = cell.get("outputs", [])
        for output in outputs if isinstance(outputs, list) else []:
            if not isinstance(output, dict):
                continue
            data = output.get("data")
            pieces = [
                output.get("text"),
                data.get("text/plain") if isinstance(data, dict) else None,
                output.get("evalue"),
                output.get("traceback"),
            ]
            text = "\n".join(_joined(piece) for piece in pieces if piece)
            if text:
                texts.append(_Text(text.splitlines(), index, output=True))
    return texts


def _joined(value: object) -> str:
    if isinstance(value, list):
        return "".join(item if isinstance(item, str) else "" for item in value)
    return value if isinstance(value, str) else ""


# -- the rule ------------------------------------------------------------------------------------


def secrets_in(repo: Snapshot, file: SourceFile, *, prefilter: bool = True) -> Iterator[Violation]:
    """SEC001's findings in one file; `prefilter=False` scans every line (the tests' reference)."""
    if prefilter:
        if file.path not in repo.memo(candidate_paths):
            return  # the common case, first: this runs on every scanned file
    elif not is_scanned(file.path) or not repo.read_bytes(file.path):
        return
    is_notebook = file.path.endswith(".ipynb")
    texts = _notebook_texts(repo, file.path) if is_notebook else None
    if texts is None:  # a plain file, or a notebook nbformat cannot read: its lines as they are
        if repo.text(file.path) is None:
            return
        texts = [_Text(repo.lines(file.path))]
    for text in texts:
        if prefilter and not any(likely_kinds(line) for line in text.lines):
            continue  # detect-secrets is imported only once a line looks like a secret
        where = f"a cell output of `{file.path}`" if text.output else f"`{file.path}`"
        for hit in scanner().scan(file.path, text.lines, every_line=not prefilter):
            yield Violation(
                f"{hit.label} is committed in {where}: anyone who can read the repository "
                "or its history can use it, so revoke it and read it from the environment",
                file.path,
                None if text.output else hit.line,
                text.cell,
            )


@rule(
    "SEC001",
    "committed-secret",
    stage=2,
    principle=Principle.GOVERNANCE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=(
        *(f"*{suffix}" for suffix in (*SCANNED_SUFFIXES, *_VARIANT_SUFFIXES)),
        *SCANNED_NAMES,
    ),
    summary="No secrets in tracked files, notebook outputs included: cloud keys, private keys, "
    "API tokens, passwords in URLs.",
    remedy=(
        "Revoke the credential first (deleting the line leaves it in git history), then read it "
        "at run time from the environment, as the template's `src/<package>/settings.py` does "
        "with pydantic-settings, and keep `.env` in `.gitignore`. Clear notebook outputs before "
        "committing. The template's `.pre-commit-config.yaml` runs prodcheck, so SEC001 stops "
        "the next one at commit time. A documented fake value can stay with "
        "`# pragma: allowlist secret` or `# prodcheck: ignore[SEC001] <reason>` on its line."
    ),
    examples=Examples(
        failing={
            "src/churn/extract.py": (
                "from sqlalchemy import create_engine\n\n"
                'engine = create_engine("postgresql://analyst:'
                'Tr0ub4dor-3@warehouse.acme.internal/sales")\n'
            ),
        },
        passing={
            "src/churn/extract.py": (
                "import os\n\nfrom sqlalchemy import create_engine\n\n"
                'engine = create_engine(os.environ["DATABASE_URL"])\n'
            ),
        },
    ),
)
def committed_secret(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """A key committed to git is a key given to everyone who can read the repository, its forks
    and its history, including the contractor who cloned it last year. Pilots leak them the
    usual ways: a notebook cell that sets `AWS_SECRET_ACCESS_KEY`, a database URL with the
    password in it, a token printed into a cell output. Security reviews stop such a project at
    the door to production, and rightly: the credential must be revoked, because deleting the
    line leaves it in history. Test files are scanned too: a real-looking key in a test leaks
    the same way, and a fake one is easy to mark.
    """
    yield from secrets_in(repo, file)
