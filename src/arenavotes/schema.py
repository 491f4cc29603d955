"""The canonical tables of a workspace and the vocabulary they use.

Every stage reads and writes these tables; their column lists are the contract between stages,
releases and the SQL that researchers write. Texts live in ``conversations`` so that metadata
queries over ``battles`` never touch text.

>>> WINNERS
('model_a', 'model_b', 'tie', 'tie_bothbad')
>>> canonical_winner("tie (bothbad)")
'tie_bothbad'
"""

from __future__ import annotations

from arenavotes.vocab import WINNER_ALIASES, WINNERS, canonical_winner  # noqa: F401  (the vocabulary lives there)

#: Per-side style features (LMArena ``conv_metadata`` definitions, summed over assistant turns).
STYLE_FEATURES: tuple[str, ...] = ("tokens", "headers", "lists", "bold")
#: Style features some arena kinds add (LMArena's search-arena style control counts citations).
ARENA_STYLE_FEATURES: dict[str, tuple[str, ...]] = {"search": ("citations",)}

BATTLES_DDL = """
CREATE TABLE IF NOT EXISTS battles (
    battle_id   VARCHAR NOT NULL,      -- '<source>:<source id>' or '<source>:h<hash of the record>'; unique,
                                       -- checked by ingest (no key index: it would grow with N, unevictable)
    source      VARCHAR NOT NULL,      -- the name the file was ingested under
    source_id   VARCHAR,               -- the id the source gave the battle, if any
    tstamp      TIMESTAMPTZ,           -- vote time, UTC
    model_a     VARCHAR NOT NULL,
    model_b     VARCHAR NOT NULL,
    winner      VARCHAR NOT NULL CHECK (winner IN ('model_a', 'model_b', 'tie', 'tie_bothbad')),
    voter_id    VARCHAR,               -- HMAC-SHA256 pseudonym of the voter; never the raw id
    anony       BOOLEAN,               -- were the model names hidden when the vote was cast
    language    VARCHAR,
    turns       INTEGER,               -- user turns in the conversation
    tokens_a    INTEGER, tokens_b  INTEGER,   -- answer tokens (cl100k_base), summed over turns
    headers_a   INTEGER, headers_b INTEGER,   -- markdown headers h1-h6
    lists_a     INTEGER, lists_b   INTEGER,   -- ordered + unordered list items
    bold_a      INTEGER, bold_b    INTEGER,   -- **bold** and __bold__ spans
    arena       VARCHAR NOT NULL DEFAULT 'text',  -- what was compared: text, vision, text-to-image, image-edit,
                                                  -- webdev, search, code-completion (vocab.ARENA_KINDS)
    citations_a INTEGER, citations_b INTEGER  -- search arenas: web sources cited, summed over turns
)
"""

CONVERSATIONS_DDL = """
CREATE TABLE IF NOT EXISTS conversations (
    battle_id VARCHAR NOT NULL,
    side      VARCHAR NOT NULL CHECK (side IN ('a', 'b', 'prompt')),  -- 'prompt': prompt-only sources
    msg       INTEGER NOT NULL,   -- 1-based position of the message in its side's conversation: the key
                                  -- (battle_id, side, msg) is unique, even for two answers in one turn
    turn      INTEGER NOT NULL,   -- 1-based; a user message and the answer to it share a turn
    role      VARCHAR NOT NULL,   -- user | assistant | system
    content   VARCHAR
)
"""

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS quarantine (
    source      VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    row_number  BIGINT,              -- 1-based, counted as 'location' says
    location    VARCHAR NOT NULL,    -- 'line 17', 'row 3', 'element 9', 'file'
    reason      VARCHAR NOT NULL,    -- a code such as unknown_winner, invalid_json, same_model
    detail      VARCHAR,             -- human-readable: which field, which value
    raw         VARCHAR,             -- the record as text, voter ids and IPs replaced by pseudonyms
    run_id      VARCHAR NOT NULL
)
"""

PROMPT_LABELS_DDL = """
CREATE TABLE IF NOT EXISTS prompt_labels (
    battle_id VARCHAR NOT NULL,
    labeler   VARCHAR NOT NULL,      -- kind/name@version: 'offline/rules@1', 'judge/<model>:<template>@1',
                                     -- 'source/<name>' for labels that came with the data
    category  VARCHAR NOT NULL,      -- hard_prompt, math, creative_writing, coding, ...
    value     BOOLEAN NOT NULL,      -- is the prompt in the category
    score     DOUBLE                 -- the labeler's score behind the decision, if any
)
"""

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR NOT NULL,
    stage         VARCHAR NOT NULL,
    code_version  VARCHAR NOT NULL,
    settings_hash VARCHAR NOT NULL,
    started       TIMESTAMPTZ NOT NULL,
    finished      TIMESTAMPTZ NOT NULL,
    target        VARCHAR,           -- what the run worked on (a file, a category, ...)
    rows_in       BIGINT,
    rows_out      BIGINT,
    counts        JSON               -- stage-specific counts, e.g. quarantined rows by reason
)
"""

SOURCES_DDL = """
CREATE TABLE IF NOT EXISTS sources (
    source      VARCHAR PRIMARY KEY,
    file        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,    -- content hash of the file as read (before decompression)
    format      VARCHAR NOT NULL,
    options     VARCHAR NOT NULL,    -- JSON of the reader options (--map, ...)
    rows_in     BIGINT NOT NULL,
    kept        BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    run_id      VARCHAR NOT NULL
)
"""

LEADERBOARDS_DDL = """
CREATE TABLE IF NOT EXISTS leaderboards (
    scope        VARCHAR NOT NULL,   -- which battles: the source names and filters (arenavotes rate --name)
    labeler      VARCHAR NOT NULL,   -- '' for the overall board, else the labeler of the category
    category     VARCHAR NOT NULL,   -- 'overall' or a prompt_labels category
    component    INTEGER NOT NULL,   -- group of models that met (1 = the most battles); ratings and ranks
                                     -- compare only within a group: groups that never met are rated apart
    model        VARCHAR NOT NULL,
    rating       DOUBLE NOT NULL,    -- Elo scale (400, base 10), mean 1000 or the anchor's rating
    ci_lower     DOUBLE,
    ci_upper     DOUBLE,
    rank         INTEGER NOT NULL,   -- 1 + models with a higher rating
    rank_ub      INTEGER NOT NULL,   -- 1 + models whose ci_lower is above this ci_upper (LMArena's rank)
    rank_worst   INTEGER NOT NULL,   -- models whose ci_upper is not below this ci_lower
    rank_q025    DOUBLE,             -- rank spread over bootstrap rounds (or sandwich draws)
    rank_q975    DOUBLE,
    battles      BIGINT NOT NULL,
    provisional  BOOLEAN NOT NULL,   -- fewer battles than the minimum (default 300)
    online_elo   DOUBLE,             -- FastChat's online Elo (K=4) in time order, for comparison
    loo_max_change DOUBLE,           -- largest rating change from removing one voter
    method       VARCHAR NOT NULL,
    params       JSON NOT NULL,
    run_id       VARCHAR NOT NULL
)
"""

LEADERBOARD_STATS_DDL = """
CREATE TABLE IF NOT EXISTS leaderboard_stats (
    scope VARCHAR NOT NULL, labeler VARCHAR NOT NULL, category VARCHAR NOT NULL, component INTEGER NOT NULL,
    battles BIGINT, models INTEGER, pairs_met INTEGER, pairs_possible INTEGER, components INTEGER,
    kendall_tau_vs_overall DOUBLE,      -- rank agreement with the overall board on common models
    voters BIGINT, loo_max_change DOUBLE, loo_worst_voter VARCHAR,
    tie_parameter DOUBLE, excluded_flagged BIGINT, run_id VARCHAR NOT NULL
)
"""

STYLE_COEFFICIENTS_DDL = """
CREATE TABLE IF NOT EXISTS style_coefficients (
    scope VARCHAR NOT NULL, labeler VARCHAR NOT NULL, category VARCHAR NOT NULL, component INTEGER NOT NULL,
    feature VARCHAR NOT NULL, coef DOUBLE, ci_lower DOUBLE, ci_upper DOUBLE,   -- logit units per sd
    battles BIGINT, reg DOUBLE, run_id VARCHAR NOT NULL
)
"""

FLAGS_DDL = """
CREATE TABLE IF NOT EXISTS flags (
    battle_id VARCHAR NOT NULL,
    flag      VARCHAR NOT NULL,   -- duplicate_prompt, prompt_capped, near_duplicate_prompt, duplicate_vote,
                                  -- fast_vote, daily_cap, identity_leak, anomalous_voter, position_bias_voter,
                                  -- single_model_voter, campaign_voter, campaign_suspect, rating_surge
    detector  VARCHAR NOT NULL,   -- name/version of the detector, e.g. prompts/exact@1
    score     DOUBLE,             -- detector-specific strength (a count, a gap in seconds, a -log10 p-value)
    reason    VARCHAR NOT NULL,   -- why, readable
    run_id    VARCHAR NOT NULL
)
"""

JUDGE_CACHE_DDL = """
CREATE TABLE IF NOT EXISTS judge_cache (
    key      VARCHAR PRIMARY KEY,   -- sha256 of template@version, model and the (cut) prompt
    response VARCHAR NOT NULL
)
"""

PII_FINDINGS_DDL = """
CREATE TABLE IF NOT EXISTS pii_findings (
    battle_id  VARCHAR NOT NULL,
    side       VARCHAR NOT NULL,
    turn       INTEGER NOT NULL,
    role       VARCHAR NOT NULL,
    entity     VARCHAR NOT NULL,   -- EMAIL_ADDRESS, PHONE_NUMBER, PERSON, API_KEY, ...
    count      INTEGER NOT NULL,   -- spans replaced in that message
    max_score  DOUBLE,
    recognizer VARCHAR NOT NULL,   -- name@version; the raw value is never stored
    run_id     VARCHAR NOT NULL
)
"""

EMBEDDINGS_DDL = """
CREATE TABLE IF NOT EXISTS embeddings (   -- the text-encoder cache: one vector per (encoder, text), never per battle
    encoder   VARCHAR NOT NULL,   -- name@version of the encoder (arenavotes.embeddings)
    text_hash VARCHAR NOT NULL,   -- sha256 (hex) of the text's UTF-8 bytes; the text itself is not stored here
    vector    FLOAT[] NOT NULL    -- unit length (or all zero: no known token)
)
"""

P2L_DDL = """
CREATE TABLE IF NOT EXISTS p2l_meta (      -- one prompt-to-leaderboard index per scope (arenavotes.p2l.store)
    scope       VARCHAR PRIMARY KEY,
    encoder     VARCHAR NOT NULL,   -- name@version of the text encoder
    fingerprint VARCHAR NOT NULL,   -- the sources' runs and the selection it was built from
    models      VARCHAR NOT NULL,   -- JSON list; column i*K+j of p2l_cells is models[i] vs models[j]
    theta0      VARCHAR NOT NULL,   -- JSON list: the overall board, natural units, mean 0
    k           INTEGER NOT NULL,   -- neighbour prompts per query
    lam         DOUBLE,             -- prior precision toward the board (NULL: the board itself)
    tuning      VARCHAR NOT NULL,   -- JSON: leave-one-prompt-out log-loss of each grid point
    prompts     BIGINT NOT NULL,
    votes       BIGINT NOT NULL,
    run_id      VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS p2l_prompts (   -- the index's distinct prompts (by text hash) and a battle that asked each
    scope VARCHAR NOT NULL, row INTEGER NOT NULL, text_hash VARCHAR NOT NULL, battle_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS p2l_cells (     -- the votes each indexed prompt got, by model pair
    scope VARCHAR NOT NULL, row INTEGER NOT NULL, cell INTEGER NOT NULL, games DOUBLE NOT NULL, wins DOUBLE NOT NULL
)
"""

SCRUBBED_DDL = """
CREATE TABLE IF NOT EXISTS scrubbed (   -- which scrub run last scrubbed each battle's texts
    battle_id VARCHAR NOT NULL,           -- one row per battle (pii.store.write_scrubbed deletes before it inserts;
                                          -- no key index: see db.UNKEYED_TABLES)
    run_id    VARCHAR NOT NULL
)
"""

CONVERSATIONS_RAW_DDL = """
CREATE TABLE IF NOT EXISTS conversations_raw (   -- only with 'scrub --keep-raw'; no release reads it
    battle_id VARCHAR NOT NULL, side VARCHAR NOT NULL, msg INTEGER NOT NULL, turn INTEGER NOT NULL,
    role VARCHAR NOT NULL, content VARCHAR
)
"""

SOURCE_STAGES_DDL = """
CREATE TABLE IF NOT EXISTS source_stages (   -- which stages each source went through (see arenavotes.provenance)
    source        VARCHAR NOT NULL,
    stage         VARCHAR NOT NULL,   -- scrub, dedup, categorize, rate
    ingest_run    VARCHAR NOT NULL,   -- the ingest run of the source's data it saw (stale when re-ingested)
    settings_hash VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    finished      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, stage)
)
"""

SOURCE_META_DDL = """
CREATE TABLE IF NOT EXISTS source_meta (     -- what a release's card says about each source (ingest --license ...)
    source      VARCHAR PRIMARY KEY,
    license     VARCHAR,   -- an SPDX-style id as the Hub uses it: cc-by-4.0, mit, apache-2.0, ...
    license_url VARCHAR,   -- where the licence text is
    citation    VARCHAR,   -- BibTeX
    description VARCHAR    -- one line: what the votes are (e.g. 'text-to-image arena votes')
)
"""

GATE_VERDICTS_DDL = """
CREATE TABLE IF NOT EXISTS gate_verdicts (   -- PII-gate verdicts by a digest of the text (never the text itself)
    gate     VARCHAR NOT NULL,               -- gate version and NER on/off: '<GATE_VERSION>:ner' or ':no-ner'
    digest   BLOB NOT NULL,                  -- the first 16 bytes of the text's sha256
    findings JSON NOT NULL                   -- [[start, end, entity, score, recognizer], ...]
    -- no key constraint: a key index is held in memory whole (a 1M-conversation workspace has millions of
    -- verdicts); pii.verdicts.save inserts only (gate, digest) pairs that are not stored yet
)
"""


def digest_sql(sha256_hex: str) -> str:
    """SQL for the digest ``gate_verdicts`` stores of a text (the first 16 bytes of its sha256), from the SQL
    expression ``sha256_hex`` that gives the hash in hex.

    >>> digest_sql("sha256(t)")
    'unhex(left(sha256(t), 32))'
    """
    return f"unhex(left({sha256_hex}, 32))"


#: a verdict key (``'<gate version>:<ner|no-ner>:<sha256 hex>'``, pii.gate.verdict_key, in a column ``key``) as the
#: two columns ``gate_verdicts`` stores it under, in SQL: pii.verdicts splits its lookups with it, and db's
#: migration the string keys older workspaces stored
VERDICT_KEY_PARTS_SQL = f"left(key, length(key) - 65) AS gate, {digest_sql('right(key, 64)')} AS digest"

IMAGES_DDL = """
CREATE TABLE IF NOT EXISTS images (
    image_id  VARCHAR PRIMARY KEY,  -- 'sha256:<hex>' of the bytes; or what the log named without bytes:
                                    -- 'md5:<hex>' (FastChat's hash of the pixels), 'url:<sha256 of the URL>'
    mime      VARCHAR,              -- image/png, image/jpeg, ... from the bytes' signature; NULL without bytes
    n_bytes   BIGINT,               -- NULL without bytes
    width     INTEGER,
    height    INTEGER
)
"""

IMAGE_DATA_DDL = """
CREATE TABLE IF NOT EXISTS image_data (   -- the bytes, once per image (never in conversations or a default release)
    image_id VARCHAR PRIMARY KEY,
    data     BLOB NOT NULL
)
"""

MESSAGE_IMAGES_DDL = """
CREATE TABLE IF NOT EXISTS message_images (  -- which message shows which image
    battle_id VARCHAR NOT NULL,
    side      VARCHAR NOT NULL,
    msg       INTEGER NOT NULL,  -- conversations.msg
    position  INTEGER NOT NULL,  -- 1-based among the message's images
    image_id  VARCHAR NOT NULL
)
"""

WORKSPACE_SCHEMA_DDL = """
CREATE TABLE IF NOT EXISTS workspace_schema (  -- which schema this workspace was last checked against (arenavotes.db)
    fingerprint VARCHAR NOT NULL
)
"""

ALL_DDL: tuple[str, ...] = (
    BATTLES_DDL,
    CONVERSATIONS_DDL,
    QUARANTINE_DDL,
    PROMPT_LABELS_DDL,
    RUNS_DDL,
    SOURCES_DDL,
    LEADERBOARDS_DDL,
    LEADERBOARD_STATS_DDL,
    STYLE_COEFFICIENTS_DDL,
    FLAGS_DDL,
    JUDGE_CACHE_DDL,
    PII_FINDINGS_DDL,
    SCRUBBED_DDL,
    EMBEDDINGS_DDL,
    P2L_DDL,
    CONVERSATIONS_RAW_DDL,
    SOURCE_STAGES_DDL,
    SOURCE_META_DDL,
    GATE_VERDICTS_DDL,
    IMAGES_DDL,
    IMAGE_DATA_DDL,
    MESSAGE_IMAGES_DDL,
    WORKSPACE_SCHEMA_DDL,
)

#: Tables that hold one row per battle-derived item and are replaced per source on re-ingest.
PER_SOURCE_TABLES: tuple[str, ...] = ("battles", "conversations", "prompt_labels", "quarantine")

#: The rows of ``conversations`` that are the prompt's turns: the ``prompts`` view, and what a reader that needs
#: the table itself (its ``rowid``, see :func:`arenavotes.db.rowid_windows`) filters on.
PROMPT_ROWS = "role = 'user' AND side IN ('a', 'prompt')"

VIEWS_SQL = f"""
CREATE OR REPLACE VIEW prompts AS
    SELECT battle_id, turn, content
    FROM conversations
    WHERE {PROMPT_ROWS};
"""
