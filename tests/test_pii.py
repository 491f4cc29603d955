"""PII: recognizers table-driven, scrubbing end to end, the release gate, worker- and engine-independence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import KEY

from arenavotes.ingest import ingest_file
from arenavotes.pii.gate import check_paths
from arenavotes.pii.patterns import find
from arenavotes.pii.scrub import scrub_texts
from arenavotes.pii.store import findings_frame, unscrubbed, write_scrubbed


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("write to jane.doe+x@example.co.uk today", "EMAIL_ADDRESS", "jane.doe+x@example.co.uk"),
        ("call +1 (415) 555-0199 ext. 22", "PHONE_NUMBER", "+1 (415) 555-0199 ext. 22"),
        ("phone 001-415-555-0199", "PHONE_NUMBER", "001-415-555-0199"),
        ("mobile 415.555.0199", "PHONE_NUMBER", "415.555.0199"),
        ("tel +49 30 12345678", "PHONE_NUMBER", "+49 30 12345678"),
        ("card 5555 5555 5555 4444", "CREDIT_CARD", "5555 5555 5555 4444"),
        ("card 2223003122003222", "CREDIT_CARD", "2223003122003222"),  # Mastercard 2-series
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
        ("host 10.0.0.254 up", "IP_ADDRESS", "10.0.0.254"),
        ("v6 2001:db8:85a3::8a2e:370:7334 up", "IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
        ("ssn 078-05-1120", "US_SSN", "078-05-1120"),
        ("db postgres://bob:hunter2@db.local/x", "URL_CREDENTIALS", "postgres://bob:hunter2@db.local"),
        ("key sk-proj-" + "A1b2" * 12, "API_KEY", "sk-proj-" + "A1b2" * 12),
        ("key sk-ant-api03-" + "x9" * 45, "API_KEY", "sk-ant-api03-" + "x9" * 45),
        ("AKIAIOSFODNN7EXAMPLE", "API_KEY", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_" + "a" * 36, "API_KEY", "ghp_" + "a" * 36),
        ("AIza" + "B" * 35, "API_KEY", "AIza" + "B" * 35),
        ("xoxb-123456789012-abcdefghij", "API_KEY", "xoxb-123456789012-abcdefghij"),
        ("0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe", "CRYPTO", "0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
            "PRIVATE_KEY",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
        ),
        ("电话 +86 138 1234 5678", "PHONE_NUMBER", "+86 138 1234 5678"),  # any script around it
    ],
)
def test_recognizers_find(text: str, entity: str, value: str) -> None:
    got = [(f.entity, text[f.start : f.end]) for f in find(text)]
    assert (entity, value) in got


@pytest.mark.parametrize(
    "text",
    [
        "GPT-4 beats Llama 2 and Claude 3.5",
        "numpy==1.26.4 on Python 3.11.7 (2023-12-04)",
        "x = [192, 168, 1, 1]; pi = 3.141592653589793",
        "4111 1111 1111 1112 fails Luhn",
        "ssn 000-12-3456",
        "modulo 998 244 353",
        "v1.2.3.4 release",
        "git clone git@github.com:org/repo.git",
        "std::vector<int> v;",
        "2023-01-20 15:30:00",
        "1,234,567 rows",
    ],
)
def test_code_math_versions_and_dates_survive(text: str) -> None:
    assert find(text) == []


def test_scrub_workspace_end_to_end(con, tmp_path: Path) -> None:
    rec = {
        "question_id": "q1",
        "model_a": "a",
        "model_b": "b",
        "winner": "tie",
        "conversation_a": [
            {"role": "user", "content": "I'm Maria García, mail maria.garcia@example.com"},
            {"role": "assistant", "content": "Hello Maria García! Call 415-555-0199."},
        ],
        "conversation_b": [
            {"role": "user", "content": "I'm Maria García, mail maria.garcia@example.com"},
            {"role": "assistant", "content": "Noted."},
        ],
    }
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    ingest_file(con, p, key=KEY)
    msgs = unscrubbed(con, ["c"])
    texts = msgs["content"].to_list()
    new, found = scrub_texts(texts, workers=1)
    write_scrubbed(con, msgs, new, findings_frame(msgs, found), "run1", keep_raw=True)
    everything = con.sql("SELECT string_agg(content, '|') FROM conversations").fetchall()[0][0]
    assert "maria.garcia" not in everything and "García" not in everything and "555-0199" not in everything
    assert "<EMAIL_ADDRESS>" in everything and "<PERSON>" in everything and "<PHONE_NUMBER>" in everything
    f = con.sql("SELECT entity, sum(count) FROM pii_findings GROUP BY 1 ORDER BY 1").fetchall()
    assert dict(f) == {"EMAIL_ADDRESS": 2, "PERSON": 3, "PHONE_NUMBER": 1}
    assert "maria" not in str(con.sql("SELECT * FROM pii_findings").fetchall()).lower()  # never raw values
    assert con.sql("SELECT count(*) FROM conversations_raw").fetchall() == [(3,)]
    assert unscrubbed(con, ["c"]).height == 0  # scrubbed battles are not scanned again


def test_output_is_identical_for_any_worker_count() -> None:
    texts = [f"User {i}: contact me at user{i}@example.org or +44 20 7946 {i:04d}; I'm John Smith." for i in range(40)]
    texts += ["Write a poem about the sea."] * 10
    one = scrub_texts(texts, workers=1)
    two = scrub_texts(texts, workers=2)
    assert one == two  # engine="ray": tests/test_ray_engine.py (all Ray tests in one module, on one cluster)


def test_a_texts_findings_do_not_depend_on_the_texts_analysed_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk sizes follow the number of texts (pool.chunks), so a text meets other neighbours in another run:
    its findings (names included) must be its own, in one chunk with all the others or alone."""
    from arenavotes.pii import scrub as scrub_module

    texts = [
        f"Hi, I'm {name} from {city}; write to me at {name.split()[0].lower()}@example.org. "
        + "A longer line of prose about nothing in particular. " * (i % 5)
        for i, (name, city) in enumerate(
            [
                ("John Smith", "Paris"),
                ("Aiko Tanaka", "Osaka"),
                ("Oluwaseun Adeyemi", "Lagos"),
                ("María García", "Madrid"),
                ("Li Wei", "Beijing"),
            ]
            * 4
        )
    ]
    together = scrub_texts(texts, workers=1)
    monkeypatch.setattr(scrub_module, "CHUNK", 1)  # every text alone
    alone = scrub_texts(texts, workers=1)
    assert together == alone


def test_gate_refuses_planted_pii_and_passes_clean_files(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    pq.write_table(
        pa.table(
            {
                "battle_id": ["1", "2"],
                "content": ["Write a haiku about <PERSON>.", "2 + 2 = 4"],
                "turns": [["hi", "bye"], ["ok"]],
            }
        ),
        clean / "conversations.parquet",
    )
    (clean / "README.md").write_text("# Arena votes\nGPT-4 and Claude 3.5 answers, scrubbed.\n")
    (clean / "manifest.json").write_text(json.dumps({"version": "v1", "rows": 2}))
    assert check_paths([clean]) == []
    dirty = tmp_path / "dirty"
    dirty.mkdir()
    pq.write_table(
        pa.table(
            {
                "battle_id": ["1", "2"],
                "content": ["ok", "my card 4111 1111 1111 1111"],
                "turns": [["fine"], ["call +1 415 555 0199 now"]],
            }
        ),
        dirty / "conversations.parquet",
    )
    (dirty / "card.md").write_text("Ask ana.silva@example.com\n")
    found = {(Path(f.file).name, f.location, f.column, f.entity) for f in check_paths([dirty])}
    assert found == {
        ("conversations.parquet", "row 2", "content", "CREDIT_CARD"),
        ("conversations.parquet", "row 2", "turns[0]", "PHONE_NUMBER"),
        ("card.md", "line 1", "", "EMAIL_ADDRESS"),
    }


def test_scrub_and_gate_cli(tmp_path: Path) -> None:
    from conftest import first_conversations, run

    ws = tmp_path / "w"
    assert run("ingest", "-w", str(ws), "--source", "a100", str(first_conversations(tmp_path, 25))).returncode == 0
    r = run("scrub", "-w", str(ws), "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "scrubbed 100 texts" in r.stdout and "spans replaced" in r.stdout
    assert "scrubbed 0 texts" in run("scrub", "-w", str(ws)).stdout  # idempotent
    out = tmp_path / "out.parquet"
    rows = json.loads(run("sql", "-w", str(ws), "select content from conversations", "--format", "json").stdout)
    pl.DataFrame({"content": [r["content"] for r in rows]}).write_parquet(out)
    passed = run("scrub", "--check", str(out), cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    pl.DataFrame({"content": ["reach me: bob@example.com"]}).write_parquet(out)
    failed = run("scrub", "--check", str(out), cwd=tmp_path)
    assert failed.returncode == 2 and "row 1: content: EMAIL_ADDRESS" in failed.stdout
    assert "PII gate failed" in failed.stderr and "bob@" not in failed.stdout + failed.stderr


def test_ner_view_keeps_offsets_and_every_line_that_may_hold_a_name() -> None:
    from arenavotes.pii.engine import _ner_view

    text = "Explain recursion.\nwhat is the capital of france\nAsk Maria Lopez.\nParis is nice.\n```x = Foo()```\nI am John"
    view = _ner_view(text)
    assert len(view) == len(text)
    kept = [line for line in view.split("\n") if line.strip()]
    assert kept == ["Ask Maria Lopez.", "Paris is nice.", "I am John"]


def test_gate_reads_svg_text_and_fails_a_corrupt_png(tmp_path) -> None:
    from arenavotes.pii.gate import check_paths

    svg = tmp_path / "fig.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><path d="M 192.168.1.10 L 1 2"/>'
        '<g><text x="1" y="2">mail jane@example.org</text></g></svg>'
    )
    (tmp_path / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n 10.0.0.1 jane@example.org")
    found = {(f.file.rsplit("/", 1)[-1], f.location, f.entity) for f in check_paths([tmp_path], ner=False)}
    # the PNG's bytes after the signature are no chunk: the gate cannot read it, so it fails (pixels are not scanned)
    assert found == {("fig.svg", "text 1", "EMAIL_ADDRESS"), ("fig.png", "file", "UNREADABLE")}


def test_two_answers_in_one_turn_keep_their_own_text(con, tmp_path: Path) -> None:
    """Reproducer: scrub wrote messages back by (battle, side, turn, role), so two assistant messages of one
    turn both became the second one's text. Every message now has its own key (battle_id, side, msg)."""
    rec = {
        "question_id": "q2",
        "model_a": "a",
        "model_b": "b",
        "winner": "model_a",
        "conversation_a": [
            {"role": "user", "content": "Write to ann.lee@example.org twice"},
            {"role": "assistant", "content": "First: mail ann.lee@example.org now."},
            {"role": "assistant", "content": "Second answer, no address here."},
        ],
        "conversation_b": [
            {"role": "user", "content": "Write to ann.lee@example.org twice"},
            {"role": "assistant", "content": "Done."},
        ],
    }
    p = tmp_path / "two.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    ingest_file(con, p, key=KEY)
    keys = con.sql(
        "SELECT battle_id, side, msg, count(*) FROM conversations GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    assert keys == []
    msgs = unscrubbed(con, ["two"])
    new, found = scrub_texts(msgs["content"].to_list(), workers=1, ner=False)
    write_scrubbed(con, msgs, new, findings_frame(msgs, found), "run2", keep_raw=False)
    answers = [
        r[0]
        for r in con.sql(
            "SELECT content FROM conversations WHERE side = 'a' AND role = 'assistant' ORDER BY msg"
        ).fetchall()
    ]
    assert answers == ["First: mail <EMAIL_ADDRESS> now.", "Second answer, no address here."]


def test_every_recognizer_is_named_kind_name_at_version() -> None:
    from arenavotes.pii import engine, gate, loose, names, patterns

    registered = [p.recognizer for p in patterns.PATTERNS]
    assert len(set(registered)) == len(registered)
    every = {
        *registered,
        names.RECOGNIZER,
        engine.NER_RECOGNIZER,
        gate.FULL_NER_RECOGNIZER,
        gate.READER,
        *loose.RECOGNIZERS,
    }
    bad = sorted(r for r in every if not re.fullmatch(r"(?:pattern|context|presidio|gate)/[a-z0-9_-]+@[1-9]\d*", r))
    assert bad == []


def test_pattern_contexts_are_data_on_the_patterns() -> None:
    from arenavotes.pii.patterns import PATTERNS, PHONE_WORDS, VERSION_WORDS

    assert {p.name: p.context for p in PATTERNS if p.context} == {
        "ipv4": VERSION_WORDS,
        "ipv6": VERSION_WORDS,
        "phone": PHONE_WORDS,
    }
    assert {p.name: p.group for p in PATTERNS if p.group} == {"us_ssn_context": 1}
    # the same number: ruled out after a version word, 0.75 after a phone word, 0.6 when phone-shaped alone
    assert find("version 10.0.0.254") == [] and find("host 10.0.0.254")[0].score == 0.9
    assert [f.score for f in find("call me: 020 7946 0958")] == [0.75]
    assert [f.score for f in find("+44 20 7946 0958")] == [0.6] and find("2023.12.04") == []


def test_a_pool_made_for_other_settings_is_refused() -> None:
    from arenavotes.pii.gate import gate_findings, gate_pool
    from arenavotes.pii.scrub import analyze_distinct, scrub_pool

    with gate_pool(1, ner=False) as pool:
        assert gate_findings(["mail ann@example.org"], ner=False, pool=pool)["mail ann@example.org"]
        with pytest.raises(ValueError, match="ner"):
            gate_findings(["x"], ner=True, pool=pool)
    with scrub_pool(1, ner=False, threshold=0.5) as pool, pytest.raises(ValueError, match="threshold"):
        analyze_distinct(["x"], ner=False, threshold=0.7, pool=pool)


def test_screened_batch_scans_equal_the_per_text_scans() -> None:
    """find_many / find_names_many / find_loose_many screen texts in Polars before Python's regexes run: on
    real arena texts with PII planted in every shape, each must give exactly what the per-text scan gives."""
    import gzip
    import json
    import random

    from arenavotes.pii.loose import find_loose, find_loose_many
    from arenavotes.pii.names import find_names, find_names_many
    from arenavotes.pii.patterns import find, find_many

    root = Path(__file__).resolve().parents[1]
    texts: list[str] = []
    with gzip.open(root / "data/arena-conversations-100/conversations.jsonl.gz", "rt") as fh:
        for line in fh:
            r = json.loads(line)
            texts += [m["content"] for m in r["conversation_a"] + r["conversation_b"]]
    planted = [
        "call me at +44 20 7946 0958 or (212) 555-0143 ext. 12",
        "phone: 212.555.0143",
        "ssn 123-45-6789; SSN: 078051120",
        "card 4111 1111 1111 1111 / 4111-1111-1111-1111 / 4111111111111111",
        "IBAN GB82 WEST 1234 5698 7654 32 and de89370400440532013000",
        "server 10.20.30.40, v1.2.3.4, fe80::1ff:fe23:4567:890a",
        "btc 1BoatSLRHtKNngkdXEeobR76b53LETtpyT, bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "key sk-proj-abcdefghijklmnopqrstuvwxyz012345 AKIAIOSFODNN7EXAMPLE ghp_" + "a" * 36,
        "mail ann.lee@example.org",
        "12 Baker Street, London and 1600 Pennsylvania Avenue",
        "Dear Ms. Johnson,\n\nthanks.\n\nBest regards,\nMarta Kowalczyk\n-- \nJohn Smith",
        "My name is Ignatius Fairbanks; I'm Ann. Signed: Peter Parker",
        "Name: Jane Doe\nFrom: Bob Stone",
    ]
    rng = random.Random(0)
    mixed = [t[: len(t) // 2] + " " + rng.choice(planted) + " " + t[len(t) // 2 :] for t in rng.sample(texts, 100)]
    corpus = texts + planted + mixed
    assert find_many(corpus) == [find(t) for t in corpus]
    assert find_names_many(corpus) == [find_names(t) for t in corpus]
    for names in (False, True):
        assert find_loose_many(corpus, names) == [find_loose(t, names) for t in corpus]
    assert sum(map(bool, find_many(planted))) >= 10  # the planted values are found, not screened out


def test_bitcoin_addresses_need_their_checksum() -> None:
    """Real bech32/bech32m addresses are found; hex release pseudonyms that happen to start with ``bc1`` are not
    (before the checksum, one pseudonym in ~200,000 was taken for an address and a 1M-conversation release was
    refused for it)."""
    import hashlib
    import hmac

    from arenavotes.pii.patterns import find

    real = [
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # taproot, bech32m
    ]
    for a in real:
        assert [f.entity for f in find(f"send to {a} today")] == ["CRYPTO"], a
    assert find("send to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp today") == []  # one character off
    shaped = [
        h
        for i in range(400_000)
        if (h := hmac.new(b"k", str(i).encode(), hashlib.sha256).hexdigest()[:32]).startswith("bc1")
    ]
    assert len(shaped) > 50
    assert [t for t in shaped if find(t)] == []


@pytest.mark.parametrize("shift", [0, 3, -3, 1000])
def test_scrubbed_texts_are_written_whatever_rowids_the_batch_read(con, tmp_path: Path, shift: int) -> None:
    """write_scrubbed updates a batch's messages within the rowids batch_messages read them at (to read only
    their row groups); rowids that moved in between (here: shifted on purpose) update the same rows, by key."""
    from arenavotes.pii.store import batch_messages

    recs = [
        {
            "question_id": f"q{i}",
            "model_a": "a",
            "model_b": "b",
            "winner": "tie",
            "conversation_a": [{"role": "user", "content": f"mail person{i}@example.com"}],
            "conversation_b": [{"role": "user", "content": f"mail person{i}@example.com"}],
        }
        for i in range(6)
    ]
    p = tmp_path / "s.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in recs))
    ingest_file(con, p, key=KEY)
    ids = sorted(r[0] for r in con.sql("SELECT DISTINCT battle_id FROM conversations").fetchall())
    msgs = batch_messages(con, ["s"], ids[1], ids[4]).with_columns(pl.col("rid") + shift)
    new, found = scrub_texts(msgs["content"].to_list(), workers=1, ner=False)
    write_scrubbed(con, msgs, new, findings_frame(msgs, found), "run1", keep_raw=False)
    got = dict(
        con.sql("SELECT battle_id, string_agg(content, '|' ORDER BY side) FROM conversations GROUP BY 1").fetchall()
    )
    done = {i for i in ids if "@example.com" not in got[i]}
    assert done == set(ids[1:5])  # exactly the batch's battles, every message of them
