"""Identity leaks: an answer that tells the voter which model wrote it makes an anonymous vote invalid.

Only *assistant* turns are read, and a side is flagged only when its answer names *its own* model
family or maker in a self-identifying phrase ("I am Claude", "I'm a large language model trained by
Google", "我是通义千问", "developed by Mistral AI"). That avoids FastChat's substring check over all
turns, which dropped votes on prompts about palm trees, Google Sheets or llamas. The lexicon is
versioned (:data:`LEXICON_VERSION`); changing it changes the detector name.

>>> leaks("claude-2.1", "Hello! I'm Claude, an AI assistant made by Anthropic.")
["I'm Claude", 'made by Anthropic']
>>> leaks("gemini-1.5-pro", "Gemini (May 21 - June 20) is an air sign; Google Sheets can sort it.")
[]
"""

from __future__ import annotations

import dataclasses
import re

import polars as pl

from arenavotes.dedup.flagging import empty, from_frame

LEXICON_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    models: str  # regex on the model id (case-insensitive, from the start)
    names: tuple[str, ...]  # product names an answer may use for itself
    makers: tuple[str, ...]  # organisations an answer may say it was made by


FAMILIES: tuple[Family, ...] = (
    Family(
        "openai",
        r"(gpt|chatgpt|o1|o3|o4|text-davinci|openai)",
        ("ChatGPT", "GPT-4o", "GPT-4", "GPT-3\\.5", "GPT-3", "GPT", "o1", "o3"),
        ("OpenAI",),
    ),
    Family("anthropic", r"claude", ("Claude",), ("Anthropic",)),
    Family(
        "google",
        r"(gemini|gemma|palm|bard|chat-bison|codechat-bison|text-bison)",
        ("Gemini", "Gemma", "Bard", "PaLM"),
        ("Google DeepMind", "Google AI", "Google", "DeepMind"),
    ),
    Family("meta", r"(llama|codellama|meta-llama|muse)", ("Llama", "LLaMA", "Meta AI"), ("Meta AI", "Meta")),
    Family(
        "mistral",
        r"(mistral|mixtral|codestral|ministral|magistral|pixtral)",
        ("Mistral", "Mixtral", "Le Chat"),
        ("Mistral AI",),
    ),
    Family(
        "alibaba",
        r"(qwen|qwq)",
        ("Qwen", "Tongyi Qianwen", "通义千问", "千问"),
        ("Alibaba Cloud", "Alibaba", "阿里云", "阿里巴巴"),
    ),
    Family("deepseek", r"deepseek", ("DeepSeek", "深度求索"), ("DeepSeek", "深度求索")),
    Family("xai", r"grok", ("Grok",), ("xAI",)),
    Family("cohere", r"(command|c4ai|aya)", ("Command R\\+?", "Command", "Aya"), ("Cohere",)),
    Family("zhipu", r"(glm|chatglm|codegeex)", ("ChatGLM", "GLM", "智谱清言"), ("Zhipu AI", "Zhipu", "智谱")),
    Family("01ai", r"yi-", ("Yi",), ("01\\.AI", "零一万物")),
    Family("lmsys", r"vicuna", ("Vicuna",), ("LMSYS",)),
    Family("berkeley", r"koala", ("Koala",), ("BAIR", "UC Berkeley", "Berkeley AI Research")),
    Family("laion", r"oasst", ("Open Assistant", "OpenAssistant"), ("LAION",)),
    Family("microsoft", r"(phi-|wizardlm)", ("Phi", "WizardLM"), ("Microsoft",)),
    Family("allenai", r"(olmo|tulu)", ("OLMo", "Tülu", "Tulu"), ("AI2", "Allen Institute for AI")),
    Family("databricks", r"(dbrx|dolly)", ("DBRX", "Dolly"), ("Databricks",)),
    Family("amazon", r"(amazon|nova-)", ("Nova",), ("Amazon",)),
    Family("nvidia", r"(nemotron|llama-3\.1-nemotron)", ("Nemotron",), ("NVIDIA",)),
    Family("tencent", r"hunyuan", ("Hunyuan", "混元"), ("Tencent", "腾讯")),
    Family("moonshot", r"kimi", ("Kimi",), ("Moonshot AI", "月之暗面")),
    Family("minimax", r"minimax", ("MiniMax",), ("MiniMax",)),
    Family("reka", r"reka", ("Reka",), ("Reka AI", "Reka")),
    Family("ai21", r"jamba", ("Jamba",), ("AI21 Labs", "AI21")),
    Family("stability", r"stablelm", ("StableLM",), ("Stability AI",)),
    Family("tii", r"falcon", ("Falcon",), ("Technology Innovation Institute", "TII")),
    Family("baidu", r"ernie", ("ERNIE", "文心一言"), ("Baidu", "百度")),
    Family("bytedance", r"(doubao|seed-)", ("Doubao", "豆包"), ("ByteDance", "字节跳动")),
)

_I_AM = r"(?:I am|I'm|I’m|my name is|this is|you are (?:talking|chatting|speaking) (?:to|with)|call me)"
_KIND = (
    r"(?:(?:an?|the)\s+)?(?:(?:AI|artificial intelligence|large language|language|conversational|chat)\s+)*"
    r"(?:model|assistant|chatbot|bot|system)?\s*(?:called\s+|named\s+|known as\s+)?"
)
_MADE = r"(?:developed|created|trained|built|made|designed|released|powered|brought to you)\s+by\s+(?:the\s+)?(?:team\s+at\s+)?"


def family_pattern(f: Family) -> str:
    """The self-identification regex of a family (Rust/Python compatible: no look-arounds)."""
    names = "|".join(f.names)
    makers = "|".join(f.makers)
    latin = (
        rf"\b{_I_AM}\s+{_KIND}(?:{names})\b"
        rf"|\b(?:{names})\s*,\s*(?:an?\s+)?(?:AI|large language model|language model|assistant|chatbot)\b"
        rf"|\b{_MADE}(?:{makers})\b"
        rf"|\bI\s+(?:am|was)\s+(?:an?\s+)?(?:AI\s+)?(?:model|assistant)?\s*(?:from|by)\s+(?:{makers})\b"
    )
    cjk = rf"我是(?:{names})|由(?:{makers})(?:公司)?(?:开发|训练|创建|打造|研发)"
    return f"(?:{latin}|{cjk})"


def family_prefilter(f: Family) -> str | None:
    """A cheap regex every text that :func:`family_pattern` matches also matches: any of the family's names
    and makers (up to the first regex operator of each), case-insensitive like the pattern. The whole
    pattern then runs only on the answers that pass (at 2M conversations 69% of the identity check was the
    patterns over every answer). None where a name starts with an operator.

    >>> family_prefilter(FAMILIES[0]), family_prefilter(FAMILIES[1])
    ('(?i)(?:ChatGPT|GPT-4o|GPT-4|GPT-3|GPT|o1|o3|OpenAI)', '(?i)(?:Claude|Anthropic)')
    """
    # cut at the first operator, so a literal holds none to escape
    literals = [re.split(r"[\\.+*?()\[\]{}|^$]", x, maxsplit=1)[0] for x in (*f.names, *f.makers)]
    if not all(literals):
        return None
    return "(?i)(?:" + "|".join(dict.fromkeys(literals)) + ")"


_COMPILED = [(re.compile(f.models, re.IGNORECASE), family_pattern(f), f.name) for f in FAMILIES]
_PREFILTER = {f.name: family_prefilter(f) for f in FAMILIES}


def family_of(model: str) -> str | None:
    for models, _, name in _COMPILED:
        if models.match(model):
            return name
    return None


def leaks(model: str, answer: str) -> list[str]:
    """The self-identifying phrases in ``answer`` that name ``model``'s own family or maker."""
    for models, pattern, _ in _COMPILED:
        if models.match(model):
            return [m.group(0) for m in re.finditer(pattern, answer, re.IGNORECASE)]
    return []


def identity_leaks(battles: pl.DataFrame | None, answers: pl.DataFrame) -> pl.DataFrame:
    """Flag battles where a side's answer identifies its own model.

    ``answers``: battle_id, side ('a'/'b'), text (that side's assistant turns joined), and ``model`` (that side's
    model), or without it the models are taken from ``battles`` (battle_id, model_a, model_b). The stage's answers
    carry their models (:func:`arenavotes.dedup.store.answer_batches`), so its battles need no ids.
    """
    if "model" in answers.columns:
        a = answers.with_columns(pl.col("model").cast(pl.String))
    elif battles is None:
        raise ValueError("identity_leaks needs the battles, or answers with a model column")
    else:
        side_model = pl.when(pl.col("side") == "a").then(pl.col("model_a")).otherwise(pl.col("model_b"))
        a = answers.join(battles.select("battle_id", "model_a", "model_b"), on="battle_id").select(
            "battle_id",
            "side",
            "text",
            model=side_model.cast(pl.String),  # model_a/b may be Categoricals
        )
    if a.height == 0:
        return empty()
    models = a["model"].unique().to_list()
    family = pl.DataFrame(
        {"model": models, "family": [family_of(m) for m in models]}, schema={"model": pl.String, "family": pl.String}
    )
    a = a.join(family, on="model")
    found: list[pl.DataFrame] = []
    for _, pattern, name in _COMPILED:  # each family's regex on its own answers, vectorised (Rust regex)
        sub = a.filter(pl.col("family") == name)
        prefilter = _PREFILTER[name]
        if sub.height and prefilter is not None:
            sub = sub.filter(pl.col("text").str.contains(prefilter))
        if sub.height:
            hit = sub.with_columns(phrase=pl.col("text").str.extract(f"(?i)({pattern})", 1))
            found.append(hit.filter(pl.col("phrase").is_not_null()).select("battle_id", "side", "model", "phrase"))
    if not found:
        return empty()
    hits = (
        pl.concat(found)
        .group_by("battle_id")
        .agg(pl.col("side").first(), pl.col("model").first(), pl.col("phrase").first(), pl.len().alias("sides"))
    )
    return from_frame(
        hits.with_columns(
            score=pl.col("sides").cast(pl.Float64),
            reason=pl.format('side {} ({}) names itself: "{}"', "side", "model", "phrase"),
        ),
        "identity_leak",
        f"identity/lexicon@{LEXICON_VERSION}",
    )
